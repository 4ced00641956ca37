"""Waiting for a child process the way a shell does: signals forwarded, status as ``128 + N``.

>>> import subprocess
>>> child = subprocess.Popen(["sh", "-c", "exit 3"])  # kept: a collected Popen may reap the child first
>>> wait_forwarding(child.pid)
3
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from types import FrameType

__all__ = ["FORWARDED", "wait_forwarding"]

#: Signals passed on to the child while waiting (SIGINT only when the terminal did not send it already).
FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT)


def wait_forwarding(child: int | subprocess.Popen[bytes]) -> int:
    """Wait for a child (pid or :class:`subprocess.Popen`), forwarding :data:`FORWARDED`.

    Returns:
        Its exit status, or 128+N if signal N killed it.
    """
    pid = child if isinstance(child, int) else child.pid
    main = threading.current_thread() is threading.main_thread()
    old: dict[int, object] = {}

    def forward(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_delivers():
            return  # the terminal sent it to the command's process group already
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    if main:
        for signum in FORWARDED:
            old[signum] = signal.signal(signum, forward)
    try:
        if isinstance(child, int):
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
        else:
            code = child.wait()
    finally:
        for number, handler in old.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
    return code if code >= 0 else 128 - code


def _terminal_delivers() -> bool:
    """Whether this process is in the terminal's foreground group (so Ctrl-C also hit the command)."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False
