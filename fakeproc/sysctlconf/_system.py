"""``--system``: which files are read, in which order, and which are shadowed."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fakeproc.sysctlconf._model import check_dialect, family

__all__ = [
    "ETC_SYSCTL_CONF",
    "PROCPS_SYSTEM_DIRS",
    "SYSTEMD_SYSTEM_DIRS",
    "ConfFile",
    "system_dirs",
    "system_files",
    "system_order",
]

#: procps ``PreloadSystem()`` directories, highest precedence first.
PROCPS_SYSTEM_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
                      "/lib/sysctl.d")
#: systemd ``CONF_PATHS("sysctl.d")`` on a merged-/usr system (split-usr adds ``/lib/sysctl.d``).
SYSTEMD_SYSTEM_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d")
#: Read last by ``sysctl --system`` if it is a regular file; never by systemd-sysctl.
ETC_SYSCTL_CONF = "/etc/sysctl.conf"


@dataclass(frozen=True)
class ConfFile:
    """One file ``--system`` reads.

    Attributes:
        path: Full path as the tool prints it (``* Applying PATH ...``).
        name: Basename: the sort key and the shadowing key.
        shadows: Paths of same-named files in lower-precedence directories, not read.
    """

    path: str
    name: str
    shadows: tuple[str, ...] = ()


def system_dirs(dialect: str = "procps") -> tuple[str, ...]:
    """The directories ``--system`` scans for ``dialect``, highest precedence first."""
    check_dialect(dialect)
    return PROCPS_SYSTEM_DIRS if family(dialect) == "procps" else SYSTEMD_SYSTEM_DIRS


def _wanted(name: str, dialect: str) -> bool:
    if family(dialect) == "procps":
        # readdir() minus . and ..; at least 5 bytes ending in ".conf" (".conf" itself counts).
        return name not in (".", "..") and len(name) >= 5 and name.endswith(".conf")
    # FOREACH_DIRENT skips hidden files; the suffix must match.
    return not name.startswith(".") and name.endswith(".conf")


def system_order(listing: Mapping[str, Iterable[str]] | Sequence[tuple[str, Iterable[str]]],
                 dialect: str = "procps", *, etc_sysctl_conf: bool = False) -> list[ConfFile]:
    """Order a directory listing the way ``--system`` does, without touching the disk.

    Args:
        listing: ``{directory: file names}``, highest precedence first (dict order).
        dialect: ``procps`` or a systemd dialect.
        etc_sysctl_conf: procps only: ``/etc/sysctl.conf`` exists as a regular file and is
            applied after everything else.

    Returns:
        The files read, in order: sorted by basename (byte order), each name taken from
        the first directory that has it; same-named files further down are listed in
        :attr:`ConfFile.shadows`.

    >>> [f.path for f in system_order({"/etc/sysctl.d": ["99-a.conf"],
    ...                                "/usr/lib/sysctl.d": ["10-b.conf", "99-a.conf", "x.txt"]})]
    ['/usr/lib/sysctl.d/10-b.conf', '/etc/sysctl.d/99-a.conf']
    """
    check_dialect(dialect)
    items = list(listing.items()) if isinstance(listing, Mapping) else list(listing)
    chosen: dict[str, str] = {}
    shadows: dict[str, list[str]] = {}
    for directory, names in items:
        directory = directory.rstrip("/") or "/"
        for name in names:
            if not _wanted(name, dialect):
                continue
            full = f"{directory}/{name}"
            if name in chosen:
                if chosen[name] != full:
                    shadows.setdefault(name, []).append(full)
                continue
            chosen[name] = full
    key = lambda n: n.encode("utf-8", "surrogateescape")
    out = [ConfFile(chosen[n], n, tuple(shadows.get(n, ()))) for n in sorted(chosen, key=key)]
    if family(dialect) == "procps" and etc_sysctl_conf:
        out.append(ConfFile(ETC_SYSCTL_CONF, "sysctl.conf"))
    return out


def system_files(dirs: Sequence[str | os.PathLike[str]] | None = None, dialect: str = "procps", *,
                 root: str | os.PathLike[str] | None = None) -> list[ConfFile]:
    """The files ``sysctl --system`` (procps) or ``systemd-sysctl`` would read, in order.

    Args:
        dirs: Directories, highest precedence first; default :func:`system_dirs`.
        dialect: ``procps`` or a systemd dialect.
        root: Look for the directories (and ``/etc/sysctl.conf``) under this directory
            instead of ``/``; the returned paths stay the unprefixed ones.

    Missing directories are skipped; neither tool checks that an entry is a regular
    file (a ``/dev/null`` symlink reads as empty, so it masks same-named files).
    """
    check_dialect(dialect)
    base = Path(root) if root is not None else Path("/")
    listing: list[tuple[str, list[str]]] = []
    for d in dirs if dirs is not None else system_dirs(dialect):
        d = os.fspath(d)
        real = base / d.lstrip("/")
        try:
            names = os.listdir(real)
        except OSError:
            continue
        listing.append((d, names))
    etc = (base / ETC_SYSCTL_CONF.lstrip("/"))
    # procps: stat() (following symlinks) and S_ISREG; only with the default directories.
    return system_order(listing, dialect, etc_sysctl_conf=dirs is None and etc.is_file())
