"""The other descriptor calls of the emulated backend, answered as procfs answers them rather than
as the placeholder would: fcntl, the dup family, locks, fchmod/fchown, fstatfs, readahead,
fallocate, ioctl, the f*xattr calls, sendfile/splice/copy_file_range, mmap, ftruncate, fsync."""

from __future__ import annotations

import errno
import fcntl
import os
import stat as stat_mod
import struct

from fakeproc.backends.emulated._caller_fds import free_fd, getfd
from fakeproc.backends.emulated._context import Context
from fakeproc.backends.emulated._placeholders import F_ADD_SEALS, F_SETLEASE, WATCH_FROM, OpenFile, getfl
from fakeproc.backends.emulated._procfs import sys_path
from fakeproc.backends.seccomp._abi import NR, syscall
from fakeproc.backends.seccomp._paths import signed32
from fakeproc.backends.seccomp._supervisor import CONTINUE, Notification, Reply, log

__all__ = ["FdCalls"]

# fcntl commands answered here (include/uapi/linux/fcntl.h, asm-generic/fcntl.h)
_F_DUPFD, _F_GETFL, _F_SETFL, _F_DUPFD_CLOEXEC = 0, 3, 4, 1030
_F_GETLEASE, _F_GET_SEALS = 1025, 1034
_LOCK_CMDS = frozenset((5, 6, 7, 36, 37, 38))  # F_GETLK F_SETLK F_SETLKW F_OFD_GETLK/SETLK/SETLKW
_GETLK_CMDS = frozenset((5, 36))
_FCNTL_ANSWERED = frozenset((_F_DUPFD, _F_DUPFD_CLOEXEC, _F_GETFL, _F_SETFL, F_ADD_SEALS, _F_GET_SEALS,
                             F_SETLEASE, _F_GETLEASE, *_LOCK_CMDS))
# fs/fcntl.c: the flags F_SETFL changes (O_NDELAY is O_NONBLOCK on x86_64)
_SETFL_MASK = os.O_APPEND | os.O_NONBLOCK | os.O_DIRECT | os.O_NOATIME
# ioctls fs/ioctl.c do_vfs_ioctl answers for any file (asm-generic/ioctls.h, uapi/linux/fs.h)
_FIOCLEX, _FIONCLEX, _FIONBIO, _FIOASYNC, _FIOQSIZE, _FIONREAD = 0x5451, 0x5450, 0x5421, 0x5452, 0x5460, 0x541B
_FIBMAP, _FIGETBSZ, _FIFREEZE, _FITHAW, _FS_IOC_FIEMAP = 1, 2, 0xC0045877, 0xC0045878, 0xC020660B
_FALLOC_FL_KEEP_SIZE, _FALLOC_FL_PUNCH_HOLE, _FALLOC_FL_COLLAPSE_RANGE = 0x1, 0x2, 0x8
_FALLOC_FL_ZERO_RANGE, _FALLOC_FL_INSERT_RANGE, _FALLOC_FL_UNSHARE_RANGE, _FALLOC_FL_WRITE_ZEROES = 0x10, 0x20, 0x40, 0x80
_FALLOC_FL_MODE_MASK = 0x2 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80
_XATTR_SIZE_MAX = 65536
_MAX_NON_LFS = (1 << 31) - 1
_STATFS_SIZE = 120  # struct statfs, x86_64
_O_PATH = 0o10000000


class FdCalls:
    """The descriptor calls other than I/O and stat, answered as procfs answers them.

    Each handler is named after its call and returns ``CONTINUE`` for what is not the fake's; what
    it uses of ``ctx`` is bound once here (one attribute lookup per use on the hot path).
    """

    def __init__(self, ctx: Context) -> None:
        self.sup = ctx.sup
        self.kernel = ctx.kernel
        self.mem = ctx.mem
        self._lookup = ctx.files.lookup
        self._caller = ctx.caller

    def fcntl(self, n: Notification) -> Reply:
        """fcntl: the commands procfs answers differently from the memfd (``_FCNTL_ANSWERED``)."""
        cmd = signed32(n.args[1])
        if cmd not in _FCNTL_ANSWERED:
            return CONTINUE
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if cmd in (F_ADD_SEALS, _F_GET_SEALS, F_SETLEASE):
            return Reply(error=errno.EINVAL)  # seals are memfd's; procfs has no lease (6.18: EINVAL)
        if cmd == _F_GETLEASE:
            return Reply(value=fcntl.F_UNLCK)
        if cmd in _LOCK_CMDS:
            return self._lock(n, f, cmd)  # the placeholder inode holds them, as procfs's inode does
        if cmd == _F_GETFL:
            return Reply(value=getfl(f))
        if cmd == _F_SETFL:
            return self._setfl(n, f, n.args[2] & 0xFFFFFFFF)
        return self.dup(n, signed32(n.args[2]), cloexec=cmd == _F_DUPFD_CLOEXEC)

    def _setfl(self, n: Notification, f: OpenFile, arg: int) -> Reply:
        """F_SETFL as fs/fcntl.c ``setfl`` does it for a procfs file; the placeholder keeps its own flags
        (a poll placeholder stays non-blocking: CMD's reads never reach it)."""
        if arg & os.O_NOATIME and not f.flags & os.O_NOATIME:
            _ns, caller = self._caller(n.pid, f.file.nsset)
            if caller.uid != 0 and caller.uid != self.kernel.stat(sys_path(f.rel), f.file.nsset).uid:
                return Reply(error=errno.EPERM)  # inode_owner_or_capable (CAP_FOWNER: root here)
        if arg & os.O_DIRECT:
            return Reply(error=errno.EINVAL)  # no FMODE_CAN_ODIRECT on procfs
        f.flags = (arg & _SETFL_MASK) | (f.flags & ~_SETFL_MASK)
        return Reply(value=0)

    def dup(self, n: Notification, lowest: int, *, cloexec: bool) -> Reply:
        """dup and F_DUPFD: a copy at ``lowest`` or above, and at WATCH_FROM or above."""
        fd = signed32(n.args[0])
        if self._lookup(n.pid, fd) is None:
            return CONTINUE
        # The copy must stay watched: place it at WATCH_FROM or above (dup's "lowest free"
        # number is not kept; programs that care use dup2).
        ours = getfd(n.pid, fd)
        try:
            return self.sup.inject(n, ours, cloexec=cloexec, at=free_fd(n.pid, max(lowest, WATCH_FROM)))
        finally:
            os.close(ours)

    def dup2(self, n: Notification) -> Reply:
        """dup2/dup3 of a placeholder onto an unwatched number: the kernel's, logged (a stated limit)."""
        new = signed32(n.args[1])
        if 0 <= new < 3 or new >= WATCH_FROM:
            return CONTINUE
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if f.poll is not None:
            log.warning("fakeproc: pid %d copies an emulated /proc/sys descriptor to fd %d, which the filter "
                        "does not watch: reads there get the placeholder socket's datagram and writes "
                        "are lost", n.pid, new)
            return CONTINUE
        log.warning("fakeproc: pid %d copies an emulated /proc/sys descriptor to fd %d, which the filter "
                    "does not watch: reads there fail with EBADF and writes with EPERM", n.pid, new)
        return CONTINUE

    def transfer(self, n: Notification, source: int, sink: int, into_errno: int) -> Reply:
        """sendfile/splice: a stated limit, refused on every placeholder (EBADF reading from it,
        ``into_errno`` writing into it: what a write-only sealed memfd answers)."""
        if self._lookup(n.pid, signed32(n.args[source])) is not None:
            return Reply(error=errno.EBADF)
        if self._lookup(n.pid, signed32(n.args[sink])) is not None:
            return Reply(error=into_errno)
        return CONTINUE

    def _lock(self, n: Notification, f: OpenFile, cmd: int | None = None) -> Reply:
        """flock (``cmd`` None) and fcntl locks: kept by the kernel on the placeholder inode that
        every open of a memfd-backed file shares. fs/locks.c wants a writable open for F_WRLCK
        and a readable one for F_RDLCK: the placeholder is write-only, so a read lock on a
        readable open is a stated limit (ENOLCK, logged). A poll placeholder is a socket per
        open, where locks would never conflict: a stated limit too."""
        if f.poll is not None:
            log.warning("fakeproc: locks on emulated /proc/sys/%s are not supported (ENOLCK): its "
                        "descriptors are sockets that poll(2) can watch, one per open", f.rel)
            return Reply(error=errno.ENOLCK)
        if cmd is None or cmd in _GETLK_CMDS:
            return CONTINUE
        kind = struct.unpack("<h", self.mem.read(n.pid, n.args[2], 2))[0]
        if kind == fcntl.F_WRLCK and not f.file.writable:
            return Reply(error=errno.EBADF)
        if kind == fcntl.F_RDLCK and f.file.readable:
            log.warning("fakeproc: read locks (F_RDLCK) on emulated /proc/sys/%s are not supported (ENOLCK): "
                        "the placeholder descriptor is write-only", f.rel)
            return Reply(error=errno.ENOLCK)
        return CONTINUE  # F_UNLCK, or F_RDLCK on a write-only open: EBADF from the kernel, as procfs

    def flock(self, n: Notification) -> Reply:
        """flock: see :meth:`_lock`."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        return CONTINUE if f is None else self._lock(n, f)

    def fchmod(self, n: Notification) -> Reply:
        """fchmod: EPERM, as procfs."""
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        return Reply(error=errno.EPERM)  # proc_sys_setattr refuses ATTR_MODE

    def fchown(self, n: Notification) -> Reply:
        """fchown: EPERM, as procfs, unless nothing changes."""
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        # proc_sys_setattr refuses ATTR_UID/ATTR_GID; chown(-1, -1) changes neither and succeeds
        unchanged = n.args[1] & 0xFFFFFFFF == 0xFFFFFFFF and n.args[2] & 0xFFFFFFFF == 0xFFFFFFFF
        return Reply(value=0) if unchanged else Reply(error=errno.EPERM)

    def fstatfs(self, n: Notification) -> Reply:
        """fstatfs: procfs's own statfs."""
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        import ctypes

        buf = ctypes.create_string_buffer(_STATFS_SIZE)
        syscall(NR["statfs"], b"/proc/sys", buf)  # procfs's own answer (PROC_SUPER_MAGIC)
        self.mem.write(n.pid, n.args[1], buf.raw)
        return Reply(value=0)

    def readahead(self, n: Notification) -> Reply:
        """readahead: nothing to read ahead in an empty file."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if not f.file.readable:
            return Reply(error=errno.EBADF)  # fs/readahead.c ksys_readahead
        if f.file.is_dir:
            return Reply(error=errno.EINVAL)  # not S_ISREG
        return Reply(value=0)  # generic_fadvise(WILLNEED) on an empty file

    def fallocate(self, n: Notification) -> Reply:
        """fallocate: fs/open.c vfs_fallocate's checks, then EOPNOTSUPP (procfs has no ->fallocate)."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        mode, offset, length = n.args[1] & 0xFFFFFFFF, _signed64(n.args[2]), _signed64(n.args[3])
        # fs/open.c vfs_fallocate, in its order; procfs has no ->fallocate
        if offset < 0 or length <= 0:
            return Reply(error=errno.EINVAL)
        if not _fallocate_mode_ok(mode):
            return Reply(error=errno.EOPNOTSUPP)
        if not f.file.writable:
            return Reply(error=errno.EBADF)
        return Reply(error=errno.EOPNOTSUPP)

    def ioctl(self, n: Notification) -> Reply:
        """procfs sysctl files have no ``unlocked_ioctl``: what fs/ioctl.c ``do_vfs_ioctl`` answers
        itself, else ENOTTY."""
        fd = signed32(n.args[0])
        f = self._lookup(n.pid, fd)
        if f is None:
            return CONTINUE
        req, arg = n.args[1] & 0xFFFFFFFF, n.args[2]
        if req in (_FIOCLEX, _FIONCLEX):
            return CONTINUE  # the caller's descriptor flag: the kernel sets it
        if req == _FIONBIO:
            on = struct.unpack("<i", self.mem.read(n.pid, arg, 4))[0]
            f.flags = f.flags | os.O_NONBLOCK if on else f.flags & ~os.O_NONBLOCK
            return Reply(value=0)
        if req == _FIOASYNC:
            on = struct.unpack("<i", self.mem.read(n.pid, arg, 4))[0]
            return Reply(error=errno.ENOTTY) if on else Reply(value=0)  # no ->fasync to turn it on
        if req == _FIOQSIZE:
            self.mem.write(n.pid, arg, struct.pack("<q", 0))  # i_size
            return Reply(value=0)
        if req == _FIGETBSZ:
            self.mem.write(n.pid, arg, struct.pack("<i", 1024))  # procfs's s_blocksize
            return Reply(value=0)
        if req == _FIONREAD and not f.file.is_dir:
            self.mem.write(n.pid, arg, struct.pack("<i", signed32(-f.pos & 0xFFFFFFFF)))  # i_size - f_pos
            return Reply(value=0)
        if req in (_FIFREEZE, _FITHAW, _FIBMAP):
            _ns, caller = self._caller(n.pid, f.file.nsset)
            if caller.uid != 0:
                return Reply(error=errno.EPERM)
            return Reply(error=errno.EINVAL if req == _FIBMAP else errno.EOPNOTSUPP)
        if req == _FS_IOC_FIEMAP:
            return Reply(error=errno.EOPNOTSUPP)  # no ->fiemap
        return Reply(error=errno.ENOTTY)

    def xattr(self, n: Notification, *, write: bool, value: bool) -> Reply:
        """fsetxattr, fremovexattr (``write``) and fgetxattr: fs/xattr.c ``xattr_permission``
        against the file's mode, then EOPNOTSUPP (procfs has no xattr handlers)."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if write and value and n.args[4] & 0xFFFFFFFF & ~0x3:
            return Reply(error=errno.EINVAL)  # flags other than XATTR_CREATE | XATTR_REPLACE
        raw = self.mem.read_path(n.pid, n.args[1]) if n.args[1] else None
        if raw is None:
            return Reply(error=errno.EFAULT)
        if not raw or len(raw) > 255:
            return Reply(error=errno.ERANGE)
        if write and value and n.args[3] > _XATTR_SIZE_MAX:
            return Reply(error=errno.E2BIG)
        name = raw.decode("latin-1")
        _ns, caller = self._caller(n.pid, f.file.nsset)
        if name.startswith(("security.", "system.")):
            return Reply(error=errno.EOPNOTSUPP)
        if name.startswith("trusted."):
            if caller.uid != 0:
                return Reply(error=errno.EPERM if write else errno.ENODATA)
            return Reply(error=errno.EOPNOTSUPP)
        path = sys_path(f.rel)
        if f.file.is_dir:
            ok = not write  # proc_sys_permission: the directories are r-x for all
        else:
            ok = self.kernel.access(path, read=not write, write=write, execute=False, ns=f.file.nsset, caller=caller)
        return Reply(error=errno.EOPNOTSUPP if ok else errno.EACCES)

    def flistxattr(self, n: Notification) -> Reply:
        """flistxattr: no names."""
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        return Reply(value=0)  # no names (no handlers, no security module's)

    def copy_file_range(self, n: Notification) -> Reply:
        """copy_file_range: fs/read_write.c ``vfs_copy_file_range`` for a procfs file on one side
        (EXDEV past the checks: procfs has no ->copy_file_range and the other side is another
        superblock). Between two emulated files (procfs would splice): a stated limit, EXDEV."""
        fin, fout = signed32(n.args[0]), signed32(n.args[2])
        a, b = self._lookup(n.pid, fin), self._lookup(n.pid, fout)
        if a is None and b is None:
            return CONTINUE
        if n.args[5] & 0xFFFFFFFF:
            return Reply(error=errno.EINVAL)
        kinds = [_kind(n.pid, fd, f) for fd, f in ((fin, a), (fout, b))]
        if None in kinds:
            return Reply(error=errno.EBADF)
        (in_dir, in_reg, in_read, _iw, _ia), (out_dir, out_reg, _or, out_write, out_append) = kinds  # type: ignore[misc]
        if in_dir or out_dir:
            return Reply(error=errno.EISDIR)
        if not (in_reg and out_reg):
            return Reply(error=errno.EINVAL)
        if not in_read or not out_write or out_append:
            return Reply(error=errno.EBADF)
        if not n.args[4]:
            return Reply(value=0)
        if a is not None and b is not None:
            log.warning("fakeproc: copy_file_range between two emulated /proc/sys files is not "
                        "emulated (EXDEV); callers fall back to read/write")
        return Reply(error=errno.EXDEV)

    def mmap(self, n: Notification) -> Reply:
        """mmap of a placeholder: ENODEV, as procfs."""
        if self._lookup(n.pid, signed32(n.args[4])) is None:
            return CONTINUE
        return Reply(error=errno.ENODEV)  # procfs sysctl files have no mmap (proc_sys_file_operations)

    def ftruncate(self, n: Notification) -> Reply:
        """ftruncate: fs/open.c do_sys_ftruncate on a procfs file (size 0 stays)."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if n.args[1] >= 1 << 63:
            return Reply(error=errno.EINVAL)  # fs/open.c do_sys_ftruncate: a negative length, first
        if not f.file.writable:
            return Reply(error=errno.EINVAL)
        # setattr_prepare -> inode_newsize_ok: procfs keeps alloc_super's s_maxbytes, MAX_NON_LFS
        return Reply(error=errno.EFBIG) if n.args[1] > _MAX_NON_LFS else Reply(value=0)

    def fsync(self, n: Notification) -> Reply:
        """fsync/fdatasync: EINVAL (procfs has no ->fsync)."""
        return CONTINUE if self._lookup(n.pid, signed32(n.args[0])) is None else Reply(error=errno.EINVAL)


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _fallocate_mode_ok(mode: int) -> bool:
    """fs/open.c vfs_fallocate: one mode (KEEP_SIZE aside), PUNCH_HOLE only with KEEP_SIZE,
    COLLAPSE/INSERT/WRITE_ZEROES never with it."""
    keep = mode & _FALLOC_FL_KEEP_SIZE
    op = mode & ~_FALLOC_FL_KEEP_SIZE
    if op & ~_FALLOC_FL_MODE_MASK:
        return False
    if op in (0, _FALLOC_FL_UNSHARE_RANGE, _FALLOC_FL_ZERO_RANGE):
        return True
    if op == _FALLOC_FL_PUNCH_HOLE:
        return bool(keep)
    return op in (_FALLOC_FL_COLLAPSE_RANGE, _FALLOC_FL_INSERT_RANGE, _FALLOC_FL_WRITE_ZEROES) and not keep


def _kind(pid: int, fd: int, f: OpenFile | None) -> tuple[bool, bool, bool, bool, bool] | None:
    """(directory, regular, readable, writable, O_APPEND) of thread ``pid``'s ``fd`` as the VFS
    sees it (``f`` for an emulated file); None when there is no such descriptor."""
    if f is not None:
        return (f.file.is_dir, not f.file.is_dir, f.file.readable, f.file.writable, bool(f.flags & os.O_APPEND))
    try:
        st = os.stat(f"/proc/{pid}/fd/{fd}")
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as info:
            flags = int(info.read().split(b"flags:", 1)[1].split()[0], 8)
    except (OSError, ValueError, IndexError):
        return None
    if flags & _O_PATH:
        return None
    acc = flags & os.O_ACCMODE
    return (stat_mod.S_ISDIR(st.st_mode), stat_mod.S_ISREG(st.st_mode), acc in (os.O_RDONLY, os.O_RDWR),
            acc in (os.O_WRONLY, os.O_RDWR), bool(flags & os.O_APPEND))
