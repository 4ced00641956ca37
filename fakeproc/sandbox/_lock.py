"""Waiting for a state file's lock visibly and within a bound, and refusing one held by a live mount.

The lock is the ``flock`` that :class:`~fakeproc.state.StateFile` takes on ``PATH.lock``.
``/proc/locks`` names the process holding it; a ``fakeproc mount`` server holds it for as
long as its mount lives, so a command that would wait for it is refused at once instead.

>>> lock_holder("/nonexistent/state.json.lock") is None
True
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fakeproc.errors import UsageError
from fakeproc.sandbox._mounts import alive, is_fakeproc, mount_table, server_pid

if TYPE_CHECKING:
    from fakeproc.model import Kernel

__all__ = ["Notify", "describe", "lock_holder", "locked_state"]

#: Where a one-line progress message goes (the CLI prints it on stderr; None: nowhere).
Notify = Callable[[str], None]

_POLL = 0.05


def describe(pid: int) -> str:
    """``pid N (command line)`` for a message."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = ""
    return f"pid {pid} ({cmd})" if cmd else f"pid {pid}"


def lock_holder(lock_path: str) -> int | None:
    """The pid holding a ``flock`` on ``lock_path`` according to ``/proc/locks`` (None if none)."""
    try:
        st = os.stat(lock_path)
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF" (blocked waiters carry "->" first)
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
            continue
        if fields[5] == dev and fields[4].isdigit():
            return int(fields[4])
    return None


def _mount_of(pid: int) -> str | None:
    """The mountpoint a long-lived server ``pid`` serves (``fakeproc mount``), None if it serves
    none. The transient mountpoints of ``run`` and ``mounted()`` (``mnt-<pid>-*``) do not count:
    their holder ends on its own, so it is waited for."""
    transient = f"mnt-{pid}-"
    for entry in mount_table():
        if (
            is_fakeproc(entry)
            and server_pid(entry.source) == pid
            and not os.path.basename(entry.mountpoint).startswith(transient)
        ):
            return entry.mountpoint
    return None


@contextlib.contextmanager
def locked_state(
    path: str, profile: str | None, *, timeout: float | None = None, notify: Notify | None = None
) -> Iterator[Kernel]:
    """:meth:`StateFile.open <fakeproc.state.StateFile.open>`, but a wait for the lock says who holds
    it (once, through ``notify``) and gives up after ``timeout`` seconds.

    Raises:
        UsageError: the lock is held by a live ``fakeproc mount`` server (at once), or was not
            released within ``timeout`` (the message names the holder).
    """
    from fakeproc.state import StateFile

    state = StateFile(path)
    try:
        state.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(state.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise UsageError(f"cannot use state file {state.path}: {e.strerror}") from None
    try:
        _acquire(fd, str(state.path), str(state.lock_path), timeout, notify)
        kernel = state.load(profile)
        try:
            yield kernel
        finally:
            state.save(kernel)
    finally:
        os.close(fd)


def _acquire(fd: int, path: str, lock_path: str, timeout: float | None, notify: Notify | None) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = lock_holder(lock_path)
        if holder is not None and alive(holder):
            mountpoint = _mount_of(holder)
            if mountpoint is not None:
                raise UsageError(
                    f"state file {path} is in use by the fakeproc mount at {mountpoint} (server pid "
                    f"{holder}); use that mount, or `fakeproc umount {mountpoint}` first"
                )
        if not told and notify is not None:
            who = describe(holder) if holder is not None else "another process"
            limit = f" (at most {timeout:g} s)" if timeout is not None else ""
            notify(f"waiting for the lock on {path}, held by {who}{limit}")
            told = True
        if deadline is not None and time.monotonic() >= deadline:
            who = describe(holder) if holder is not None else "another process"
            raise UsageError(f"gave up after {timeout:g} s waiting for the lock on {path}, held by {who}")
        time.sleep(_POLL)
