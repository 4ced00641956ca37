"""Fixtures for the syscall fidelity tests: the mount leak and host-safety checks of the FUSE tests."""

from __future__ import annotations

from tests.mount_fixtures import _host_proc_sys_unchanged, _no_mount_left_behind

__all__ = ["_host_proc_sys_unchanged", "_no_mount_left_behind"]
