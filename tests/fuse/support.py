"""Shared by tests/fuse and tests/sandbox: skips, leak checks, host-safety checks, helpers."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from fakeproc.sandbox import fuse_available

__all__ = [
    "FUSE_OK",
    "FUSE_WHY",
    "HOST_KEYS",
    "REPO",
    "fuse_mount_lines",
    "host_values",
    "requires_fuse",
    "requires_root",
    "requires_tool",
    "sh",
]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUSE_OK, FUSE_WHY = fuse_available()

requires_fuse = pytest.mark.skipif(not FUSE_OK, reason=f"FUSE is not usable here: {FUSE_WHY}")
requires_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (real namespaces, private device nodes, setpriv)")

#: Host keys whose values must never change while the suite runs (read-only checks).
HOST_KEYS = (
    "kernel/sem",
    "kernel/domainname",
    "kernel/hostname",
    "vm/swappiness",
    "fs/protected_fifos",
    "net/ipv4/ip_local_reserved_ports",
    "kernel/sysctl_writes_strict",
    "vm/dirty_ratio",
)



def requires_tool(*names: str) -> pytest.MarkDecorator:
    """Skip unless every tool is on PATH (or an absolute path that exists)."""
    from fakeproc.sandbox import find_tool

    missing = [n for n in names if find_tool(n) is None]
    return pytest.mark.skipif(bool(missing), reason=f"missing tools: {', '.join(missing)} (see .ci packages)")


def fuse_mount_lines() -> set[str]:
    """The FUSE lines of this mount namespace's /proc/mounts."""
    with open("/proc/mounts") as f:
        return {line for line in f if line.split()[2].startswith("fuse")}


def host_values() -> dict[str, str]:
    """The host's values of :data:`HOST_KEYS` (read only)."""
    values = {}
    for key in HOST_KEYS:
        try:
            with open(f"/proc/sys/{key}") as f:
                values[key] = f.read()
        except OSError as e:
            values[key] = f"<{e.errno}>"
    return values


def sh(
    handle: Any, script: str, *, timeout: float = 60, check: bool = False, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``sh -c script`` with the handle's tree at /proc/sys; text output captured."""
    return handle.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=timeout, check=check, **kwargs
    )





