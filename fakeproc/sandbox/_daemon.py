"""``fakeproc mount`` / ``fakeproc umount``: a long-lived server for a mountpoint.

The server process shows up in the mount table as source ``fakeproc:PID``, so
``umount`` can wait for it to save its state and exit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import time
from types import FrameType

from fakeproc.errors import FakeprocError, UnavailableError, UsageError
from fakeproc.sandbox._checks import require_fuse
from fakeproc.sandbox._kernel import open_kernel
from fakeproc.sandbox._mount import start_mount
from fakeproc.sandbox._mounts import (
    alive,
    clean_dead_mount,
    find_mount,
    is_fakeproc,
    probe,
    server_pid,
    unmount,
)

__all__ = ["serve_mount", "unmount_path"]


class _Stop(Exception):
    pass


def serve_mount(
    mountpoint: str,
    *,
    profile: str | None = None,
    state: str | None = None,
    foreground: bool = False,
    identity: str = "root",
) -> str:
    """Mount a kernel at ``mountpoint`` and serve it until it is unmounted or signalled.

    In the background (default) the server is a detached child process and this
    returns once the mount answers requests. In the foreground this blocks;
    SIGTERM, SIGINT and SIGHUP unmount, save the state and return.

    Returns:
        A one-line description of what happened.

    Raises:
        UnavailableError: FUSE is not usable here.
        UsageError: the mountpoint is in use or missing.
    """
    mountpoint = os.path.abspath(mountpoint)
    require_fuse()
    if not os.path.isdir(mountpoint) and not os.path.ismount(mountpoint):
        raise UsageError(f"mountpoint {mountpoint} does not exist or is not a directory")
    clean_dead_mount(mountpoint)
    if foreground:
        _serve(mountpoint, profile, state, None, identity)
        return f"unmounted {mountpoint}"
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the daemon
        os.close(r)
        code = 0
        try:
            os.setsid()
            _serve(mountpoint, profile, state, w, identity)
        except FakeprocError as e:
            _report(w, f"error: {e}")
            code = e.exit_code
        except BaseException as e:  # noqa: BLE001
            _report(w, f"error: {e}")
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        message = f.read().decode(errors="replace").strip()
    if message != "ok":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        text = message.removeprefix("error: ") or "the server exited before mounting"
        raise UnavailableError(text)
    return f"mounted at {mountpoint} (server pid {pid}); end it with `fakeproc umount {mountpoint}`"


def _report(fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, text.encode() + b"\n")
        os.close(fd)


def _serve(
    mountpoint: str, profile: str | None, state: str | None, ready_fd: int | None, identity: str
) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop()

    with open_kernel(None, profile, state) as kernel:
        old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        try:
            handle = start_mount(
                kernel, mountpoint, options={"fsname": f"fakeproc:{os.getpid()}"}, identity=identity
            )
            try:
                if ready_fd is not None:
                    _report(ready_fd, "ok")
                    _detach_stdio()
                while not handle.server.wait(3600):
                    pass
            except _Stop:
                pass
            finally:
                for s in old:
                    signal.signal(s, signal.SIG_IGN)
                handle.close()
        finally:
            for s, h in old.items():
                signal.signal(s, h)


def _detach_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def unmount_path(mountpoint: str, *, timeout: float = 30.0) -> str:
    """Unmount a fakeproc mount and wait for its server to save its state and exit.

    A dead mount (server killed) is cleaned up lazily.

    Returns:
        A one-line description of what happened.

    Raises:
        UsageError: nothing, or something other than fakeproc, is mounted there.
        OSError: EBUSY when a process still uses the mount.
    """
    mountpoint = os.path.abspath(mountpoint)
    entry = find_mount(mountpoint)
    if entry is None:
        raise UsageError(f"{mountpoint} is not mounted")
    if not is_fakeproc(entry):
        raise UsageError(f"{mountpoint} is a {entry.fstype} mount, not fakeproc's")
    try:
        probe(mountpoint)
    except OSError as e:
        if e.errno in (errno.ENOTCONN, errno.ECONNABORTED):
            unmount(mountpoint, lazy=True)
            return f"cleaned up the dead mount at {mountpoint} (its server was gone)"
        raise
    unmount(mountpoint)
    pid = server_pid(entry.source)
    if pid and pid != os.getpid():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.02)
    return f"unmounted {mountpoint}"
