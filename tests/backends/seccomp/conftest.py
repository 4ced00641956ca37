"""Fixtures for the seccomp backend tests (the shared mount fixtures)."""

from __future__ import annotations

from tests.mount_fixtures import _host_proc_sys_unchanged, _no_mount_left_behind, kernel, mount

__all__ = ["_host_proc_sys_unchanged", "_no_mount_left_behind", "kernel", "mount"]
