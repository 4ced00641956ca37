"""The stat family for the emulated backend: stat, lstat, newfstatat, statx and fstat of
``/proc/sys`` files answered from the model as procfs answers them (size 0, one timestamp,
the mount's ids), and of ``/proc`` or ``/`` reached by '..' from an emulated directory."""

from __future__ import annotations

import errno
import time

from fakeproc.backends.emulated._context import Context
from fakeproc.backends.emulated._procfs import STAT_SIZE, STATX_SIZE, pack_stat, sys_path
from fakeproc.backends.seccomp._abi import NR, syscall
from fakeproc.backends.seccomp._paths import AT_FDCWD
from fakeproc.backends.seccomp._redirect import AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW
from fakeproc.backends.seccomp._supervisor import CONTINUE, Notification, Reply

__all__ = ["StatCalls"]

_STATX_RESERVED = 0x80000000
_AT_STATX_SYNC_TYPE, _AT_NO_AUTOMOUNT = 0x6000, 0x800
_STATX_FLAGS = AT_SYMLINK_NOFOLLOW | _AT_NO_AUTOMOUNT | AT_EMPTY_PATH | _AT_STATX_SYNC_TYPE


class StatCalls:
    """The stat family on /proc/sys paths and emulated descriptors, one timestamp (``started``) for all.

    Each handler is named after its call and returns ``CONTINUE`` for what is not the fake's; what
    it uses of ``ctx`` is bound once here (one attribute lookup per use on the hot path).
    """

    def __init__(self, ctx: Context) -> None:
        self.kernel = ctx.kernel
        self.mem = ctx.mem
        self.started = int(time.time())
        self._ns = ctx.ns
        self._where_path = ctx.where_path
        self._above = ctx.above
        self._above_limit = ctx.above_limit
        self._lookup = ctx.files.lookup
        self._take_change = ctx.polls.take_change

    def fstat(self, n: Notification, fd: int, buf: int, *, statx: int | None = None) -> Reply:
        """fstat (and statx with ``AT_EMPTY_PATH``, ``statx`` its mask) of an emulated descriptor."""
        f = self._lookup(n.pid, fd)
        if f is None:
            return CONTINUE
        if f.poll is not None:
            self._take_change(n, fd, f)
        self.mem.write(n.pid, buf, pack_stat(self.kernel, f.rel, f.file.nsset, self.started, statx=statx))
        return Reply(value=0)

    def stat(self, n: Notification, dirfd: int, addr: int, buf: int, flags: int, *,
             statx: int | None = None) -> Reply:
        """stat, lstat, newfstatat and statx (``statx``: its mask) of a path into /proc/sys, or up
        from an emulated directory."""
        flags &= 0xFFFFFFFF
        if flags & AT_EMPTY_PATH and (addr == 0 or not self.mem.read_path(n.pid, addr)):
            if statx is not None and self._lookup(n.pid, dirfd) is not None and _statx_refused(statx, flags):
                return Reply(error=errno.EINVAL)
            return self.fstat(n, dirfd, buf, statx=statx)
        found, path = self._where_path(n, dirfd, addr, follow=not flags & AT_SYMLINK_NOFOLLOW)
        if found is None:
            above = self._above(n, dirfd, path)
            if above is None:
                return CONTINUE
            if not above:
                return self._above_limit(n, path)
            return self._stat_above(n, above, buf, flags, statx)
        if statx is not None and _statx_refused(statx, flags):
            return Reply(error=errno.EINVAL)
        rel, slash = found
        ns = self._ns(n.pid, attr=True)
        data = pack_stat(self.kernel, rel, ns, self.started, statx=statx)
        if slash and not self.kernel.stat(sys_path(rel), ns).is_dir:
            return Reply(error=errno.ENOTDIR)
        self.mem.write(n.pid, buf, data)
        return Reply(value=0)

    def _stat_above(self, n: Notification, above: str, buf: int, flags: int, statx: int | None) -> Reply:
        """stat/statx of /proc or / reached by '..' from an emulated directory: the kernel's answer
        for that directory as the caller sees it."""
        import ctypes

        host = f"/proc/{n.pid}/root{above}".encode()
        out = ctypes.create_string_buffer(STATX_SIZE if statx is not None else STAT_SIZE)
        try:
            if statx is None:
                syscall(NR["newfstatat"], AT_FDCWD, host, out, 0)
            else:
                syscall(NR["statx"], AT_FDCWD, host, flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), statx, out)
        except OSError as e:
            return Reply(error=e.errno or errno.EIO)
        self.mem.write(n.pid, buf, out.raw)
        return Reply(value=0)


def _statx_refused(mask: int, flags: int) -> bool:
    """fs/stat.c do_statx/vfs_statx: a reserved mask bit, both sync types or an unknown flag is EINVAL."""
    return bool(mask & _STATX_RESERVED or flags & _AT_STATX_SYNC_TYPE == _AT_STATX_SYNC_TYPE
                or flags & ~_STATX_FLAGS)
