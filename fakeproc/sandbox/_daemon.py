"""``fakeproc mount`` / ``fakeproc umount``: a long-lived server for a mountpoint.

The server process shows up in the mount table as source ``fakeproc:PID``, so
``umount`` can wait for it to save its state and exit.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
import time
from types import FrameType

from fakeproc.errors import FakeprocError, UnavailableError, UsageError
from fakeproc.sandbox._checks import require_fuse
from fakeproc.sandbox._kernel import open_kernel
from fakeproc.sandbox._lock import Notify, describe
from fakeproc.sandbox._mount import serving_busy_poll, start_mount
from fakeproc.sandbox._mounts import (
    alive,
    clean_dead_mount,
    find_mount,
    is_fakeproc,
    probe,
    server_pid,
    unmount,
)
from fakeproc.sandbox._runtime import runtime_dir

__all__ = ["MountHeld", "mount_holders", "serve_mount", "status_path", "unmount_path"]


class _Stop(Exception):
    pass


def serve_mount(
    mountpoint: str,
    *,
    profile: str | None = None,
    state: str | None = None,
    foreground: bool = False,
    identity: str = "root",
    lock_timeout: float | None = None,
    notify: Notify | None = None,
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
        _serve(mountpoint, profile, state, None, identity, lock_timeout, notify)
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
            _serve(mountpoint, profile, state, w, identity, lock_timeout, notify)
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
    mountpoint: str,
    profile: str | None,
    state: str | None,
    ready_fd: int | None,
    identity: str,
    lock_timeout: float | None,
    notify: Notify | None,
) -> None:
    """Serve until unmounted (also lazily, once the last user is gone) or signalled, then save the
    state and leave a status file saying so for ``umount``."""
    status = status_path(os.getpid())
    try:
        _serve_kernel(mountpoint, profile, state, ready_fd, identity, lock_timeout, notify)
    except BaseException as e:
        _write_status(status, {"saved": False, "state": state, "error": str(e)})
        raise
    _write_status(status, {"saved": state is not None, "state": state})


def status_path(pid: int) -> str:
    """Where the server ``pid`` leaves its exit status (in its user's runtime directory)."""
    return os.path.join(runtime_dir(), f"server-{pid}.json")


def _write_status(path: str, status: dict[str, object]) -> None:
    with contextlib.suppress(OSError, ValueError), open(path, "w") as f:
        json.dump(status, f)


def _read_status(pid: int) -> dict[str, object] | None:
    try:
        path = status_path(pid)
        with open(path) as f:
            status: dict[str, object] = json.load(f)
        os.unlink(path)
    except (OSError, ValueError, FakeprocError):
        return None
    return status


def _serve_kernel(
    mountpoint: str,
    profile: str | None,
    state: str | None,
    ready_fd: int | None,
    identity: str,
    lock_timeout: float | None,
    notify: Notify | None,
) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop()

    with open_kernel(None, profile, state, lock_timeout=lock_timeout, notify=notify) as kernel:
        old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        try:
            handle = start_mount(
                kernel, mountpoint, options={"fsname": f"fakeproc:{os.getpid()}"}, identity=identity,
                busy_poll_us=serving_busy_poll(),
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


def unmount_path(mountpoint: str, *, timeout: float = 30.0, notify: Notify | None = None) -> str:
    """Unmount a fakeproc mount and wait for its server to save its state and exit.

    A dead mount (server killed) is cleaned up lazily. When another mount namespace still holds
    a copy of the mount, the server keeps serving it: this says so through ``notify`` and waits
    up to ``timeout`` seconds.

    Returns:
        A one-line description of what happened: whether the server ended and saved.

    Raises:
        UsageError: nothing, or something other than fakeproc, is mounted there.
        MountHeld: the server did not end within ``timeout`` (the message names what holds
            the mount; exit status 1).
        OSError: EBUSY when a process still uses the mount here.
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
    if not pid or pid == os.getpid():
        return f"unmounted {mountpoint}"
    if not _wait_exit(pid, min(1.0, timeout)):
        holders = mount_holders(pid)
        where = ", ".join(describe(h) for h in holders[:3]) or "another process"
        if notify is not None:
            notify(
                f"the server (pid {pid}) keeps serving: its mount is still held by {where} in another "
                f"mount namespace; waiting up to {timeout:g} s"
            )
        if not _wait_exit(pid, timeout):
            raise MountHeld(
                f"unmounted {mountpoint} here, but its server (pid {pid}) did not end: the mount is "
                f"still held by {where} in another mount namespace; end those processes, or "
                f"`kill -TERM {pid}` (the server saves its state and exits)"
            )
    status = _read_status(pid)
    if status is None:
        return f"unmounted {mountpoint}; the server (pid {pid}) ended"
    if status.get("error"):
        return f"unmounted {mountpoint}; the server (pid {pid}) ended WITHOUT saving: {status['error']}"
    if status.get("saved"):
        return f"unmounted {mountpoint}; the server (pid {pid}) ended and saved its state to {status['state']}"
    return f"unmounted {mountpoint}; the server (pid {pid}) ended (no state file)"


class MountHeld(FakeprocError):
    """``umount`` could not end the server: another mount namespace holds its mount."""

    exit_code = 1


def _wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def mount_holders(pid: int) -> list[int]:
    """One process per other mount namespace that still has the mount of server ``pid``."""
    mark = f" - fuse.fakeproc fakeproc:{pid} ".encode()
    own = _mnt_ns("self")
    seen: dict[str, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        ns = _mnt_ns(name)
        if ns is None or ns == own or ns in seen:
            continue
        try:
            with open(f"/proc/{name}/mountinfo", "rb") as f:
                if mark in f.read():
                    seen[ns] = int(name)
        except OSError:
            continue
    return sorted(seen.values())


def _mnt_ns(pid: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None
