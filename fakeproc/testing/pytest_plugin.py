"""pytest plugin (entry point ``pytest11: fakeproc``): ``fake_kernel`` and ``fake_procsys``.

Both fixtures are thin wrappers around :mod:`fakeproc.testing`'s context
managers. The profile comes from ``@pytest.mark.kernel_profile("4.15")`` on the
test (or class or module), else from ``--fakeproc-profile``, else the default.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest

from fakeproc.errors import UnavailableError
from fakeproc.model import Kernel
from fakeproc.testing._support import kernel, procsys

__all__ = ["fake_kernel", "fake_procsys"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakeproc")
    group.addoption("--fakeproc-profile", default=None, metavar="NAME",
                    help="kernel profile for the fake_kernel and fake_procsys fixtures (default: 6.18)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kernel_profile(name): the kernel profile fakeproc's fixtures load")


def _profile(request: pytest.FixtureRequest) -> str | None:
    marker = request.node.get_closest_marker("kernel_profile")
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str):
            raise pytest.UsageError(f"kernel_profile takes one profile name, got {marker.args!r}")
        return marker.args[0]
    value = request.config.getoption("--fakeproc-profile", default=None)
    return None if value is None else str(value)


@pytest.fixture
def fake_kernel(request: pytest.FixtureRequest) -> Iterator[Kernel]:
    """A fresh in-process fake kernel; ``fake_kernel.write_log`` records every write
    (``fakeproc.testing.write_log(fake_kernel)`` gives assertion helpers)."""
    with kernel(_profile(request)) as k:
        yield k


@pytest.fixture
def fake_procsys(fake_kernel: Kernel) -> Iterator[Any]:
    """``fake_kernel`` mounted through FUSE: ``.path``, ``.kernel`` and ``.run(argv, **kw)``
    (the command sees the tree at ``/proc/sys``). Skipped, with the reason, where the mount
    cannot be made here (checked first, or found by the mount itself);
    ``FAKEPROC_REQUIRE_MOUNT=1`` makes that a failure."""
    from fakeproc.sandbox import mount_problem

    reason = mount_problem()
    stack = contextlib.ExitStack()
    if reason is None:
        try:
            handle = stack.enter_context(procsys(fake_kernel))
        except UnavailableError as e:
            reason = str(e)
    if reason is not None:
        message = f"fakeproc: FUSE mount unavailable: {reason}"
        if os.environ.get("FAKEPROC_REQUIRE_MOUNT") == "1":
            pytest.fail(f"{message} (FAKEPROC_REQUIRE_MOUNT=1)", pytrace=False)
        pytest.skip(message)
    with stack:
        yield handle
