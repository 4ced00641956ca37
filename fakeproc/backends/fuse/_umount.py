"""Unmounting a FUSE mount, with or without privilege.

>>> MNT_DETACH
2
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import subprocess

__all__ = ["MNT_DETACH", "unmount"]

#: ``umount2`` flag: detach now, clean up when the last user goes.
MNT_DETACH = 2

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def unmount(path: str, *, lazy: bool = False) -> None:
    """Unmount ``path``: ``umount2`` with CAP_SYS_ADMIN, else the setuid ``fusermount -u``.

    Raises:
        OSError: EBUSY (in use and not ``lazy``), EINVAL (not a mountpoint), EPERM.
    """
    path = os.path.abspath(path)
    if _libc.umount2(path.encode(), MNT_DETACH if lazy else 0) == 0:
        return
    err = ctypes.get_errno()
    if err != errno.EPERM:
        raise OSError(err, os.strerror(err), path)
    tool = shutil.which("fusermount") or shutil.which("fusermount3")
    if tool is None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), path)
    done = subprocess.run(
        [tool, "-u", "-q", *(["-z"] if lazy else []), path],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        text = done.stderr.decode(errors="replace").strip()
        if not text and not _is_mountpoint(path):
            code = errno.EINVAL  # `fusermount -q` says nothing when there is nothing mounted there
        else:
            code = errno.EBUSY if "busy" in text.lower() else errno.EPERM
        raise OSError(code, text or os.strerror(code), path)


def _is_mountpoint(path: str) -> bool:
    """Whether something is mounted at ``path`` in this process's mount namespace."""
    target = os.path.realpath(path).encode()
    try:
        with open("/proc/self/mountinfo", "rb") as f:
            return any(line.split(b" ")[4] == target for line in f)
    except OSError:
        return True
