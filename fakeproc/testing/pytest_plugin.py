"""pytest plugin (entry point ``pytest11: fakeproc``): ``fake_kernel`` and ``fake_procsys``.

Both fixtures are thin wrappers around :mod:`fakeproc.testing`'s context
managers. The profile comes from ``@pytest.mark.kernel_profile("4.15")`` on the
test (or class or module), else from ``--fakeproc-profile``, else the default.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from fakeproc.errors import UnavailableError
from fakeproc.model import Kernel
from fakeproc.testing._support import FakeKernel, kernel, procsys, skip_reason

__all__ = ["fake_kernel", "fake_procsys"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakeproc")
    group.addoption("--fakeproc-profile", default=None, metavar="NAME",
                    help="kernel profile for the fake_kernel and fake_procsys fixtures (default: 6.18)")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"fakeproc: signal {signum}: stopping, unmounting fake /proc/sys mounts")


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM's default action ends the process without unwinding, which would leave live
    # FUSE mounts behind. As a KeyboardInterrupt it unwinds: the running command's process
    # group is killed (ProcSys.run), fixtures close, and atexit unmounts the rest. (After
    # SIGKILL, the next mount sweeps dead mounts: fakeproc.sandbox.sweep_dead_mounts.)
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
    config.addinivalue_line("markers", "kernel_profile(name): the kernel profile fakeproc's fixtures load")
    config.addinivalue_line("markers", "kernel_devices(*names): network devices the fixture kernel has at boot "
                            "and after every reset() (e.g. 'eth0.100')")


def _profile(request: pytest.FixtureRequest) -> str | None:
    marker = request.node.get_closest_marker("kernel_profile")
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str):
            raise pytest.UsageError(f"kernel_profile takes one profile name, got {marker.args!r}")
        return marker.args[0]
    value = request.config.getoption("--fakeproc-profile", default=None)
    return None if value is None else str(value)


def _devices(request: pytest.FixtureRequest) -> list[str]:
    names: list[str] = []
    for marker in request.node.iter_markers("kernel_devices"):
        if not all(isinstance(a, str) for a in marker.args):
            raise pytest.UsageError(f"kernel_devices takes device names, got {marker.args!r}")
        names.extend(a for a in marker.args if a not in names)
    return names


@pytest.fixture
def fake_kernel(request: pytest.FixtureRequest) -> Iterator[FakeKernel]:
    """A fresh in-process fake kernel; ``fake_kernel.write_log`` records every write
    (``fakeproc.testing.write_log(fake_kernel)`` gives assertion helpers), and
    ``fake_kernel.reset()`` puts it back in its boot state (for each Hypothesis example)."""
    with kernel(_profile(request), devices=_devices(request)) as k:
        yield k


@pytest.fixture
def fake_procsys(fake_kernel: Kernel) -> Iterator[Any]:
    """``fake_kernel`` mounted through FUSE: ``.path``, ``.kernel``, ``.run(argv, **kw)``
    (the command sees the tree at ``/proc/sys``) and ``.reset()`` (boot state again, without
    remounting). Skipped, with the reason, where the mount
    cannot be made here (checked first, or found by the mount itself);
    ``FAKEPROC_REQUIRE_MOUNT=1`` makes that a failure."""
    reason = skip_reason()
    stack = contextlib.ExitStack()
    if reason is None:
        try:
            handle = stack.enter_context(procsys(fake_kernel))
        except UnavailableError as e:
            reason = f"fakeproc: FUSE mount unavailable: {e}"
    if reason is not None:
        message = reason
        if os.environ.get("FAKEPROC_REQUIRE_MOUNT") == "1":
            pytest.fail(f"{message} (FAKEPROC_REQUIRE_MOUNT=1)", pytrace=False)
        pytest.skip(message)
    with stack:
        yield handle
