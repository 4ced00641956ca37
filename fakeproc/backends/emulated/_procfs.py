"""What procfs says of its sysctl files beyond the model's answers: the model's name for a path,
inode numbers, the mount's ids and ``struct stat``/``struct statx`` as x86_64 lays them out."""

from __future__ import annotations

import os
import struct
import zlib
from typing import Any

from fakeproc.backends.seccomp._abi import NR, syscall
from fakeproc.backends.seccomp._paths import AT_FDCWD

__all__ = ["STATX_SIZE", "STAT_SIZE", "inode_number", "pack_stat", "proc_mnt_id", "sys_path"]

_STAT = struct.Struct("<QQQIIIiQqqqqqqqqq24x")  # struct stat, x86_64 (144 bytes)
_STATX = struct.Struct("<IIQIIIH2xQQQQqI4xqI4xqI4xqI4xIIII")  # struct statx up to stx_dev_minor
STAT_SIZE = _STAT.size
STATX_SIZE = 256
_STATX_BASIC_STATS = 0x7FF  # include/uapi/linux/stat.h: type, mode, nlink, uid, gid, times, ino, size, blocks
_STATX_MNT_ID, _STATX_MNT_ID_UNIQUE = 0x1000, 0x4000
_STATX_MNT_ID_AT = 0x90  # offsetof(struct statx, stx_mnt_id)
# fs/stat.c: vfs_getattr_nosec (AUTOMOUNT, DAX) and vfs_statx_path (MOUNT_ROOT) always offer these
_STATX_ATTRIBUTES_MASK = 0x1000 | 0x2000 | 0x200000
_DEV = os.makedev(0, 0xFA)  # a fixed anonymous device for the fake tree


def sys_path(rel: str) -> str:
    """The model's name for a path relative to /proc/sys (a bare ``vm.swappiness`` is a file
    name with a dot, not a key)."""
    return "/proc/sys/" + rel  # "/proc/sys/" itself is the model's root, key ""


def inode_number(rel: str) -> int:
    """The inode number the fake gives /proc/sys/``rel`` (stable across runs)."""
    return zlib.crc32(rel.encode()) | 1 << 32


_MNT_IDS: dict[bool, int] = {}


def proc_mnt_id(unique: bool) -> int:
    """The id (or unique id) of the mount /proc/sys is on here, as statx reports it."""
    if unique not in _MNT_IDS:
        import ctypes

        buf = ctypes.create_string_buffer(STATX_SIZE)
        try:
            syscall(NR["statx"], AT_FDCWD, b"/proc/sys", 0, _STATX_MNT_ID_UNIQUE if unique else _STATX_MNT_ID, buf)
            _MNT_IDS[unique] = struct.unpack_from("<Q", buf.raw, _STATX_MNT_ID_AT)[0]
        except OSError:
            _MNT_IDS[unique] = 0
    return _MNT_IDS[unique]


def pack_stat(kernel: Any, rel: str, ns: Any, started: int, *, statx: int | None = None) -> bytes:
    """``struct stat`` (or ``struct statx`` for the request mask ``statx``) of ``/proc/sys/rel``:
    the model's mode, owner and link count; size 0 and one timestamp for all (``started``), like procfs."""
    st = kernel.stat(sys_path(rel), ns)
    t = started
    if statx is not None:
        # fs/stat.c vfs_statx_path: the mount's id, its unique id when that is asked for
        unique = bool(statx & _STATX_MNT_ID_UNIQUE)
        mask = _STATX_BASIC_STATS | (_STATX_MNT_ID_UNIQUE if unique else _STATX_MNT_ID)
        out = bytearray(_STATX.pack(mask, 1024, 0, st.nlink, st.uid, st.gid, st.mode, inode_number(rel), 0, 0,
                                    _STATX_ATTRIBUTES_MASK, t, 0, t, 0, t, 0, t, 0, 0, 0,
                                    os.major(_DEV), os.minor(_DEV)).ljust(STATX_SIZE, b"\0"))
        struct.pack_into("<Q", out, _STATX_MNT_ID_AT, proc_mnt_id(unique))
        return bytes(out)
    return _STAT.pack(_DEV, inode_number(rel), st.nlink, st.mode, st.uid, st.gid, 0, 0, 0, 1024, 0,
                      t, 0, t, 0, t, 0)
