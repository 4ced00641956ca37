"""Reading and writing a notified caller's memory (process_vm_readv/writev, else /proc/PID/mem).

The supervisor is the caller's ancestor with the same credentials (or root), so ptrace
access mode "attach" is granted, also under Yama's ptrace_scope=1.

Every notification reads at least its path argument, so :class:`Memory` keeps one page buffer
and prepared iovecs and calls ``process_vm_readv`` through a prototyped ctypes function: about
a third of the cost of building them per call. A cached ``/proc/PID/mem`` descriptor would be
cheaper still, but it stays bound to the memory it was opened on: after a vfork child execs, or
once a thread id is reused, it would read another process's memory without an error.
"""

from __future__ import annotations

import ctypes
import errno
import os
import threading

from fakeproc.backends.seccomp._abi import libc

__all__ = ["Memory", "read_bytes", "read_path", "write_bytes"]

PAGE = os.sysconf("SC_PAGE_SIZE")
PATH_MAX = 4096


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def _prototype(name: str) -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    fn = getattr(libc, name, None)
    if fn is None:
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    fn.restype = ctypes.c_ssize_t
    return fn


_readv = _prototype("process_vm_readv")
_writev = _prototype("process_vm_writev")


def _efault() -> OSError:
    return OSError(errno.EFAULT, os.strerror(errno.EFAULT))


class Memory:
    """Callers' memory, through buffers reused from call to call: one instance per thread."""

    def __init__(self) -> None:
        self._buf = ctypes.create_string_buffer(PAGE + 1)
        self._addr = ctypes.addressof(self._buf)
        self._local = _Iovec(self._addr, 0)
        self._remote = _Iovec(0, 0)
        self._lp = ctypes.addressof(self._local)
        self._rp = ctypes.addressof(self._remote)
        self._out = ctypes.create_string_buffer(PAGE)
        self._out_local = _Iovec(ctypes.addressof(self._out), 0)
        self._out_remote = _Iovec(0, 0)
        self._olp = ctypes.addressof(self._out_local)
        self._orp = ctypes.addressof(self._out_remote)

    def _read_into(self, pid: int, addr: int, size: int) -> int:
        """Copy up to ``size`` (<= PAGE) bytes at ``addr`` into the buffer; returns the count."""
        self._local.len = self._remote.len = size
        self._remote.base = addr
        n = _readv(pid, self._lp, 1, self._rp, 1, 0) if _readv is not None else -1
        if n >= 0:
            return int(n)
        err = ctypes.get_errno() if _readv is not None else errno.ENOSYS
        if err not in (errno.ENOSYS, errno.EPERM):
            raise OSError(err, os.strerror(err))
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            data = os.pread(mem.fileno(), size, addr)
        ctypes.memmove(self._buf, data, len(data))
        return len(data)

    def read(self, pid: int, addr: int, size: int) -> bytes:
        """``size`` bytes at ``addr`` in ``pid`` (fewer if the range runs into unmapped memory).

        Raises:
            OSError(EFAULT): ``addr`` itself is not readable.
        """
        out = b""
        while size > 0:
            chunk = min(size, PAGE)
            n = self._read_into(pid, addr, chunk)
            if n == 0 and not out:
                raise _efault()
            out += self._buf.raw[:n]
            if n < chunk:
                break
            addr += n
            size -= n
        return out

    def read_path(self, pid: int, addr: int) -> bytes:
        """The NUL-terminated string at ``addr`` (a path argument), without the NUL.

        Raises:
            OSError(EFAULT): unreadable; OSError(ENAMETOOLONG): no NUL within PATH_MAX.
        """
        if addr == 0:
            raise _efault()
        out = b""
        chunk = PAGE - (addr % PAGE)  # stay within one page per read: the next may be unmapped
        while len(out) < PATH_MAX:
            # Never past PATH_MAX bytes in all: the kernel's getname_flags copies at most PATH_MAX
            # and refuses a name without a NUL among them (fs/namei.c), wherever the string starts.
            n = self._read_into(pid, addr + len(out), min(chunk, PATH_MAX - len(out)))
            if n == 0:
                raise _efault()
            self._buf[n] = b"\0"  # the C string below ends here at the latest
            data = ctypes.string_at(self._addr)
            if len(data) < n:
                return out + data
            out += data
            chunk = PAGE
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))

    def write(self, pid: int, addr: int, data: bytes) -> None:
        """Copy ``data`` to ``addr`` in ``pid``.

        Raises:
            OSError(EFAULT): the range is not writable in the caller.
        """
        if not data:
            return
        size = len(data)
        if size <= PAGE:  # a stat buffer, a uname: through the reused page and iovecs
            ctypes.memmove(self._out, data, size)
            self._out_local.len = self._out_remote.len = size
            self._out_remote.base = addr
            n = _writev(pid, self._olp, 1, self._orp, 1, 0) if _writev is not None else -1
        else:
            src = ctypes.create_string_buffer(data, size)
            local = _Iovec(ctypes.addressof(src), size)
            remote = _Iovec(addr, size)
            n = _writev(pid, ctypes.addressof(local), 1, ctypes.addressof(remote), 1, 0) if _writev is not None else -1
        if n < 0:
            err = ctypes.get_errno() if _writev is not None else errno.ENOSYS
            if err not in (errno.ENOSYS, errno.EPERM):
                raise OSError(err, os.strerror(err))
            with open(f"/proc/{pid}/mem", "r+b", buffering=0) as mem:
                n = os.pwrite(mem.fileno(), data, addr)
        if n != len(data):
            raise _efault()


_per_thread = threading.local()


def _memory() -> Memory:
    mem: Memory | None = getattr(_per_thread, "memory", None)
    if mem is None:
        mem = _per_thread.memory = Memory()
    return mem


def read_bytes(pid: int, addr: int, size: int) -> bytes:
    """:meth:`Memory.read` with this thread's buffers."""
    return _memory().read(pid, addr, size)


def read_path(pid: int, addr: int) -> bytes:
    """:meth:`Memory.read_path` with this thread's buffers."""
    return _memory().read_path(pid, addr)


def write_bytes(pid: int, addr: int, data: bytes) -> None:
    """:meth:`Memory.write`."""
    _memory().write(pid, addr, data)
