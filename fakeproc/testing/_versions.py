"""Which release of procps and systemd-sysctl the oracle imitates.

The oracle takes a dialect: an exact one (``procps-4.0.2``, ``procps-4.0.6``,
``systemd-252``, ``systemd-254``, or any of :data:`fakeproc.sysctlconf.DIALECTS`),
or a tool name (``procps``, ``systemd``), which means the release installed on
this machine (``sysctl --version``, ``systemd-sysctl --version``), else
``$FAKEPROC_PROCPS_VERSION`` / ``$FAKEPROC_SYSTEMD_VERSION`` when set (they win),
else the newest release fakeproc knows.

>>> resolve_dialect("procps-4.0.6"), resolve_dialect("systemd-254"), resolve_dialect("procps-4.0.3")
('procps', 'systemd', 'procps-4.0.2')
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess

from fakeproc.sysctlconf import DIALECTS, dialect_for

__all__ = ["installed_version", "resolve_dialect", "tool_binary"]

_ENV = {"procps": "FAKEPROC_PROCPS_VERSION", "systemd": "FAKEPROC_SYSTEMD_VERSION"}
_SYSTEMD_SYSCTL = ("/lib/systemd/systemd-sysctl", "/usr/lib/systemd/systemd-sysctl")


def _parse_version(text: str) -> tuple[int, ...] | None:
    m = re.search(r"(\d+(?:\.\d+)*)", text)
    return tuple(int(x) for x in m.group(1).split(".")) if m else None


def tool_binary(tool: str) -> str | None:
    """The path of ``tool``'s binary here (``sysctl`` of procps, ``systemd-sysctl``), or None."""
    if tool == "procps":
        return shutil.which("sysctl", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if tool == "systemd":
        return next((p for p in _SYSTEMD_SYSCTL if os.access(p, os.X_OK)), None) or shutil.which("systemd-sysctl")
    raise ValueError(f"unknown tool {tool!r} (known: procps, systemd)")


@functools.cache
def _probe(tool: str) -> tuple[int, ...] | None:
    binary = tool_binary(tool)
    if binary is None:
        return None
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if tool == "procps":
        m = re.search(r"procps-ng (\S+)", out)
        return _parse_version(m.group(1)) if m else None
    m = re.match(r"systemd (\d+)", out)
    return (int(m.group(1)),) if m else None


def installed_version(tool: str) -> tuple[int, ...] | None:
    """The version of ``tool`` (``"procps"`` or ``"systemd"``) the oracle follows by default:
    ``$FAKEPROC_PROCPS_VERSION`` / ``$FAKEPROC_SYSTEMD_VERSION`` if set, else the installed
    binary's ``--version`` (probed once per process), else None."""
    if tool not in _ENV:
        raise ValueError(f"unknown tool {tool!r} (known: procps, systemd)")
    env = os.environ.get(_ENV[tool])
    if env:
        return _parse_version(env)
    return _probe(tool)


def resolve_dialect(dialect: str) -> str:
    """The :data:`~fakeproc.sysctlconf.DIALECTS` entry for a tool name, an exact dialect or
    ``TOOL-VERSION`` (``procps-4.0.3``, ``systemd-255``).

    Raises:
        ValueError: unknown dialect.
    """
    if dialect in ("procps", "systemd"):
        return dialect_for(dialect, installed_version(dialect))
    if dialect in DIALECTS:
        return dialect
    tool, _, version = dialect.partition("-")
    parsed = _parse_version(version) if tool in _ENV else None
    if parsed is None:
        raise ValueError(f"unknown sysctl.conf dialect {dialect!r} (known: procps, systemd, "
                         f"{', '.join(DIALECTS)}, or TOOL-VERSION such as procps-4.0.3)")
    return dialect_for(tool, parsed)
