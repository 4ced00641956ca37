"""Mount-table helpers: find, unmount and clean up (dead) fakeproc mounts; namespace syscalls.

>>> _unescape(r"/tmp/a\\040b")
'/tmp/a b'
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import re
from dataclasses import dataclass

from fakeproc.backends.fuse import unmount
from fakeproc.errors import UsageError

__all__ = [
    "MountEntry",
    "alive",
    "clean_dead_mount",
    "enter_user_namespace",
    "find_mount",
    "is_fakeproc",
    "mount_table",
    "probe",
    "server_pid",
    "unmount",
]

log = logging.getLogger("fakeproc.sandbox")

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.unshare.argtypes = [ctypes.c_int]
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]


@dataclass(frozen=True)
class MountEntry:
    """One line of ``/proc/self/mountinfo``."""

    mountpoint: str
    fstype: str
    source: str
    device: str


def _unescape(path: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path) if "\\" in path else path


def mount_table() -> list[MountEntry]:
    """This mount namespace's mounts, in mount order."""
    entries = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            rfields = right.split()
            if len(fields) < 5 or len(rfields) < 2:
                continue
            entries.append(MountEntry(_unescape(fields[4]), rfields[0], _unescape(rfields[1]), fields[2]))
    return entries


def find_mount(path: str) -> MountEntry | None:
    """The topmost mount at exactly ``path``, if any."""
    path = os.path.abspath(path)
    found = None
    for entry in mount_table():
        if entry.mountpoint == path:
            found = entry
    return found


def is_fakeproc(entry: MountEntry) -> bool:
    """Whether a mount was made by fakeproc's FUSE server."""
    return entry.fstype == "fuse.fakeproc" or (
        entry.fstype.startswith("fuse") and entry.source.startswith("fakeproc")
    )


def clean_dead_mount(path: str) -> bool:
    """Remove a dead FUSE mount at ``path`` (its server was killed: ENOTCONN).

    Returns:
        True if a dead mount was cleaned up.

    Raises:
        UsageError: a live fakeproc server (or anything else) is mounted there.
    """
    entry = find_mount(path)
    if entry is None:
        return False
    try:
        probe(path)
    except OSError as e:
        if e.errno in (errno.ENOTCONN, errno.ECONNABORTED):
            log.warning("cleaning up the dead mount at %s (its server is gone)", path)
            unmount(path, lazy=True)
            return True
        raise
    if entry.fstype.startswith("fuse"):
        what = "a running fakeproc server" if is_fakeproc(entry) else f"a {entry.fstype} file system"
        raise UsageError(f"{path} is already mounted by {what}; unmount it first (`fakeproc umount {path}`)")
    return False


def probe(path: str) -> None:
    """Make one request that always reaches the FUSE server of ``path`` (``stat`` may be answered
    from the kernel's attribute cache; opening a directory never is).

    Raises:
        OSError: ENOTCONN for a dead mount (its server is gone).
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    os.close(fd)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter_user_namespace() -> None:
    """Move this (single-threaded) process into a new user + mount namespace as root.

    The caller's uid and gid map to 0; the mount tree becomes private so nothing
    mounted here propagates out.

    Raises:
        OSError: the kernel refused (user namespaces disabled, seccomp...).
    """
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(CLONE_NEWUSER|CLONE_NEWNS)")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")


def server_pid(source: str) -> int | None:
    """The server pid in a fakeproc mount's source (``fakeproc:PID``), None if it has none."""
    _, _, pid = source.partition(":")
    return int(pid) if pid.isdigit() else None


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False
