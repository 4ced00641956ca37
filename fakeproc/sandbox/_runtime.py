"""Private runtime directories for mountpoints: one per real user, never shared, reclaimed after a crash.

A mountpoint lives in a directory only its user can enter: ``$XDG_RUNTIME_DIR/fakeproc``,
``/run/fakeproc`` (root) or ``<tmp>/fakeproc-<uid>``, where ``<uid>`` is the *real* user
also inside a user namespace (where every user is uid 0 and would otherwise share
``/tmp/fakeproc-0``). A candidate is used only if it is a real directory (not a symlink),
owned by this user and closed to others (0700); a planted one is skipped for the next,
and the last resort is a fresh ``mkdtemp`` directory. Mountpoints are named
``mnt-<pid>-*`` after the process that made them, so the next run can remove those a
killed process left behind.

>>> real_uid() == os.getuid() or os.path.exists("/proc/self/uid_map")
True
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import logging
import os
import re
import stat
import tempfile
import time

from fakeproc.errors import UnavailableError, UsageError
from fakeproc.sandbox._mounts import alive, clean_dead_mount, find_mount, is_fakeproc, mount_table, server_pid

__all__ = ["make_mountpoint", "real_uid", "reclaim_leftovers", "runtime_dir", "sweep_dead_mounts"]

log = logging.getLogger("fakeproc.sandbox")

_MNT = re.compile(r"mnt-(\d+)-")
_STATUS = re.compile(r"server-(\d+)\.json$")

#: Seconds a dead server's exit status (``server-PID.json``, for ``fakeproc umount``, which reads
#: it as the server ends) is kept for a reader before the next mount removes it.
STATUS_KEEP = 600.0
_fallback: str | None = None


def real_uid() -> int:
    """This process's uid outside any user namespace it is root of (its own uid otherwise)."""
    uid = os.getuid()
    if uid != 0:
        return uid
    try:
        with open("/proc/self/uid_map") as f:
            lines = [line.split() for line in f if line.strip()]
    except OSError:
        return uid
    if len(lines) == 1 and lines[0][0] == "0" and lines[0][2] != "4294967295":
        return int(lines[0][1])
    return uid


def _private(path: str) -> str | None:
    """Why ``path`` cannot be this user's private directory (None if it can); created 0700 if missing."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        return e.strerror or str(e)
    try:
        st = os.lstat(path)
    except OSError as e:
        return e.strerror or str(e)
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if st.st_uid != os.geteuid():
        return f"it is owned by uid {st.st_uid}"
    if st.st_mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as e:
            return f"cannot make it private ({e.strerror})"
    return None


def _candidates() -> list[str]:
    out = []
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isabs(xdg):
        out.append(os.path.join(xdg, "fakeproc"))
    if os.geteuid() == 0 and real_uid() == 0:
        out.append("/run/fakeproc")
    out.append(os.path.join(tempfile.gettempdir(), f"fakeproc-{real_uid()}"))
    return out


def runtime_dir() -> str:
    """This user's private directory for mountpoints (created 0700 if needed).

    Raises:
        UnavailableError: no candidate is usable and no fresh one can be made (the message names each).
    """
    global _fallback
    refused = []
    for path in _candidates():
        why = _private(path)
        if why is None:
            return path
        refused.append(f"{path} ({why})")
    if _fallback is not None and _private(_fallback) is None:
        return _fallback
    try:
        _fallback = tempfile.mkdtemp(prefix=f"fakeproc-{real_uid()}-")
    except OSError as e:
        raise UnavailableError(
            "no private directory for a mountpoint: " + "; ".join(refused) + f"; mkdtemp: {e.strerror}"
        ) from None
    log.warning("not using %s: made %s instead", "; ".join(refused), _fallback)
    atexit.register(_remove_fallback, _fallback)
    return _fallback


def _remove_fallback(path: str) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(path)


def make_mountpoint() -> str:
    """A new empty mountpoint in :func:`runtime_dir`, named after this process."""
    return tempfile.mkdtemp(prefix=f"mnt-{os.getpid()}-", dir=runtime_dir())


def reclaim_leftovers(base: str | None = None) -> int:
    """Remove the mountpoints that dead processes left in ``base`` (default: :func:`runtime_dir`),
    and the exit status files of servers dead for longer than :data:`STATUS_KEEP`, which no
    ``fakeproc umount`` read (their mount ended another way).

    A dead FUSE mount on one is cleaned up first; a mountpoint whose process is alive, or
    that still has a live mount, is left alone.

    Returns:
        How many directories were removed.
    """
    base = base or runtime_dir()
    removed = 0
    try:
        names = os.listdir(base)
    except OSError:
        return 0
    for name in names:
        m = _MNT.match(name)
        if m is None:
            _reclaim_status(base, name)
            continue
        if alive(int(m.group(1))):
            continue
        path = os.path.join(base, name)
        entry = find_mount(path)
        holder = server_pid(entry.source) if entry is not None else None
        if holder is not None and alive(holder):
            continue  # a live server: never probe it (a stopped one would hang the probe)
        try:
            if entry is not None and not clean_dead_mount(path):
                continue
            os.rmdir(path)
            removed += 1
        except (OSError, UsageError) as e:
            if getattr(e, "errno", None) not in (errno.ENOENT, errno.ENOTEMPTY, errno.EBUSY, None):
                log.info("cannot reclaim %s: %s", path, e)
    return removed


def _reclaim_status(base: str, name: str) -> None:
    m = _STATUS.match(name)
    if m is None or alive(int(m.group(1))):
        return
    path = os.path.join(base, name)
    with contextlib.suppress(OSError):
        if time.time() - os.stat(path).st_mtime > STATUS_KEEP:
            os.unlink(path)


def sweep_dead_mounts() -> int:
    """Unmount dead fakeproc mounts (servers killed) under :func:`runtime_dir`; returns how many."""
    base = runtime_dir() + "/"
    cleaned = 0
    for entry in mount_table():
        if entry.mountpoint.startswith(base) and is_fakeproc(entry):
            pid = server_pid(entry.source)
            if pid is not None and alive(pid):
                continue  # never probe a live server (it might be stopped, and the probe would hang)
            try:
                if clean_dead_mount(entry.mountpoint):
                    cleaned += 1
                    with contextlib.suppress(OSError):
                        os.rmdir(entry.mountpoint)
            except (OSError, UsageError):
                continue
    return cleaned + reclaim_leftovers(base.rstrip("/"))
