"""The kernel a mount or a run serves: given, booted from a profile, or loaded from a state file.

>>> with open_kernel(None, "6.18", None) as k:
...     k.read("kernel.ostype")
'Linux\\n'
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

from fakeproc.errors import UsageError
from fakeproc.sandbox._lock import Notify, locked_state

if TYPE_CHECKING:
    from fakeproc.model import Kernel

__all__ = ["open_kernel", "save_on_signal"]


@contextlib.contextmanager
def open_kernel(
    kernel: Kernel | None,
    profile: str | None,
    state: str | None,
    *,
    signals: bool = False,
    lock_timeout: float | None = None,
    notify: Notify | None = None,
) -> Iterator[Kernel]:
    """The kernel to serve for the block.

    Args:
        kernel: Serve this one (its owner keeps it).
        profile: Boot a new kernel from this profile (or the state file's, when it is new).
        state: Load from this state file under its lock and save it atomically at the end.
        signals: With ``state``: SIGTERM/SIGHUP end the block cleanly (the state is saved).
        lock_timeout: With ``state``: give up waiting for its lock after this many seconds.
        notify: Gets one line when the lock is busy (who holds it).

    Raises:
        UsageError: both ``kernel`` and ``state`` given; the state's lock is held by a live
            mount, or not released within ``lock_timeout``.
    """
    if kernel is not None and state is not None:
        raise UsageError("give either a kernel or a state file, not both")
    if state is not None:
        with locked_state(state, profile, timeout=lock_timeout, notify=notify) as k:
            if signals:
                with save_on_signal():
                    yield k
            else:
                yield k
        return
    if kernel is None:
        from fakeproc.model import Kernel

        kernel = Kernel(profile)
    yield kernel


@contextlib.contextmanager
def save_on_signal() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into ``SystemExit(128 + signal)`` for the block (main thread only), so
    that the context managers around it (a state file's save) run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    old = {s: signal.signal(s, _exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
