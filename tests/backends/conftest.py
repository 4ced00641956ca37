"""Fixtures for the backend tests: a kernel served by each backend, and the shared mount checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.mount_fixtures import _host_proc_sys_unchanged, _no_mount_left_behind, kernel, mount

__all__ = ["_host_proc_sys_unchanged", "_no_mount_left_behind", "kernel", "mount", "served"]


@pytest.fixture(params=["seccomp", "emulated"])
def served(request: Any, kernel: Any, capfd: Any) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """``run(argv) -> (status, stdout, stderr)`` under the backend named by the parameter,
    serving ``kernel`` (the seccomp backend through a FUSE mount of it)."""
    from fakeproc.backends.seccomp import available

    why = available()
    if why is not None:
        pytest.skip(why)
    if request.param == "emulated":
        from fakeproc.backends.emulated import run_emulated

        def run(argv: list[str], **kw: Any) -> tuple[int, str, str]:
            capfd.readouterr()
            status = run_emulated(argv, kernel=kernel, **kw)
            out, err = capfd.readouterr()
            return status, out, err

        run.backend = "emulated"  # type: ignore[attr-defined]
        yield run
        return
    from tests.fuse.support import FUSE_OK, FUSE_WHY

    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    from fakeproc.backends.seccomp import run_redirected
    from fakeproc.sandbox import mounted

    with mounted(kernel) as m:
        def run_s(argv: list[str], **kw: Any) -> tuple[int, str, str]:
            capfd.readouterr()
            status = run_redirected(argv, mountpoint=m.path, **kw)
            out, err = capfd.readouterr()
            return status, out, err

        run_s.backend = "seccomp"  # type: ignore[attr-defined]
        yield run_s
