"""The x86_64 seccomp user-notification ABI through ctypes: numbers, structs, ioctls, BPF.

Everything here was checked against include/uapi/linux/seccomp.h, filter.h and
arch/x86/entry/syscalls/syscall_64.tbl (6.18) and the sizes the running kernel reports
(``SECCOMP_GET_NOTIF_SIZES``).

>>> hex(SECCOMP_IOCTL_NOTIF_RECV)
'0xc0502100'
>>> len(bpf_program([(NR["openat"], None)])) // 8
9
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import struct
from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "AUDIT_ARCH_X86_64",
    "NOTIF",
    "NOTIF_ADDFD",
    "NOTIF_RESP",
    "NR",
    "SECCOMP_RET_ALLOW",
    "SECCOMP_RET_USER_NOTIF",
    "Bits",
    "SeccompNotif",
    "SeccompNotifAddfd",
    "SeccompNotifResp",
    "bpf_program",
    "libc",
    "syscall",
]

# syscall numbers, arch/x86/entry/syscalls/syscall_64.tbl
NR: dict[str, int] = {
    "read": 0, "write": 1, "open": 2, "close": 3, "stat": 4, "fstat": 5, "lstat": 6, "poll": 7,
    "lseek": 8, "mmap": 9, "ioctl": 16, "pread64": 17, "pwrite64": 18, "readv": 19, "writev": 20,
    "access": 21, "dup": 32, "dup2": 33, "sendfile": 40, "execve": 59, "uname": 63, "fcntl": 72,
    "flock": 73, "fsync": 74, "fdatasync": 75, "truncate": 76, "ftruncate": 77, "getdents": 78,
    "chdir": 80, "fchdir": 81, "readlink": 89, "getdents64": 217, "openat": 257,
    "newfstatat": 262, "readlinkat": 267, "faccessat": 269, "splice": 275, "dup3": 292,
    "preadv": 295, "pwritev": 296, "process_vm_readv": 310, "process_vm_writev": 311,
    "seccomp": 317, "memfd_create": 319, "copy_file_range": 326, "preadv2": 327, "pwritev2": 328,
    "statx": 332, "io_uring_setup": 425, "pidfd_open": 434, "close_range": 436, "openat2": 437,
    "pidfd_getfd": 438, "faccessat2": 439,
    "sethostname": 170, "setdomainname": 171, "epoll_ctl": 233, "inotify_add_watch": 254,
    # descriptor calls the emulated backend answers for its placeholders
    "fchmod": 91, "fchown": 93, "statfs": 137, "fstatfs": 138, "readahead": 187, "fsetxattr": 190,
    "fgetxattr": 193, "flistxattr": 196, "fremovexattr": 199, "fallocate": 285,
    # calls that can give a process another root or other mounts than the supervisor's
    "clone": 56, "pivot_root": 155, "chroot": 161, "mount": 165, "umount2": 166, "unshare": 272,
    "setns": 308, "move_mount": 429, "clone3": 435,
}

NR_UNSHARE = 272
NR_CLONE3 = 435

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# include/uapi/linux/seccomp.h
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_GET_ACTION_AVAIL = 2
SECCOMP_GET_NOTIF_SIZES = 3
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_USER_NOTIF = 0x7FC00000
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
SECCOMP_ADDFD_FLAG_SETFD = 1
SECCOMP_ADDFD_FLAG_SEND = 2
SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1

CLONE_NEWNS = 0x00020000  # include/uapi/linux/sched.h

PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_SET_PDEATHSIG = 1


def _ioc(direction: int, nr: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord("!") << 8) | nr


class SeccompData(ctypes.Structure):
    _fields_ = [("nr", ctypes.c_int32), ("arch", ctypes.c_uint32), ("instruction_pointer", ctypes.c_uint64),
                ("args", ctypes.c_uint64 * 6)]


class SeccompNotif(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint64), ("pid", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("data", SeccompData)]


class SeccompNotifResp(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint64), ("val", ctypes.c_int64), ("error", ctypes.c_int32),
                ("flags", ctypes.c_uint32)]


class SeccompNotifAddfd(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint64), ("flags", ctypes.c_uint32), ("srcfd", ctypes.c_uint32),
                ("newfd", ctypes.c_uint32), ("newfd_flags", ctypes.c_uint32)]


class SeccompNotifSizes(ctypes.Structure):
    _fields_ = [("seccomp_notif", ctypes.c_uint16), ("seccomp_notif_resp", ctypes.c_uint16),
                ("seccomp_data", ctypes.c_uint16)]


SECCOMP_IOCTL_NOTIF_RECV = _ioc(3, 0, ctypes.sizeof(SeccompNotif))
SECCOMP_IOCTL_NOTIF_SEND = _ioc(3, 1, ctypes.sizeof(SeccompNotifResp))
SECCOMP_IOCTL_NOTIF_ID_VALID = _ioc(1, 2, 8)
SECCOMP_IOCTL_NOTIF_ADDFD = _ioc(1, 3, ctypes.sizeof(SeccompNotifAddfd))
SECCOMP_IOCTL_NOTIF_SET_FLAGS = _ioc(1, 4, 8)

# The same structs as byte layouts, for fcntl.ioctl on a reused bytearray (the hot path: a
# ctypes call costs about twice as much as fcntl.ioctl).
NOTIF = struct.Struct("<QIIiIQ6Q")
"""seccomp_notif: id, pid, flags, data.nr, data.arch, data.instruction_pointer, data.args[6]."""
NOTIF_RESP = struct.Struct("<QqiI")
"""seccomp_notif_resp: id, val, error, flags."""
NOTIF_ADDFD = struct.Struct("<QIIII")
"""seccomp_notif_addfd: id, flags, srcfd, newfd, newfd_flags."""
assert NOTIF.size == ctypes.sizeof(SeccompNotif) and NOTIF_RESP.size == ctypes.sizeof(SeccompNotifResp)
assert NOTIF_ADDFD.size == ctypes.sizeof(SeccompNotifAddfd)

libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_syscall = libc.syscall
_syscall.restype = ctypes.c_long
_ioctl = libc.ioctl
_ioctl.restype = ctypes.c_int


def syscall(nr: int, *args: object) -> int:
    """Call syscall ``nr``; returns its value or raises OSError with its errno."""
    conv = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]  # bytes, buffers, byref
    ret = _syscall(ctypes.c_long(nr), *conv)
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return int(ret)


def ioctl(fd: int, request: int, arg: object) -> int:
    """ioctl(2); raises OSError with its errno."""
    ret = _ioctl(fd, ctypes.c_ulong(request), arg)
    if ret == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return int(ret)


def x86_64() -> bool:
    """Whether this machine (and this Python) is x86_64, the only ABI these tables describe."""
    return platform.machine() == "x86_64" and struct.calcsize("P") == 8


# ---------------------------------------------------------------- classic BPF (filter.h)
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_OFF_NR = 0
_OFF_ARCH = 4


def _arg_low(i: int) -> int:
    return 16 + 8 * i  # low 32 bits of args[i] (little endian)


class Bits(NamedTuple):
    """A rule's condition: notify when argument ``arg`` has any of ``mask``'s bits (low 32 bits)."""

    arg: int
    mask: int


Rule = tuple[int, "tuple[int, ...] | Bits | None"]
"""(syscall number, None: always notify | indexes of fd arguments to watch | :class:`Bits`)."""


def bpf_program(
    rules: Sequence[Rule],
    *,
    default: int = SECCOMP_RET_ALLOW,
    watch_low: int = 3,
    watch_from: int = 1 << 30,
    errno_rules: Sequence[tuple[int, int]] = (),
) -> bytes:
    """A filter as ``struct sock_filter[]`` bytes.

    Foreign ABIs (i386, x32) get ENOSYS: their syscall numbers differ and their paths would
    reach the real ``/proc/sys`` unseen. ``errno_rules`` (nr, errno) refuse a syscall. Each rule
    notifies its syscall always, or only when one of its fd arguments is a descriptor below
    ``watch_low`` or at least ``watch_from``. Everything else gets ``default``.
    """
    notify = SECCOMP_RET_USER_NOTIF
    refuse = SECCOMP_RET_ERRNO | 38  # ENOSYS
    # (code, jt_label | int, jf_label | int, k); labels are resolved to relative jumps below
    prog: list[tuple[int, object, object, int]] = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (_RET_K, 0, 0, refuse),
        (_LD_W_ABS, 0, 0, _OFF_NR),
        (_JGE_K, 0, 1, X32_SYSCALL_BIT),
        (_RET_K, 0, 0, refuse),
    ]
    labels: dict[str, int] = {}
    for nr, err in errno_rules:
        prog.append((_JEQ_K, 0, 1, nr))
        prog.append((_RET_K, 0, 0, SECCOMP_RET_ERRNO | err))
    for i, (nr, fd_args) in enumerate(rules):
        if fd_args is None:
            prog.append((_JEQ_K, 0, 1, nr))
            prog.append((_RET_K, 0, 0, notify))
            continue
        if isinstance(fd_args, Bits):
            prog.append((_JEQ_K, 0, f"end{i}", nr))
            prog.append((_LD_W_ABS, 0, 0, _arg_low(fd_args.arg)))
            prog.append((_JSET_K, 0, 1, fd_args.mask))
            prog.append((_RET_K, 0, 0, notify))
            prog.append((_RET_K, 0, 0, default))
            labels[f"end{i}"] = len(prog)
            continue
        prog.append((_JEQ_K, 0, f"end{i}", nr))
        for j, a in enumerate(fd_args):
            nxt = f"arg{i}.{j + 1}"
            prog.append((_LD_W_ABS, 0, 0, _arg_low(a)))
            prog.append((_JGE_K, nxt, 0, 1 << 31))          # a negative int is not a descriptor
            prog.append((_JGE_K, f"notify{i}", 0, watch_from))
            prog.append((_JGE_K, nxt, f"notify{i}", watch_low))
            labels[nxt] = len(prog)
        prog.append((_RET_K, 0, 0, default))
        labels[f"notify{i}"] = len(prog)
        prog.append((_RET_K, 0, 0, notify))
        labels[f"end{i}"] = len(prog)
    prog.append((_RET_K, 0, 0, default))
    out = []
    for idx, (code, jt, jf, k) in enumerate(prog):
        jt_n = labels[jt] - idx - 1 if isinstance(jt, str) else int(jt)  # type: ignore[call-overload]
        jf_n = labels[jf] - idx - 1 if isinstance(jf, str) else int(jf)  # type: ignore[call-overload]
        if not (0 <= jt_n < 256 and 0 <= jf_n < 256):
            raise ValueError("filter too long for classic BPF jumps")
        out.append(struct.pack("<HBBI", code, jt_n, jf_n, k))
    return b"".join(out)
