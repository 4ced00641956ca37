"""Reading and writing a notified caller's memory (process_vm_readv/writev, else /proc/PID/mem).

The supervisor is the caller's ancestor with the same credentials (or root), so ptrace
access mode "attach" is granted, also under Yama's ptrace_scope=1.
"""

from __future__ import annotations

import ctypes
import errno
import os

from fakeproc.backends.seccomp._abi import NR, syscall

__all__ = ["read_bytes", "read_path", "write_bytes"]

PAGE = os.sysconf("SC_PAGE_SIZE")
PATH_MAX = 4096


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def _vm(nr: int, pid: int, local: ctypes.Array[ctypes.c_char], addr: int, size: int) -> int:
    liov = _Iovec(ctypes.cast(local, ctypes.c_void_p), size)
    riov = _Iovec(addr, size)
    return syscall(nr, pid, ctypes.byref(liov), 1, ctypes.byref(riov), 1, 0)


def read_bytes(pid: int, addr: int, size: int) -> bytes:
    """``size`` bytes at ``addr`` in ``pid`` (fewer if the range runs into unmapped memory).

    Raises:
        OSError(EFAULT): ``addr`` itself is not readable.
    """
    if size == 0:
        return b""
    buf = ctypes.create_string_buffer(size)
    try:
        n = _vm(NR["process_vm_readv"], pid, buf, addr, size)
    except OSError as e:
        if e.errno not in (errno.ENOSYS, errno.EPERM):
            raise
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            return os.pread(mem.fileno(), size, addr)
    return buf.raw[:n]


def read_path(pid: int, addr: int) -> bytes:
    """The NUL-terminated string at ``addr`` (a path argument), without the NUL.

    Raises:
        OSError(EFAULT): unreadable; OSError(ENAMETOOLONG): no NUL within PATH_MAX.
    """
    if addr == 0:
        raise OSError(errno.EFAULT, os.strerror(errno.EFAULT))
    out = b""
    chunk = PAGE - (addr % PAGE)  # stay within one page per read: the next may be unmapped
    while len(out) < PATH_MAX:
        data = read_bytes(pid, addr + len(out), chunk)
        if not data:
            raise OSError(errno.EFAULT, os.strerror(errno.EFAULT))
        nul = data.find(b"\0")
        if nul >= 0:
            return out + data[:nul]
        out += data
        chunk = PAGE
    raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))


def write_bytes(pid: int, addr: int, data: bytes) -> None:
    """Copy ``data`` to ``addr`` in ``pid``.

    Raises:
        OSError(EFAULT): the range is not writable in the caller.
    """
    if not data:
        return
    buf = ctypes.create_string_buffer(data, len(data))
    try:
        n = _vm(NR["process_vm_writev"], pid, buf, addr, len(data))
    except OSError as e:
        if e.errno not in (errno.ENOSYS, errno.EPERM):
            raise
        with open(f"/proc/{pid}/mem", "r+b", buffering=0) as mem:
            n = os.pwrite(mem.fileno(), data, addr)
    if n != len(data):
        raise OSError(errno.EFAULT, os.strerror(errno.EFAULT))
