"""Descriptor I/O of the emulated backend: read, write and their p-, v- and 2-variants, lseek and
getdents64 on a placeholder, answered from the model at the open file's offset."""

from __future__ import annotations

import errno
import os
import struct

from fakeproc.backends.emulated._context import Context
from fakeproc.backends.emulated._procfs import inode_number, sys_path
from fakeproc.backends.seccomp._paths import signed32
from fakeproc.backends.seccomp._supervisor import CONTINUE, Notification, Reply

__all__ = ["IOCalls"]

# include/uapi/linux/fs.h: preadv2/pwritev2 flags
_RWF_NOWAIT, _RWF_APPEND, _RWF_NOAPPEND, _RWF_ATOMIC, _RWF_DONTCACHE = 0x8, 0x10, 0x20, 0x40, 0x80
_RWF_SUPPORTED = 0x1FF  # HIPRI DSYNC SYNC NOWAIT APPEND NOAPPEND ATOMIC DONTCACHE NOSIGNAL


class IOCalls:
    """Reads, writes, seeks and directory listings on emulated descriptors, at the open file's offset.

    Each handler is named after its call and returns ``CONTINUE`` for what is not the fake's; what
    it uses of ``ctx`` is bound once here (one attribute lookup per use on the hot path).
    """

    def __init__(self, ctx: Context) -> None:
        self.sup = ctx.sup
        self.kernel = ctx.kernel
        self.mem = ctx.mem
        self._polls = ctx.polls
        self._lookup = ctx.files.lookup
        self._caller = ctx.caller
        self._take_change = ctx.polls.take_change

    def read(self, n: Notification, buf: int, count: int, at: int | None) -> Reply:
        """read/pread64 (``at``: the offset) into ``buf``: one handler call at the file's offset."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if f.poll is not None:
            self._take_change(n, signed32(n.args[0]), f)
        if at is not None and at >= 1 << 63:
            return Reply(error=errno.EINVAL)
        data = f.file.read(count, f.pos if at is None else at, caller=self._caller(n.pid, f.file.nsset)[1])
        if not self.sup.valid(n):
            return Reply(error=errno.ESRCH)
        self.mem.write(n.pid, buf, data)
        if at is None:
            f.pos += len(data)
        return Reply(value=len(data))

    def write(self, n: Notification, data: bytes | None, at: int | None) -> Reply:
        """write/pwrite64 (``at``: the offset) of ``data`` (None: the caller's buffer)."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if f.poll is not None:
            self._take_change(n, signed32(n.args[0]), f)
        if data is None:
            data = self.mem.read(n.pid, n.args[1], n.args[2]) if n.args[2] else b""
        if at is not None and at >= 1 << 63:
            return Reply(error=errno.EINVAL)
        if f.file.is_dir:
            return Reply(error=errno.EBADF)
        # Every write reaches the handler, a zero-byte one too (vfs_write has no shortcut:
        # pid_ns_ctl_handler refuses an unprivileged writer of 0 bytes, proc_do_uts_string notifies).
        self._polls.writing = f
        try:
            count = f.file.write(data, f.pos if at is None else at, caller=self._caller(n.pid, f.file.nsset)[1])
        finally:
            self._polls.writing = None
        if at is None:
            f.pos += count
        return Reply(value=count)

    def _iovecs(self, n: Notification) -> list[tuple[int, int]]:
        cnt = signed32(n.args[2])
        if cnt < 0 or cnt > 1024:
            raise OSError(errno.EINVAL, "iovcnt")
        raw = self.mem.read(n.pid, n.args[1], 16 * cnt)
        return [struct.unpack_from("<QQ", raw, 16 * i) for i in range(cnt)]

    def vectored(self, n: Notification, *, write: bool, at: bool = False, flags: bool = False) -> Reply:
        """readv/writev, preadv/pwritev (``at``: the offset in the 4th argument) and preadv2/pwritev2
        (``flags``: an offset of -1 is the file position). procfs serves them all through
        read_iter/write_iter: one handler call for the whole vector (fs/read_write.c)."""
        fd = signed32(n.args[0])
        f = self._lookup(n.pid, fd)
        if f is None:
            return CONTINUE
        pos: int | None = None
        if at:
            pos = n.args[3] - (1 << 64) if n.args[3] >= 1 << 63 else n.args[3]
            if flags and pos == -1:
                pos = None
            elif pos < 0:
                return Reply(error=errno.EINVAL)  # do_preadv/do_pwritev, before anything else
        if f.poll is not None:
            self._take_change(n, fd, f)
        if not (f.file.writable if write else f.file.readable):
            return Reply(error=errno.EBADF)  # vfs_readv/vfs_writev: FMODE_READ/FMODE_WRITE
        iov = self._iovecs(n)
        total = sum(ln for _, ln in iov)
        if not total:
            return Reply(value=0)  # an empty vector never reaches the handler
        start = f.pos if pos is None else pos
        if start + total >= 1 << 63:
            return Reply(error=errno.EINVAL)  # rw_verify_area
        rwf = n.args[5] & 0xFFFFFFFF if flags else 0
        if rwf:
            refused = _rwf_refused(rwf)
            if refused:
                return Reply(error=refused)
        caller = self._caller(n.pid, f.file.nsset)[1]
        if write:
            data = b"".join(self.mem.read(n.pid, base, ln) for base, ln in iov if ln)
            self._polls.writing = f
            try:
                count = f.file.write(data, start, caller=caller)  # RWF_APPEND: procfs writes at the position
            finally:
                self._polls.writing = None
        else:
            out = f.file.read(total, start, caller=caller)
            if not self.sup.valid(n):
                return Reply(error=errno.ESRCH)
            off = 0
            for base, ln in iov:
                if off >= len(out):
                    break
                self.mem.write(n.pid, base, out[off:off + ln])
                off += ln
            count = len(out)
        if pos is None:
            f.pos += count
        return Reply(value=count)

    def lseek(self, n: Notification) -> Reply:
        """lseek: ``default_llseek`` (fs/read_write.c) with i_size 0."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if f.poll is not None:
            self._take_change(n, signed32(n.args[0]), f)
        off = n.args[1] - (1 << 64) if n.args[1] >= 1 << 63 else n.args[1]
        whence = signed32(n.args[2])
        # default_llseek (fs/read_write.c) with i_size 0: procfs sysctl files are empty to stat
        if whence == os.SEEK_SET:
            new = off
        elif whence == os.SEEK_CUR:
            new = f.pos + off
        elif whence == os.SEEK_END:
            new = off
        elif whence in (os.SEEK_DATA, os.SEEK_HOLE):
            if off >= 0:
                return Reply(error=errno.ENXIO)
            new = 0 if whence == os.SEEK_HOLE else off  # the hole at i_size; a negative SEEK_DATA stays EINVAL
        else:
            return Reply(error=errno.EINVAL)
        if new < 0:
            return Reply(error=errno.EINVAL)
        f.pos = new
        return Reply(value=new)

    def getdents64(self, n: Notification) -> Reply:
        """getdents64 of an emulated directory: '.' and '..', then the model's names."""
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if not f.file.is_dir:
            return Reply(error=errno.ENOTDIR)
        if f.entries is None:
            f.entries = [".", "..", *self.kernel.listdir(sys_path(f.rel), f.file.nsset)]
        out = b""
        count = n.args[2] & 0xFFFFFFFF
        while f.pos < len(f.entries):
            name = f.entries[f.pos]
            if name in (".", ".."):
                # The directory's and its parent's numbers, as procfs's dir_emit_dots; '..' of
                # /proc/sys is the real /proc (inode 1), which is what a stat of it reaches here.
                dtype = 4
                ino = inode_number(f.rel) if name == "." else inode_number(f.rel.rpartition("/")[0]) if f.rel else 1
            else:
                child = f.rel + "/" + name if f.rel else name
                dtype = 4 if self.kernel.stat(sys_path(child), f.file.nsset).is_dir else 8
                ino = inode_number(child)
            raw = name.encode()
            reclen = (19 + len(raw) + 1 + 7) & ~7
            if len(out) + reclen > count:
                if not out:
                    return Reply(error=errno.EINVAL)
                break
            ent = struct.pack("<QqHB", ino, f.pos + 1, reclen, dtype) + raw
            out += ent.ljust(reclen, b"\0")
            f.pos += 1
        self.mem.write(n.pid, n.args[1], out)
        return Reply(value=len(out))


def _rwf_refused(flags: int) -> int:
    """include/linux/fs.h kiocb_set_rw_flags for a procfs file: 0, or the errno it refuses ``flags``
    with (no FMODE_NOWAIT, no atomic writes, no FOP_DONTCACHE)."""
    if flags & ~_RWF_SUPPORTED:
        return errno.EOPNOTSUPP
    if flags & _RWF_APPEND and flags & _RWF_NOAPPEND:
        return errno.EINVAL
    if flags & (_RWF_NOWAIT | _RWF_ATOMIC | _RWF_DONTCACHE):
        return errno.EOPNOTSUPP
    return 0
