"""Fixtures shared by the FUSE and sandbox tests: a mounted kernel, leak and host-safety checks.

Imported by ``tests/fuse/conftest.py`` and ``tests/sandbox/conftest.py``.
"""

from __future__ import annotations

__all__ = ["_host_proc_sys_unchanged", "_no_mount_left_behind", "kernel", "mount"]

import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.fuse.support import FUSE_OK, FUSE_WHY, fuse_mount_lines, host_values


@pytest.fixture(scope="session", autouse=True)
def _host_proc_sys_unchanged() -> Iterator[None]:
    """The host's /proc/sys must read the same after the suite as before it."""
    before = host_values()
    yield
    assert host_values() == before, "the host's /proc/sys changed during the tests"


@pytest.fixture(autouse=True)
def _no_mount_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test must unmount what it mounted; leftovers are cleaned up and fail the test.

    Only this process's mounts (source ``fakeproc:PID``) and mounts under this session's own
    temporary directory count: other suites mount at the same time on a shared machine, also
    under ``/tmp/pytest-of-<user>``, and their mounts are never touched.
    """
    before = fuse_mount_lines()
    yield
    base = f" {tmp_path_factory.getbasetemp()}/"
    ours = (f"fakeproc:{os.getpid()} ", base)
    left = {line for line in fuse_mount_lines() - before if any(mark in line for mark in ours)}
    for line in left:
        subprocess.run(["umount", "-l", line.split()[1]], check=False)
    assert not left, f"FUSE mounts left behind: {sorted(left)}"


@pytest.fixture
def kernel():
    from fakeproc import Kernel

    return Kernel("6.18")


@pytest.fixture
def mount(kernel):
    """A live mount of a fresh 6.18 kernel (request counting on)."""
    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    from fakeproc.sandbox import mounted

    with mounted(kernel, count_requests=True) as handle:
        yield handle
