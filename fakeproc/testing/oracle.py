"""Questions to the fake kernel and the fake tools, without side effects.

Would the kernel accept this write, and what would a read show afterwards?
What would ``sysctl -p``, ``sysctl --system`` or ``systemd-sysctl`` write? Every
answer comes from the same kernel model and :mod:`fakeproc.sysctlconf` code that
the mount and the CLI use, run on a copy, so the caller's kernel never changes.

>>> from fakeproc import Kernel
>>> k = Kernel("6.18")
>>> v = check_write(k, "net.ipv4.ip_local_port_range", "1000 2000")
>>> v.accepted, v.errno_name
(False, 'EINVAL')
>>> check_write(k, "net.ipv4.tcp_keepalive_time", "5 x\\n").read_back
'5\\n'
>>> [(w.key, w.value) for w in conf_writes(k, "-kernel.hostname = box # not a comment\\n")]
[('kernel.hostname', 'box # not a comment')]
"""

from __future__ import annotations

import errno as errno_mod
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fakeproc.model import Kernel, NamespaceSet
from fakeproc.profiles import Profile
from fakeproc.sysctlconf import (
    ApplyReport,
    ConfFile,
    ParsedConf,
    PlannedWrite,
    apply,
    parse,
    plan,
    system_files,
    system_order,
)
from fakeproc.testing._versions import resolve_dialect

__all__ = [
    "WriteVerdict",
    "accepts",
    "apply_conf",
    "check_write",
    "conf_writes",
    "parse_conf",
    "read_back",
    "system_precedence",
]


@dataclass(frozen=True)
class WriteVerdict:
    """What one ``write(2)`` at offset 0 would do.

    Attributes:
        key: The dotted key.
        data: The bytes written.
        errno: 0 if accepted, else the kernel's errno (open or write).
        count: Bytes consumed (less than ``len(data)`` for a short write); 0 on error.
        before: What a read showed before the write (None if unreadable).
        read_back: What a read shows after the write (None if unreadable). After a
            failed write it can still differ from ``before``: vector handlers store
            element by element.
    """

    key: str
    data: bytes
    errno: int
    count: int
    before: str | None
    read_back: str | None

    @property
    def accepted(self) -> bool:
        """The write succeeded (possibly short)."""
        return self.errno == 0

    @property
    def short(self) -> bool:
        """The kernel consumed fewer bytes than written (a shell would write the rest again)."""
        return self.accepted and self.count < len(self.data)

    @property
    def errno_name(self) -> str:
        """``"EINVAL"``, ``"ERANGE"``... or ``""`` when accepted."""
        return errno_mod.errorcode.get(self.errno, str(self.errno)) if self.errno else ""


def _kernel(kernel: Kernel | Profile | str | None) -> Kernel:
    if isinstance(kernel, Kernel):
        return kernel
    return Kernel(kernel)


def _map_ns(original: Kernel, copy: Kernel, ns: NamespaceSet | None) -> NamespaceSet | None:
    if ns is None:
        return None
    return NamespaceSet(**{t.value: copy.namespace(member.id) for t, member in ns.members().items()})


def _trial(kernel: Kernel | Profile | str | None, ns: NamespaceSet | None) -> tuple[Kernel, NamespaceSet | None]:
    if isinstance(kernel, Kernel):
        copy = kernel.copy()
        return copy, _map_ns(kernel, copy, ns)
    return _kernel(kernel), ns


def _read(k: Kernel, key: str, ns: NamespaceSet | None, caller: Any) -> str | None:
    try:
        return k.read(key, ns=ns, **({} if caller is None else {"caller": caller}))
    except OSError:
        return None


def check_write(kernel: Kernel | Profile | str | None, key: str, value: str | bytes, *,
                ns: NamespaceSet | None = None, caller: Any = None) -> WriteVerdict:
    """Would the kernel accept ``value`` written to ``key``, and what would it read back?

    Args:
        kernel: A kernel (left unchanged: the trial runs on ``kernel.copy()``), or a
            profile (name) for a freshly booted one.
        key: Dotted key or ``/proc/sys``-relative path.
        value: Exactly the bytes of one ``write(2)`` at offset 0 (add ``"\\n"``
            yourself to mimic ``echo``).
        ns: The writer's namespace set (of ``kernel``).
        caller: The writer (``fakeproc.Caller``); root by default.
    """
    k, tns = _trial(kernel, ns)
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
    kw: dict[str, Any] = {} if caller is None else {"caller": caller}
    before = _read(k, key, tns, caller)
    try:
        count = k.write(key, data, ns=tns, **kw)
        err = 0
    except OSError as e:
        count, err = 0, e.errno or errno_mod.EIO
    return WriteVerdict(key, data, err, count, before, _read(k, key, tns, caller))


def accepts(kernel: Kernel | Profile | str | None, key: str, value: str | bytes, **kwargs: Any) -> bool:
    """Whether one ``write(2)`` of ``value`` to ``key`` succeeds (see :func:`check_write`)."""
    return check_write(kernel, key, value, **kwargs).accepted


def read_back(kernel: Kernel | Profile | str | None, key: str, value: str | bytes, **kwargs: Any) -> str:
    """What a read shows after writing ``value`` to ``key`` (see :func:`check_write`).

    Raises:
        SysctlError: the kernel refuses the write (with its errno).
    """
    v = check_write(kernel, key, value, **kwargs)
    if not v.accepted:
        from fakeproc.errors import raise_errno

        raise_errno(v.errno, key)
    assert v.read_back is not None
    return v.read_back


def parse_conf(text: str | bytes, dialect: str = "procps", *, filename: str = "<string>") -> ParsedConf:
    """Parse a sysctl.conf / sysctl.d document as ``dialect`` does: ordered settings,
    ignored lines, errors with line numbers. ``dialect`` is a tool name (``procps``,
    ``systemd``: the installed release) or a release (``procps-4.0.2``, ``systemd-252``...)."""
    return parse(text, resolve_dialect(dialect), filename=filename)


def _docs(docs: str | bytes | ParsedConf | Sequence[ParsedConf], dialect: str) -> list[ParsedConf]:
    dialect = resolve_dialect(dialect)
    if isinstance(docs, (str, bytes)):
        return [parse(docs, dialect)]
    if isinstance(docs, ParsedConf):
        return [docs]
    return list(docs)


def conf_writes(kernel: Kernel | Profile | str | None, docs: str | bytes | ParsedConf | Sequence[ParsedConf],
                dialect: str = "procps", *, ns: NamespaceSet | None = None) -> list[PlannedWrite]:
    """The writes the tool would attempt for ``docs`` on ``kernel``, in order (globs
    expanded against the keys ``ns`` sees). Nothing is written."""
    k = _kernel(kernel)
    parsed = _docs(docs, dialect)
    return plan(parsed, k.keys(ns), dialect=parsed[0].dialect if parsed else resolve_dialect(dialect))


def apply_conf(kernel: Kernel | Profile | str | None, docs: str | bytes | ParsedConf | Sequence[ParsedConf],
               dialect: str = "procps", *, ns: NamespaceSet | None = None, in_place: bool = False,
               **options: Any) -> ApplyReport:
    """Run the tool over ``docs`` against ``kernel`` and report outcomes, messages and exit status.

    Args:
        kernel: The kernel; the run happens on a copy unless ``in_place``.
        docs: A document's text, a parsed document, or parsed documents in order.
        dialect: The tool and release for text documents: ``procps`` or ``systemd`` (the
            release installed here, see :func:`fakeproc.testing.installed_version`), or
            ``procps-4.0.2``, ``procps-4.0.6``, ``systemd-252``, ``systemd-254``...
        ns: The tool's namespaces.
        in_place: Write to ``kernel`` itself.
        **options: Passed to :func:`fakeproc.sysctlconf.apply` (``system``,
            ``ignore_errors``, ``quiet``, ``strict``, ``caller``).
    """
    if in_place or not isinstance(kernel, Kernel):
        k, tns = _kernel(kernel), ns
    else:
        k, tns = _trial(kernel, ns)
    parsed = _docs(docs, dialect)
    return apply(k, parsed, parsed[0].dialect if parsed else resolve_dialect(dialect), ns=tns, **options)


def system_precedence(dirs: Mapping[str, Iterable[str]] | Sequence[str | os.PathLike[str]] | None = None,
                      dialect: str = "procps", *, root: str | os.PathLike[str] | None = None,
                      etc_sysctl_conf: bool = False) -> list[ConfFile]:
    """The files ``--system`` reads, in order, with the files each one shadows.

    Args:
        dirs: ``{directory: [file names]}`` (no disk access), or directories to list
            (highest precedence first), or None for the tool's own directories.
        dialect: ``procps`` or a systemd dialect.
        root: With directories: list them under this root.
        etc_sysctl_conf: With a mapping: whether ``/etc/sysctl.conf`` exists (procps).
    """
    dialect = resolve_dialect(dialect)
    if isinstance(dirs, Mapping):
        return system_order(dirs, dialect, etc_sysctl_conf=etc_sysctl_conf)
    return system_files(dirs, dialect, root=root)
