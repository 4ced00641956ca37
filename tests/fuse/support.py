"""Shared by tests/fuse and tests/sandbox: skips, leak checks, host-safety checks, helpers."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from fakeproc.sandbox import fuse_available

__all__ = [
    "FUSE_OK",
    "FUSE_WHY",
    "HOST_KEYS",
    "REPO",
    "TEST_USER",
    "dev_fuse_mode",
    "fuse_mount_lines",
    "host_values",
    "requires_fuse",
    "requires_root",
    "requires_tool",
    "sh",
    "unprivileged_python",
]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUSE_OK, FUSE_WHY = fuse_available()

requires_fuse = pytest.mark.skipif(not FUSE_OK, reason=f"FUSE is not usable here: {FUSE_WHY}")
requires_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (real namespaces, setpriv, useradd)")

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

TEST_USER = "fakeproc-test"


def requires_tool(*names: str) -> pytest.MarkDecorator:
    """Skip unless every tool is on PATH (or an absolute path that exists)."""
    missing = [n for n in names if not (shutil.which(n) or (os.path.isabs(n) and os.path.exists(n)))]
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


def _user_can_run(user: str, argv: list[str], env: dict[str, str]) -> bool:
    try:
        done = as_user(user, argv, env, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _drop_args(user: str) -> list[str]:
    pw = pwd.getpwnam(user)
    return [f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"]


def ensure_test_user() -> str:
    """Create the unprivileged test user if needed (root only)."""
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", TEST_USER], check=True)
    return TEST_USER


def unprivileged_python(user: str, tmp: str) -> tuple[list[str], dict[str, str]]:
    """A Python command line and environment with which ``user`` can import fakeproc and fusepy.

    The suite's own interpreter if the user can run it; else /usr/bin/python3 with the
    repository and a copy of fusepy's single module on PYTHONPATH.
    """
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": tmp, "PYTHONPATH": REPO}
    probe = ["-c", "import fakeproc.sandbox, mfusepy"]
    if _user_can_run(user, [sys.executable, *probe], env):
        return [sys.executable], env
    import mfusepy

    deps = os.path.join(tmp, "pydeps")
    os.makedirs(deps, exist_ok=True)
    shutil.copy(mfusepy.__file__, deps)
    os.chmod(tmp, 0o755)
    for dirpath, dirnames, filenames in os.walk(tmp):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    env["PYTHONPATH"] = f"{REPO}:{deps}"
    for candidate in ("/usr/bin/python3",):
        if os.path.exists(candidate) and _user_can_run(user, [candidate, *probe], env):
            return [candidate], env
    pytest.skip(f"no Python interpreter that {user} can run with fakeproc importable")
    raise AssertionError  # unreachable


def as_user(
    user: str, argv: list[str], env: dict[str, str], **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as ``user`` (uid, gid, no supplementary groups, clean environment)."""
    kwargs.setdefault("check", False)
    return subprocess.run(  # noqa: PLW1510 - check is in kwargs
        ["setpriv", *_drop_args(user), "--", *argv],
        env=env,
        capture_output=True,
        text=True,
        **kwargs,
    )


@contextlib.contextmanager
def dev_fuse_mode(mode: int) -> Iterator[None]:
    """Set /dev/fuse's mode for the block (root only) and always restore it."""
    old = stat.S_IMODE(os.stat("/dev/fuse").st_mode)
    os.chmod("/dev/fuse", mode)
    try:
        yield
    finally:
        os.chmod("/dev/fuse", old)
