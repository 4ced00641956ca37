"""The emulated backend's handlers: ``/proc/sys`` descriptors served from the model, no mount.

An open of a ``/proc/sys`` path puts a placeholder in the caller, at a descriptor number the
filter watches (>= ``WATCH_FROM``; 0-2 are watched too, for shell redirections): a new write-only
open file description of the file's sealed memfd (:class:`SharedInode`: one inode per file, so
locks conflict between opens as on procfs), told apart from the file's other opens by its file
position. Copies made by dup, fork and exec stay emulated and share the offset, as the kernel's
do. Calls on it are answered from a :class:`fakeproc.Kernel`, including those the memfd would
otherwise answer for itself (fstatfs, fchmod, ioctl, xattrs, ...: as procfs does). A copy at an
unwatched number (3..WATCH_FROM-1) is a stated limit: reads on it fail with EBADF and writes
with EPERM (the placeholder is write-only and sealed), never silently wrong, and the dup2 that
made it is logged.

The files of an entry whose changes ``poll(2)`` reports (``kernel.hostname``,
``kernel.domainname``: :mod:`fakeproc.model.polls`) get another placeholder, since ``poll``,
``select`` and ``epoll`` on CMD's descriptor are answered by the kernel from the object itself:
one end of an AF_UNIX datagram socketpair whose state the supervisor sets so that the kernel's
``unix_dgram_poll`` gives procfs's masks (:class:`PollPlaceholder`): ``POLLIN|POLLOUT|
POLLRDNORM|POLLWRNORM`` at rest, ``POLLIN|POLLRDNORM|POLLERR|POLLPRI`` after a change, and a
sleeping poller is woken. What cannot be the kernel's: the supervisor never sees CMD's polls, so
a change shows until CMD next reads, writes, seeks or stats that file description, adds it to
an epoll set (which polls it) or calls ``uname(2)`` (``gethostname``), where the supervisor
takes it back; procfs's ``proc_sys_poll``
takes it up at the first poll. That is logged once per run, when a change is first shown on a
descriptor other than the one written through (a watcher's). The
socket's own data never reaches CMD: reads and writes on watched numbers are answered from the
model, ``sendfile``/``splice``/``copy_file_range`` are refused as on the memfd placeholders
(EBADF from it, EINVAL/EPERM into it), and a copy at an unwatched number is non-blocking and
reads the placeholder's datagram (logged at the dup2).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import socket
import stat as stat_mod
import struct
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from fakeproc.backends.seccomp._abi import NR, syscall
from fakeproc.backends.seccomp._paths import AT_FDCWD, Resolver, signed32, tgid
from fakeproc.backends.seccomp._redirect import (
    AT_EMPTY_PATH,
    AT_SYMLINK_NOFOLLOW,
    note_own_filter,
    refuse_io_uring,
    view_handlers,
)
from fakeproc.backends.seccomp._supervisor import (
    CONTINUE,
    Handler,
    Notification,
    Reply,
    Supervisor,
    caller_creds,
    log,
)
from fakeproc.backends.seccomp._uts import model_caller, uts_handlers

__all__ = ["FD_SYSCALLS", "WATCH_FROM", "EmulatedHandlers"]

WATCH_FROM = 512
"""Placeholders live at this number or above (below the usual RLIMIT_NOFILE soft limit, 1024)."""

# syscall -> indexes of its fd arguments (the filter notifies when one is watched)
FD_SYSCALLS: dict[str, tuple[int, ...]] = {
    "read": (0,), "write": (0,), "pread64": (0,), "pwrite64": (0,), "readv": (0,), "writev": (0,),
    "preadv": (0,), "pwritev": (0,), "preadv2": (0,), "pwritev2": (0,),
    "lseek": (0,), "fstat": (0,), "getdents64": (0,), "fcntl": (0,), "dup": (0,), "dup2": (0,),
    "dup3": (0,), "mmap": (4,), "ftruncate": (0,), "fsync": (0,), "fdatasync": (0,),
    # calls the placeholder would answer for itself (a memfd), not for the procfs file
    "fchmod": (0,), "fchown": (0,), "fstatfs": (0,), "readahead": (0,), "fallocate": (0,), "flock": (0,),
    "ioctl": (0,), "fsetxattr": (0,), "fgetxattr": (0,), "flistxattr": (0,), "fremovexattr": (0,),
    # the kernel would move a pollable placeholder's socket bytes (answered for those only)
    "sendfile": (0, 1), "splice": (0, 2), "copy_file_range": (0, 2),
    # adding a pollable placeholder to an epoll set polls it (a change is taken up there)
    "epoll_ctl": (2,),
}
_EPOLL_CTL_ADD, _EPOLL_CTL_MOD = 1, 3
_MFD_CLOEXEC, _MFD_ALLOW_SEALING = 1, 2
_F_ADD_SEALS, _F_SEAL_ALL = 1033, 0x1 | 0x2 | 0x4 | 0x8  # SEAL, SHRINK, GROW, WRITE
_F_DUPFD, _F_GETFL, _F_SETFL, _F_DUPFD_CLOEXEC = 0, 3, 4, 1030
# fs/fcntl.c: the flags F_SETFL changes (O_NDELAY is O_NONBLOCK on x86_64)
_SETFL_MASK = os.O_APPEND | os.O_NONBLOCK | os.O_DIRECT | os.O_NOATIME
_O_LARGEFILE = 0o100000
_STAT = struct.Struct("<QQQIIIiQqqqqqqqqq24x")  # struct stat, x86_64 (144 bytes)
_STATX = struct.Struct("<IIQIIIH2xQQQQqI4xqI4xqI4xqI4xIIII")  # struct statx up to stx_dev_minor
_STATX_SIZE = 256
_STATX_BASIC_STATS = 0x7FF  # include/uapi/linux/stat.h: type, mode, nlink, uid, gid, times, ino, size, blocks
# include/uapi/linux/fs.h: preadv2/pwritev2 flags
_RWF_NOWAIT, _RWF_APPEND, _RWF_NOAPPEND, _RWF_ATOMIC, _RWF_DONTCACHE = 0x8, 0x10, 0x20, 0x40, 0x80
_RWF_SUPPORTED = 0x1FF  # HIPRI DSYNC SYNC NOWAIT APPEND NOAPPEND ATOMIC DONTCACHE NOSIGNAL
_STATX_MNT_ID, _STATX_MNT_ID_UNIQUE, _STATX_RESERVED = 0x1000, 0x4000, 0x80000000
_STATX_MNT_ID_AT = 0x90  # offsetof(struct statx, stx_mnt_id)
# fs/stat.c: vfs_getattr_nosec (AUTOMOUNT, DAX) and vfs_statx_path (MOUNT_ROOT) always offer these
_STATX_ATTRIBUTES_MASK = 0x1000 | 0x2000 | 0x200000
_AT_STATX_SYNC_TYPE, _AT_NO_AUTOMOUNT = 0x6000, 0x800
_STATX_FLAGS = AT_SYMLINK_NOFOLLOW | _AT_NO_AUTOMOUNT | AT_EMPTY_PATH | _AT_STATX_SYNC_TYPE
_DEV = os.makedev(0, 0xFA)  # a fixed anonymous device for the fake tree
ATTR_TIMEOUT = float(os.environ.get("FAKEPROC_ATTR_TIMEOUT", "1"))
"""How long a caller's namespaces answer its stats: the FUSE mount's default ``attr_timeout``
(fakeproc.sandbox), for which the mount's kernel caches attributes, so both backends agree."""


#: ``SO_SELECT_ERR_QUEUE`` (include/uapi/asm-generic/socket.h): a pending error also reports POLLPRI.
_SO_SELECT_ERR_QUEUE = 45
#: ``SIOCOUTQ`` (``TIOCOUTQ``): the bytes a socket sent that still wait at the receiver.
_SIOCOUTQ = 0x5411


def _disconnect(sock: socket.socket) -> None:
    """``connect(AF_UNSPEC)``: a datagram socket drops its peer (af_unix.c ``unix_dgram_connect``)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    unspec = ctypes.c_ushort(0)
    if libc.connect(sock.fileno(), ctypes.byref(unspec), ctypes.sizeof(unspec)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@dataclass(slots=True)
class PollPlaceholder:
    """The supervisor's side of a pollable file's placeholder: CMD's end ``A`` and ``peer`` ``B``
    are an AF_UNIX datagram socketpair, both autobound (abstract names) so they can reconnect.

    af_unix.c ``unix_dgram_poll`` then gives procfs's masks exactly. At rest one datagram waits in
    A (``POLLIN|POLLRDNORM``) and A may send to B (``POLLOUT|POLLWRNORM``): ``DEFAULT_POLLMASK``.
    A change disconnects B while a datagram waits in B: ``unix_dgram_disconnected`` sets A's
    ``sk_err`` (``POLLERR``, and ``POLLPRI`` with ``SO_SELECT_ERR_QUEUE``) and wakes A's pollers;
    B's queue is then filled from a third socket, so A (whose peer B no longer answers) is not
    writable: ``POLLIN|POLLRDNORM|POLLERR|POLLPRI``. :meth:`take` undoes it through a copy of A.
    """

    peer: socket.socket
    address: bytes  # A's name, to reconnect B
    pending: bool = False  # the change is showing on A

    @classmethod
    def make(cls) -> tuple[socket.socket, PollPlaceholder]:
        """A new pair: CMD's end (to inject, then close) and the supervisor's side."""
        cmd_end, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            cmd_end.setsockopt(socket.SOL_SOCKET, _SO_SELECT_ERR_QUEUE, 1)
            cmd_end.bind(b"")
            peer.bind(b"")
            cmd_end.setblocking(False)  # CMD's own I/O on it (an unwatched copy) never blocks
            peer.setblocking(False)
            peer.send(b"\0")  # waits in A: readable
            cmd_end.send(b"\0")  # waits in B: disconnecting B then reports to A
            return cmd_end, cls(peer, cmd_end.getsockname())
        except BaseException:
            cmd_end.close()
            peer.close()
            raise

    def signal(self) -> bool:
        """Show a change on A (once: a change already showing stays as it is); False when CMD has
        closed every copy of A (this one is then done)."""
        if self.pending:
            return True
        if self.closed():
            return False
        _disconnect(self.peer)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as filler:
            filler.setblocking(False)
            try:
                while True:
                    filler.sendto(b"", self.peer.getsockname())
            except BlockingIOError:
                pass  # B's queue is full (net.unix.max_dgram_qlen): A is not writable
        self.pending = True
        return True

    def take(self, own: socket.socket) -> None:
        """Take a showing change back through ``own``, a copy of A: clear A's error, empty B, put
        one datagram in it again and reconnect it."""
        if not self.pending:
            return
        own.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)  # reading sk_err clears it (sock_error)
        try:
            while True:
                self.peer.recv(1)
        except BlockingIOError:
            pass
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as arm:
            arm.sendto(b"\0", self.peer.getsockname())  # only A may send once B is connected
        self.peer.connect(self.address)
        self.pending = False

    def closed(self) -> bool:
        """Whether CMD has closed every copy of A: the datagram B left in A is gone with it."""
        try:
            queued = fcntl.ioctl(self.peer.fileno(), _SIOCOUTQ, b"\0\0\0\0")
        except OSError:
            return True
        return bool(struct.unpack("i", queued)[0] == 0)


# fcntl commands answered here (include/uapi/linux/fcntl.h, asm-generic/fcntl.h)
_F_SETLEASE, _F_GETLEASE, _F_GET_SEALS = 1024, 1025, 1034
_LOCK_CMDS = frozenset((5, 6, 7, 36, 37, 38))  # F_GETLK F_SETLK F_SETLKW F_OFD_GETLK/SETLK/SETLKW
_GETLK_CMDS = frozenset((5, 36))
_FCNTL_ANSWERED = frozenset((_F_DUPFD, _F_DUPFD_CLOEXEC, _F_GETFL, _F_SETFL, _F_ADD_SEALS, _F_GET_SEALS,
                             _F_SETLEASE, _F_GETLEASE, *_LOCK_CMDS))
# ioctls fs/ioctl.c do_vfs_ioctl answers for any file (asm-generic/ioctls.h, uapi/linux/fs.h)
_FIOCLEX, _FIONCLEX, _FIONBIO, _FIOASYNC, _FIOQSIZE, _FIONREAD = 0x5451, 0x5450, 0x5421, 0x5452, 0x5460, 0x541B
_FIBMAP, _FIGETBSZ, _FIFREEZE, _FITHAW, _FS_IOC_FIEMAP = 1, 2, 0xC0045877, 0xC0045878, 0xC020660B
_FALLOC_FL_KEEP_SIZE, _FALLOC_FL_PUNCH_HOLE, _FALLOC_FL_COLLAPSE_RANGE = 0x1, 0x2, 0x8
_FALLOC_FL_ZERO_RANGE, _FALLOC_FL_INSERT_RANGE, _FALLOC_FL_UNSHARE_RANGE, _FALLOC_FL_WRITE_ZEROES = 0x10, 0x20, 0x40, 0x80
_FALLOC_FL_MODE_MASK = 0x2 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80
_XATTR_SIZE_MAX = 65536
_MAX_NON_LFS = (1 << 31) - 1
_O_TMPFILE_BIT = 0o20000000  # __O_TMPFILE
# include/uapi/linux/openat2.h
_RESOLVE_NO_XDEV, _RESOLVE_NO_MAGICLINKS, _RESOLVE_NO_SYMLINKS = 0x01, 0x02, 0x04
_RESOLVE_BENEATH, _RESOLVE_IN_ROOT, _RESOLVE_CACHED = 0x08, 0x10, 0x20
_RESOLVE_ALL = 0x3F
_STATX_ATTR_MOUNT_ROOT = 0x2000
_STATFS_SIZE = 120  # struct statfs, x86_64
_O_PATH = 0o10000000

_FIRST_ID = 1 << 40


def keep_inodes() -> int:
    """How many keepers of files CMD has closed the supervisor keeps: a quarter of its descriptor
    limit, between 256 and 4096 (evicting costs a lease test per new file)."""
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 4096 if soft == resource.RLIM_INFINITY else max(256, min(4096, soft // 4))


@dataclass(slots=True)
class SharedInode:
    """The placeholder inode of one file of the fake (per namespace instance): a sealed memfd.

    Every open of the file is a new (write-only) open file description of this one inode, so
    what the kernel keeps per inode is shared between opens as procfs shares it: flock and POSIX
    write locks conflict between opens and processes and go with the last close. The supervisor
    keeps ``keeper``, a read-only description, to reopen it. The descriptions are told apart by their file position, which CMD never moves
    (lseek, read and write on watched numbers are answered here): each is set to a unique id.
    """

    keeper: int
    ino: int
    nsset: Any  # kept alive: its id() is part of the key
    opens: dict[int, OpenFile] = field(default_factory=dict)  # id (file position) -> file

    @classmethod
    def make(cls, rel: str, nsset: Any) -> SharedInode:
        name = ("fakeproc:" + (rel.replace("/", ".") or "sys"))[:240].encode()
        mfd = syscall(NR["memfd_create"], name, _MFD_CLOEXEC | _MFD_ALLOW_SEALING)
        try:
            fcntl.fcntl(mfd, _F_ADD_SEALS, _F_SEAL_ALL)
            # read-only: a write lease (in_use) is refused on memfd_create's own description
            keeper = os.open(f"/proc/self/fd/{mfd}", os.O_RDONLY | os.O_CLOEXEC)
        finally:
            os.close(mfd)
        return cls(keeper, os.fstat(keeper).st_ino, nsset)

    def in_use(self) -> bool:
        """Whether any description but the keeper is open: a write lease is refused then
        (fs/locks.c check_conflicting_open)."""
        try:
            fcntl.fcntl(self.keeper, _F_SETLEASE, fcntl.F_WRLCK)
        except OSError:
            return True
        fcntl.fcntl(self.keeper, _F_SETLEASE, fcntl.F_UNLCK)
        return False


@dataclass(slots=True)
class OpenFile:
    """One open file description of the fake: the model's file, its offset and open flags."""

    file: Any  # fakeproc.SysctlFile
    rel: str
    flags: int
    pos: int = 0
    entries: list[str] | None = field(default=None)
    poll: PollPlaceholder | None = None


class EmulatedHandlers:
    """Handlers answering ``/proc/sys`` from ``kernel``.

    Args:
        supervisor: Gives ``valid`` and ``inject``.
        kernel: The model.
    """

    def __init__(self, supervisor: Supervisor, kernel: Any, *, identity: str = "root", base: Any = None) -> None:
        from fakeproc.serve import Identity, NamespaceResolver

        self.sup = supervisor
        self.kernel = kernel
        self.paths = Resolver()
        self.mem = supervisor.mem
        self.files: dict[int, OpenFile] = {}  # socket inode -> file, for the poll placeholders
        self._inodes: OrderedDict[tuple[str, int], SharedInode] = OrderedDict()  # (rel, id(nsset)) ->
        self._by_ino: dict[int, SharedInode] = {}  # memfd inode -> the placeholder inode it is
        self._next_id = _FIRST_ID
        self._open_lock = threading.Lock()
        self._keep = keep_inodes()
        self.owner = os.geteuid()
        self.started = int(time.time())
        self.memfd_dev: int | None = None
        self.socket_dev: int | None = None
        self._polled: dict[int, OpenFile] = {}  # socket inode -> file, for the pollable entries
        self._poll_lock = threading.RLock()  # a model poll inside may notify (PollEvents sources)
        self._poll_logged = False  # the stated limit, logged once per run
        self._writing: OpenFile | None = None  # the file a write goes through, while it does
        self._unsubscribe = kernel.polls.subscribe(self._changed)
        self.identity = Identity.of_this_process(identity)
        self.resolver = NamespaceResolver(kernel, base, owner_ids=self.identity.owner_ids)
        self._needed: dict[str, tuple[int, ...] | None] = {}
        self.paths.dir_of = self._dir_of
        self.paths.check_dir = self._check_dir

    def _check_dir(self, pid: int, rel: str) -> None:
        """:attr:`Resolver.check_dir`: ENOTDIR or ENOENT unless the fake has a directory at ``rel``
        (a '.' or '..' after a file name walks through it: link_path_walk, fs/namei.c)."""
        if not self.kernel.stat(_p(rel), self._ns(pid, attr=True)).is_dir:
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))

    def _dir_of(self, pid: int, fd: int) -> str | None:
        f = self._lookup(pid, fd)
        return _p(f.rel).rstrip("/") if f is not None and f.file.is_dir else None

    def _above(self, n: Notification, dirfd: int, path: bytes) -> str | None:
        """For a relative ``path`` from an emulated directory descriptor that leaves /proc/sys
        through '..': the host directory it names when it ends at an ancestor of /proc/sys
        (``/proc`` or ``/``), or "" when it goes on below one (a stated limit). None otherwise."""
        if dirfd < 0 or not path or path.startswith(b"/"):
            return None
        base = self._dir_of(n.pid, dirfd)
        if base is None:
            return None
        cur = base.split("/")[1:]
        for name in os.fsdecode(path).split("/"):
            if name in ("", "."):
                continue
            if name == "..":
                if cur:
                    cur.pop()
            elif len(cur) < 2:
                return ""
            else:
                cur.append(name)
        return None if len(cur) >= 2 else "/" + "/".join(cur)

    def _above_limit(self, n: Notification, path: bytes) -> Reply:
        log.warning("fakeproc: pid %d looks up %r from an emulated /proc/sys directory descriptor: "
                    "outside /proc/sys only '..' up to /proc or / (read-only) is emulated (ENOTDIR)",
                    n.pid, os.fsdecode(path))
        return Reply(error=errno.ENOTDIR)

    def table(self) -> dict[int, Handler]:
        """Syscall number -> handler."""
        a = signed32
        return {
            NR["open"]: lambda n: self._open(n, AT_FDCWD, n.args[0], n.args[1], n.args[2]),
            NR["openat"]: lambda n: self._open(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["openat2"]: self._openat2,
            NR["stat"]: lambda n: self._stat(n, AT_FDCWD, n.args[0], n.args[1], 0),
            NR["lstat"]: lambda n: self._stat(n, AT_FDCWD, n.args[0], n.args[1], AT_SYMLINK_NOFOLLOW),
            NR["newfstatat"]: lambda n: self._stat(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["statx"]: lambda n: self._stat(n, a(n.args[0]), n.args[1], n.args[4], n.args[2],
                                              statx=n.args[3] & 0xFFFFFFFF),
            NR["fstat"]: lambda n: self._fstat(n, a(n.args[0]), n.args[1]),
            NR["access"]: lambda n: self._access(n, AT_FDCWD, n.args[0], n.args[1], 0),
            NR["faccessat"]: lambda n: self._access(n, a(n.args[0]), n.args[1], n.args[2], 0),
            NR["faccessat2"]: lambda n: self._access(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["readlink"]: lambda n: self._readlink(n, AT_FDCWD, n.args[0], n.args[1], n.args[2]),
            NR["readlinkat"]: lambda n: self._readlink(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["chdir"]: self._chdir,
            NR["read"]: lambda n: self._read(n, n.args[1], n.args[2], None),
            NR["pread64"]: lambda n: self._read(n, n.args[1], n.args[2], n.args[3]),
            NR["write"]: lambda n: self._write(n, None, None),
            NR["pwrite64"]: lambda n: self._write(n, None, n.args[3]),
            NR["readv"]: lambda n: self._vectored(n, write=False),
            NR["writev"]: lambda n: self._vectored(n, write=True),
            NR["preadv"]: lambda n: self._vectored(n, write=False, at=True),
            NR["pwritev"]: lambda n: self._vectored(n, write=True, at=True),
            NR["preadv2"]: lambda n: self._vectored(n, write=False, at=True, flags=True),
            NR["pwritev2"]: lambda n: self._vectored(n, write=True, at=True, flags=True),
            NR["lseek"]: self._lseek,
            NR["getdents64"]: self._getdents64,
            NR["fcntl"]: self._fcntl,
            NR["dup"]: lambda n: self._dup(n, 0, cloexec=False),
            NR["dup2"]: self._dup2,
            NR["dup3"]: self._dup2,
            NR["mmap"]: self._mmap,
            NR["sendfile"]: lambda n: self._transfer(n, 1, 0, errno.EINVAL),
            NR["splice"]: lambda n: self._transfer(n, 0, 2, errno.EPERM),
            NR["copy_file_range"]: self._copy_file_range,
            NR["epoll_ctl"]: self._epoll_ctl,
            NR["ftruncate"]: self._ftruncate,
            NR["fchmod"]: self._fchmod,
            NR["fchown"]: self._fchown,
            NR["fstatfs"]: self._fstatfs,
            NR["readahead"]: self._readahead,
            NR["fallocate"]: self._fallocate,
            NR["flock"]: self._flock,
            NR["ioctl"]: self._ioctl,
            NR["fsetxattr"]: lambda n: self._xattr(n, write=True, value=True),
            NR["fremovexattr"]: lambda n: self._xattr(n, write=True, value=False),
            NR["fgetxattr"]: lambda n: self._xattr(n, write=False, value=True),
            NR["flistxattr"]: self._flistxattr,
            NR["fsync"]: self._fsync,
            NR["fdatasync"]: self._fsync,
            NR["uname"]: self._uname,
            NR["io_uring_setup"]: refuse_io_uring,
            NR["inotify_add_watch"]: self._inotify_add_watch,
            NR["seccomp"]: note_own_filter,
            **view_handlers(self.sup, self.paths),
            **uts_handlers(self.mem, self._uts_target, self.sup.valid),
        }

    # ------------------------------------------------------------------ who and where

    def _uts_target(self, pid: int) -> tuple[Any, Any, Any]:
        """sethostname/setdomainname: the UTS namespace ``uname`` answers from, and the caller."""
        return self._ns(pid).uts, model_caller(pid, self.identity), self.kernel

    def _ns(self, pid: int, path: str | None = None, *, attr: bool = False, writing: bool = False) -> Any:
        """The model namespaces of thread ``pid``, read as the mount's server reads them
        (:class:`fakeproc.serve.Session`): for an attribute (``attr``: stat, existence) the answer
        of the last ``attr_timeout`` seconds, as the mount's kernel caches attributes that long;
        for a read-only open of ``path``, only the namespace links its entry depends on."""
        r = self.resolver
        if attr:
            return r.resolve(pid, max_age=ATTR_TIMEOUT)
        if path is None or writing:
            return r.resolve(pid)
        try:
            needed = self._needed[path]
        except KeyError:
            from fakeproc.serve import NS_TYPES

            types = self.kernel.namespaces_read(path)
            needed = None if types is None else tuple(i for i, name in enumerate(NS_TYPES) if name in
                                                      {t.value for t in types})
            if len(self._needed) > 65536:
                self._needed.clear()
            self._needed[path] = needed
        if needed is None:
            return r.resolve(pid)
        return r.resolve_for(pid, needed) if needed else r.base

    def _caller(self, pid: int, ns: Any = None) -> tuple[Any, Any]:
        """(model namespaces, model Caller) of thread ``pid`` (``ns`` if already known)."""
        from fakeproc.model import ROOT, Caller

        if ns is None:
            ns = self._ns(pid)
        creds = caller_creds(pid)
        # An unprivileged supervisor reads no ids (caller_creds): CMD runs as the supervisor's user.
        real = (creds.fsuid, creds.fsgid) if self.owner == 0 else (self.identity.owner_uid, self.identity.owner_gid)
        uid, gid = self.identity.ids(*real)  # the mount's mapping: the owner is root unless --as user
        if uid == 0:
            return ns, ROOT
        groups = creds.groups if (uid, gid) == real else ()
        return ns, Caller(uid=uid, gid=gid, groups=groups, pid=pid, comm=creds.comm)

    def _where(self, n: Notification, dirfd: int, addr: int, *, follow: bool = True) -> tuple[str, bool] | None:
        return self._where_path(n, dirfd, addr, follow=follow)[0]

    def _where_path(self, n: Notification, dirfd: int, addr: int, *,
                    follow: bool = True) -> tuple[tuple[str, bool] | None, bytes]:
        """(:meth:`_where`, the path as read)."""
        if addr == 0:
            return None, b""  # NULL: the kernel's EFAULT (or, 6.11+ with AT_EMPTY_PATH, the dirfd)
        path = self.mem.read_path(n.pid, addr)
        return (self.paths.resolve(n.pid, dirfd, path, follow=follow) if path else None), path

    def _fd_link(self, n: Notification, path: bytes) -> tuple[str, OpenFile, int, int] | None:
        """For ``/proc/PID/fd/N`` or ``/proc/PID/fdinfo/N`` (``self``, ``thread-self``,
        ``task/TID``, ``/dev/fd/N``) naming an emulated descriptor: ("fd" or "fdinfo", its file,
        the thread and the number); procfs answers those for the /proc/sys file, not the placeholder."""
        if not path.startswith((b"/proc/", b"/dev/fd/")):
            return None
        m = _FD_LINK.match(path)
        if m is None:
            return None
        who, tid, kind, num = m.group("who"), m.group("tid"), m.group("kind") or b"fd", int(m.group("fd"))
        if tid is not None:
            pid = int(tid)
        elif who in (None, b"self"):
            pid = tgid(n.pid)
        elif who == b"thread-self":
            pid = n.pid
        else:
            pid = int(who)
        f = self._lookup(pid, num)
        return None if f is None else (kind.decode(), f, pid, num)

    def _fdinfo(self, n: Notification, f: OpenFile, pid: int, fd: int, flags: int) -> Reply:
        """An open of the fdinfo of an emulated descriptor: a sealed memfd holding what procfs's
        ``seq_show`` (fs/proc/fd.c) gives for the /proc/sys file (position, flags with the
        descriptor's O_CLOEXEC, /proc's mount id, the file's inode number), made at the open."""
        cloexec = bool(_fd_flags(pid, fd) & os.O_CLOEXEC)
        shown = self._getfl(f) | (os.O_CLOEXEC if cloexec else 0)
        text = f"pos:\t{f.pos}\nflags:\t0{shown:o}\nmnt_id:\t{_proc_mnt_id(False)}\nino:\t{_ino(f.rel)}\n"
        mfd = syscall(NR["memfd_create"], b"fakeproc:fdinfo", _MFD_CLOEXEC | _MFD_ALLOW_SEALING)
        try:
            os.write(mfd, text.encode())
            fcntl.fcntl(mfd, _F_ADD_SEALS, _F_SEAL_ALL)
            fd_ro = os.open(f"/proc/self/fd/{mfd}", os.O_RDONLY | os.O_CLOEXEC)
        finally:
            os.close(mfd)
        try:
            return self.sup.inject(n, fd_ro, cloexec=bool(flags & os.O_CLOEXEC))
        finally:
            os.close(fd_ro)

    def _lookup(self, pid: int, fd: int) -> OpenFile | None:
        if fd < 0 or self.memfd_dev is None and self.socket_dev is None:
            return None
        try:
            st = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            return None
        if st.st_dev == self.memfd_dev:
            shared = self._by_ino.get(st.st_ino)
            if shared is None:
                return None
            opens = shared.opens
            if len(opens) == 1:  # the usual case: one open of the file at a time
                for only in opens.values():
                    return only
            return opens.get(_fd_pos(pid, fd))
        if st.st_dev != self.socket_dev:
            return None
        return self.files.get(st.st_ino)

    # ------------------------------------------------------------------ poll

    def close(self) -> None:
        """Stop following the kernel's poll events and close the placeholders' peers (after the run)."""
        self._unsubscribe()
        with self._open_lock:
            for shared in self._inodes.values():
                os.close(shared.keeper)
            self._inodes.clear()
            self._by_ino.clear()
        with self._poll_lock:
            for f in self._polled.values():
                if f.poll is not None:
                    f.poll.peer.close()
            self._polled.clear()

    def _changed(self, key: str) -> None:
        """The model notified ``key`` (a write, ``sethostname``): signal its placeholders.

        The stated limit is logged (once per run) when a change is shown on a descriptor other
        than the one written through, i.e. when a watcher may poll it: a plain ``sysctl -a`` or
        ``echo NAME > /proc/sys/kernel/hostname`` logs nothing."""
        with self._poll_lock:
            gone = []
            for ino, f in self._polled.items():
                if f.file.key != key or f.poll is None:
                    continue
                try:
                    if not f.poll.signal():
                        gone.append(ino)
                    elif f is not self._writing and not self._poll_logged:
                        self._poll_logged = True
                        log.warning("fakeproc: poll/select/epoll on emulated /proc/sys/%s report a change "
                                    "until the descriptor is read, written, seeked, stat'ed or added to an epoll "
                                    "set or uname(2) is called, not once per poll as procfs", f.rel)
                except OSError as e:
                    log.warning("fakeproc: a change of %s cannot be shown on its poll placeholder (%s)",
                                key, e.strerror)
            for ino in gone:
                self._forget(ino)

    def _forget(self, ino: int) -> None:
        f = self._polled.pop(ino)
        self.files.pop(ino, None)
        if f.poll is not None:
            f.poll.peer.close()

    def _take_change(self, n: Notification, fd: int, f: OpenFile) -> None:
        """CMD used the file description (``fd`` of ``n.pid``): the change it was shown is taken up."""
        if f.poll is None or not f.poll.pending:
            return
        try:
            own = socket.socket(fileno=_getfd(n.pid, fd))
        except OSError:
            return
        with own, self._poll_lock:
            try:
                f.poll.take(own)
            except OSError as e:
                log.warning("fakeproc: the poll placeholder of /proc/sys/%s cannot be reset (%s): "
                            "polls keep reporting a change", f.rel, e.strerror)
            f.file.poll()  # the model's file takes the change up too

    def _take_changes_of(self, n: Notification) -> None:
        """``uname(2)``: the caller has looked at the names; take up the changes shown on the
        pollable descriptors it holds."""
        if not any(f.poll is not None and f.poll.pending for f in list(self._polled.values())):
            return
        try:
            fds = [int(x) for x in os.listdir(f"/proc/{n.pid}/fd")]
        except OSError:
            return
        for fd in fds:
            if fd >= WATCH_FROM or fd < 3:
                f = self._lookup(n.pid, fd)
                if f is not None:
                    self._take_change(n, fd, f)

    def _poll_placeholder(self, rel: str) -> tuple[int, PollPlaceholder]:
        """CMD's end of a new placeholder socketpair (ours to close after injecting) and the
        supervisor's side (:class:`PollPlaceholder`)."""
        cmd_end, poll = PollPlaceholder.make()
        if self.socket_dev is None:
            self.socket_dev = os.fstat(cmd_end.fileno()).st_dev
        return cmd_end.detach(), poll

    def _sweep_polled(self) -> None:
        """Close the peers of placeholders CMD has closed (keeps the supervisor's descriptors bounded)."""
        with self._poll_lock:
            for ino in [ino for ino, f in self._polled.items() if f.poll is not None and f.poll.closed()]:
                self._forget(ino)

    # ------------------------------------------------------------------ open

    def _openat2(self, n: Notification) -> Reply:
        if n.args[3] < 24:
            return CONTINUE
        flags, mode, resolve = struct.unpack("<QQQ", self.mem.read(n.pid, n.args[2], 24))
        dirfd = signed32(n.args[0])
        if not resolve:
            return self._open(n, dirfd, n.args[1], flags, mode)
        flags &= 0xFFFFFFFF
        path = self.mem.read_path(n.pid, n.args[1]) if n.args[1] else b""
        emulated_base = self._dir_of(n.pid, dirfd) if dirfd >= 0 else None
        if emulated_base is None and (not path or self._where(n, dirfd, n.args[1]) is None):
            return CONTINUE  # not ours: the kernel applies open_how.resolve itself
        # fs/open.c build_open_how, then the walk's own refusals (fs/namei.c)
        if resolve & ~_RESOLVE_ALL or resolve & _RESOLVE_BENEATH and resolve & _RESOLVE_IN_ROOT:
            return Reply(error=errno.EINVAL)
        if resolve & _RESOLVE_CACHED:
            # build_open_how refuses a creating or truncating cached open with EAGAIN up front, and
            # proc_sys_revalidate any RCU walk (-ECHILD): the lookup is never cached on procfs
            return Reply(error=errno.EAGAIN)
        found = self._resolve_how(n, dirfd, emulated_base, path, resolve)
        if isinstance(found, int):
            return Reply(error=found)
        if found is None:
            if emulated_base is not None:
                return self._above_limit(n, path)
            return CONTINUE
        return self._open_rel(n, *found, flags)

    def _resolve_how(self, n: Notification, dirfd: int, base: str | None, path: bytes,
                     resolve: int) -> tuple[str, bool] | int | None:
        """``path`` from ``dirfd`` under RESOLVE_BENEATH, RESOLVE_IN_ROOT and RESOLVE_NO_XDEV
        (fs/namei.c: EXDEV for an absolute path or a '..' above the dirfd beneath it, '..' stays
        at the dirfd in its root, EXDEV at a mount crossing): (path relative to /proc/sys, trailing
        slash), an errno, or None when it ends outside /proc/sys or goes through a symlink outside
        it (the kernel decides; inside /proc/sys there are none)."""
        absolute = path.startswith(b"/")
        if absolute and resolve & _RESOLVE_BENEATH:
            return errno.EXDEV
        if base is None:
            link = f"/proc/{n.pid}/cwd" if dirfd == AT_FDCWD else f"/proc/{n.pid}/fd/{dirfd}"
            try:
                base = os.readlink(link)
            except OSError:
                return None
            if not base.startswith("/"):
                return None
        start = [c for c in base.split("/") if c]
        cur = [] if absolute and not resolve & _RESOLVE_IN_ROOT else list(start)
        floor = len(cur) if resolve & (_RESOLVE_BENEATH | _RESOLVE_IN_ROOT) else 0
        xdev = bool(resolve & _RESOLVE_NO_XDEV)
        for name in os.fsdecode(path).split("/"):
            if name in ("", "."):
                continue
            if name == "..":
                if len(cur) <= floor:
                    if resolve & _RESOLVE_BENEATH:
                        return errno.EXDEV
                    continue  # RESOLVE_IN_ROOT, or '..' at /
                if xdev and _is_mount_root(cur):
                    return errno.EXDEV
                cur.pop()
                continue
            inside = cur[:2] == ["proc", "sys"]
            cur.append(name)
            if xdev and _is_mount_root(cur):
                return errno.EXDEV
            if not inside and os.path.islink("/" + "/".join(cur)):
                return None
        if cur[:2] != ["proc", "sys"]:
            return None
        return "/".join(cur[2:]), path.endswith(b"/")

    def _open(self, n: Notification, dirfd: int, addr: int, flags: int, mode: int) -> Reply:
        flags &= 0xFFFFFFFF
        found, path = self._where_path(n, dirfd, addr, follow=not flags & os.O_NOFOLLOW)
        if found is None:
            above = self._above(n, dirfd, path)
            if above is not None:
                return self._open_above(n, above, path, flags)
            link = self._fd_link(n, path) if not flags & (os.O_NOFOLLOW | os.O_PATH) else None
            if link is None:
                return CONTINUE
            kind, linked, pid, num = link
            if kind == "fdinfo":
                if flags & (os.O_ACCMODE | os.O_CREAT | os.O_TRUNC | os.O_DIRECTORY):
                    return CONTINUE  # the kernel refuses these on the placeholder's fdinfo as on any
                return self._fdinfo(n, linked, pid, num, flags)
            found = (linked.rel, False)  # proc_fd_link: the open reopens the /proc/sys file
        return self._open_rel(n, *found, flags)

    def _open_rel(self, n: Notification, rel: str, slash: bool, flags: int) -> Reply:
        """The open of /proc/sys/``rel`` (``slash``: the path ended with one), ``flags`` as given."""
        ns, caller = self._caller(n.pid, self._ns(n.pid, _p(rel), writing=flags & os.O_ACCMODE != os.O_RDONLY
                                                  or bool(flags & os.O_TRUNC)))
        if flags & os.O_PATH:
            log.warning("fakeproc: O_PATH open of /proc/sys/%s is not emulated (EOPNOTSUPP)", rel)
            return Reply(error=errno.EOPNOTSUPP)
        f = self.kernel.open(_p(rel), flags, ns, caller)
        if not f.is_dir and (slash or flags & os.O_DIRECTORY):
            return Reply(error=errno.ENOTDIR)
        if f.is_dir and (flags & os.O_ACCMODE) != os.O_RDONLY:
            return Reply(error=errno.EISDIR)
        if flags & os.O_DIRECT:
            return Reply(error=errno.EINVAL)  # procfs has no direct I/O (fs/open.c do_dentry_open)
        poll = None
        if f.poll_event is None:
            opened = OpenFile(f, rel, flags)
            fd = self._placeholder(opened)
        else:
            self._sweep_polled()
            fd, poll = self._poll_placeholder(rel)
        try:
            if poll is not None:
                ino = os.fstat(fd).st_ino
                opened = self.files[ino] = OpenFile(f, rel, flags, poll=poll)
                with self._poll_lock:
                    self._polled[ino] = opened
            return self.sup.inject(n, fd, cloexec=bool(flags & os.O_CLOEXEC), at=self._free_fd(n.pid, WATCH_FROM))
        finally:
            os.close(fd)

    def _open_above(self, n: Notification, above: str, path: bytes, flags: int) -> Reply:
        """'..' from an emulated directory up to /proc or /: that directory as the caller sees it
        (through its root), opened read-only as asked; anything else is the stated limit."""
        if not above or flags & (_O_TMPFILE_BIT | os.O_PATH):
            return self._above_limit(n, path)
        if flags & (os.O_ACCMODE | os.O_CREAT | os.O_TRUNC):
            return Reply(error=errno.EISDIR)  # a directory (may_open; do_open for O_CREAT)
        try:
            fd = os.open(f"/proc/{n.pid}/root{above}", (flags & ~os.O_CLOEXEC) | os.O_CLOEXEC)
        except OSError as e:
            return Reply(error=e.errno or errno.EIO)
        try:
            return self.sup.inject(n, fd, cloexec=bool(flags & os.O_CLOEXEC))
        finally:
            os.close(fd)

    def _placeholder(self, opened: OpenFile) -> int:
        """A new open file description of the placeholder inode of ``opened``'s file, write-only
        (sealed: a copy the filter does not watch fails reads with EBADF and writes with EPERM),
        whose file position is its id (:class:`SharedInode`)."""
        with self._open_lock:
            key = (opened.rel, id(opened.file.nsset))
            shared = self._inodes.get(key)
            if shared is None:
                shared = self._inodes[key] = SharedInode.make(opened.rel, opened.file.nsset)
                self._by_ino[shared.ino] = shared
                if self.memfd_dev is None:
                    self.memfd_dev = os.fstat(shared.keeper).st_dev
                self._evict()
            else:
                self._inodes.move_to_end(key)
                if shared.opens and not shared.in_use():
                    shared.opens.clear()  # CMD has closed them all
            fd = os.open(f"/proc/self/fd/{shared.keeper}", os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.lseek(fd, self._next_id, os.SEEK_SET)
            except BaseException:
                os.close(fd)
                raise
            shared.opens[self._next_id] = opened
            self._next_id += 1
            return fd

    def _evict(self) -> None:
        """Close the keepers of the least recently opened files CMD no longer holds open, beyond
        :func:`keep_inodes` (the supervisor's descriptors stay bounded); one still held open
        goes to the back, to be tried again later."""
        for _ in range(4):
            if len(self._inodes) <= self._keep:
                return
            key, shared = next(iter(self._inodes.items()))
            if shared.in_use():
                self._inodes.move_to_end(key)
                continue
            del self._inodes[key]
            del self._by_ino[shared.ino]
            os.close(shared.keeper)

    @staticmethod
    def _free_fd(pid: int, lowest: int) -> int:
        try:
            used = {int(x) for x in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            used = set()
        fd = lowest
        while fd in used:
            fd += 1
        return fd

    # ------------------------------------------------------------------ I/O

    def _read(self, n: Notification, buf: int, count: int, at: int | None) -> Reply:
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

    def _write(self, n: Notification, data: bytes | None, at: int | None) -> Reply:
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
        self._writing = f
        try:
            count = f.file.write(data, f.pos if at is None else at, caller=self._caller(n.pid, f.file.nsset)[1])
        finally:
            self._writing = None
        if at is None:
            f.pos += count
        return Reply(value=count)

    def _iovecs(self, n: Notification) -> list[tuple[int, int]]:
        cnt = signed32(n.args[2])
        if cnt < 0 or cnt > 1024:
            raise OSError(errno.EINVAL, "iovcnt")
        raw = self.mem.read(n.pid, n.args[1], 16 * cnt)
        return [struct.unpack_from("<QQ", raw, 16 * i) for i in range(cnt)]

    def _vectored(self, n: Notification, *, write: bool, at: bool = False, flags: bool = False) -> Reply:
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
            self._writing = f
            try:
                count = f.file.write(data, start, caller=caller)  # RWF_APPEND: procfs writes at the position
            finally:
                self._writing = None
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

    def _lseek(self, n: Notification) -> Reply:
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

    def _getdents64(self, n: Notification) -> Reply:
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if not f.file.is_dir:
            return Reply(error=errno.ENOTDIR)
        if f.entries is None:
            f.entries = [".", "..", *self.kernel.listdir(_p(f.rel), f.file.nsset)]
        out = b""
        count = n.args[2] & 0xFFFFFFFF
        while f.pos < len(f.entries):
            name = f.entries[f.pos]
            child = f.rel + "/" + name if f.rel else name
            if name in (".", ".."):
                dtype = 4
            else:
                dtype = 4 if self.kernel.stat(_p(child), f.file.nsset).is_dir else 8
            raw = name.encode()
            reclen = (19 + len(raw) + 1 + 7) & ~7
            if len(out) + reclen > count:
                if not out:
                    return Reply(error=errno.EINVAL)
                break
            ent = struct.pack("<QqHB", _ino(child), f.pos + 1, reclen, dtype) + raw
            out += ent.ljust(reclen, b"\0")
            f.pos += 1
        self.mem.write(n.pid, n.args[1], out)
        return Reply(value=len(out))

    # ------------------------------------------------------------------ stat, access, readlink

    def _pack_stat(self, rel: str, ns: Any, *, statx: int | None = None) -> bytes:
        """``struct stat`` (or ``struct statx`` for the request mask ``statx``) of ``/proc/sys/rel``:
        the model's mode, owner and link count; size 0 and one timestamp for all, like procfs."""
        st = self.kernel.stat(_p(rel), ns)
        t = self.started
        if statx is not None:
            # fs/stat.c vfs_statx_path: the mount's id, its unique id when that is asked for
            unique = bool(statx & _STATX_MNT_ID_UNIQUE)
            mask = _STATX_BASIC_STATS | (_STATX_MNT_ID_UNIQUE if unique else _STATX_MNT_ID)
            out = bytearray(_STATX.pack(mask, 1024, 0, st.nlink, st.uid, st.gid, st.mode, _ino(rel), 0, 0,
                                        _STATX_ATTRIBUTES_MASK, t, 0, t, 0, t, 0, t, 0, 0, 0,
                                        os.major(_DEV), os.minor(_DEV)).ljust(_STATX_SIZE, b"\0"))
            struct.pack_into("<Q", out, _STATX_MNT_ID_AT, _proc_mnt_id(unique))
            return bytes(out)
        return _STAT.pack(_DEV, _ino(rel), st.nlink, st.mode, st.uid, st.gid, 0, 0, 0, 1024, 0,
                          t, 0, t, 0, t, 0)

    def _fstat(self, n: Notification, fd: int, buf: int, *, statx: int | None = None) -> Reply:
        f = self._lookup(n.pid, fd)
        if f is None:
            return CONTINUE
        if f.poll is not None:
            self._take_change(n, fd, f)
        self.mem.write(n.pid, buf, self._pack_stat(f.rel, f.file.nsset, statx=statx))
        return Reply(value=0)

    def _stat(self, n: Notification, dirfd: int, addr: int, buf: int, flags: int, *,
              statx: int | None = None) -> Reply:
        flags &= 0xFFFFFFFF
        if flags & AT_EMPTY_PATH and (addr == 0 or not self.mem.read_path(n.pid, addr)):
            if statx is not None and self._lookup(n.pid, dirfd) is not None and _statx_refused(statx, flags):
                return Reply(error=errno.EINVAL)
            return self._fstat(n, dirfd, buf, statx=statx)
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
        data = self._pack_stat(rel, ns, statx=statx)
        if slash and not self.kernel.stat(_p(rel), ns).is_dir:
            return Reply(error=errno.ENOTDIR)
        self.mem.write(n.pid, buf, data)
        return Reply(value=0)

    def _stat_above(self, n: Notification, above: str, buf: int, flags: int, statx: int | None) -> Reply:
        """stat/statx of /proc or / reached by '..' from an emulated directory: the kernel's answer
        for that directory as the caller sees it."""
        import ctypes

        host = f"/proc/{n.pid}/root{above}".encode()
        out = ctypes.create_string_buffer(_STATX_SIZE if statx is not None else _STAT.size)
        try:
            if statx is None:
                syscall(NR["newfstatat"], AT_FDCWD, host, out, 0)
            else:
                syscall(NR["statx"], AT_FDCWD, host, flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), statx, out)
        except OSError as e:
            return Reply(error=e.errno or errno.EIO)
        self.mem.write(n.pid, buf, out.raw)
        return Reply(value=0)

    def _access(self, n: Notification, dirfd: int, addr: int, mode: int, flags: int) -> Reply:
        found, path = self._where_path(n, dirfd, addr, follow=not flags & AT_SYMLINK_NOFOLLOW)
        if found is None:
            above = self._above(n, dirfd, path)
            if above is None:
                return CONTINUE
            if not above or mode & os.W_OK:
                return self._above_limit(n, path)
            ok = os.access(f"/proc/{n.pid}/root{above}", mode & (os.R_OK | os.X_OK))  # 0555 /proc, / for all
            return Reply(value=0) if ok else Reply(error=errno.EACCES)
        rel, _slash = found
        ns, caller = self._caller(n.pid)
        st = self.kernel.stat(_p(rel), ns)
        if st.is_dir:
            ok = not mode & os.W_OK
        else:
            ok = self.kernel.access(_p(rel), read=bool(mode & os.R_OK), write=bool(mode & os.W_OK),
                                    execute=bool(mode & os.X_OK), ns=ns, caller=caller)
        return Reply(value=0) if ok else Reply(error=errno.EACCES)

    def _readlink(self, n: Notification, dirfd: int, addr: int, buf: int, size: int) -> Reply:
        found, path = self._where_path(n, dirfd, addr, follow=False)
        if found is None:
            link = self._fd_link(n, path)
            if link is None or link[0] != "fd":
                return CONTINUE
            size = signed32(size)
            if size <= 0:
                return Reply(error=errno.EINVAL)
            target = ("/proc/sys/" + link[1].rel).rstrip("/").encode()  # d_path of the procfs file
            self.mem.write(n.pid, buf, target[:size])
            return Reply(value=min(size, len(target)))
        self.kernel.stat(_p(found[0]), self._ns(n.pid, attr=True))  # ENOENT for a missing one
        return Reply(error=errno.EINVAL)  # the fake tree has no symlinks

    def _inotify_add_watch(self, n: Notification) -> Reply:
        """A stated limit: the model's files have no inode for fsnotify to watch, and a watch on the
        host's procfs inode would never see the fake's changes, so a watch under /proc/sys fails
        (EOPNOTSUPP, logged) instead of staying silent."""
        found = self._where(n, AT_FDCWD, n.args[1], follow=not n.args[2] & _IN_DONT_FOLLOW)
        if found is None:
            return CONTINUE
        log.warning("fakeproc: pid %d: inotify_add_watch on /proc/sys/%s refused with EOPNOTSUPP: the "
                    "emulated backend cannot raise inotify events for the fake's files", n.pid, found[0])
        return Reply(error=errno.EOPNOTSUPP)

    def _chdir(self, n: Notification) -> Reply:
        found = self._where(n, AT_FDCWD, n.args[0])
        if found is None:
            return CONTINUE
        if not self.kernel.stat(_p(found[0]), self._ns(n.pid, attr=True)).is_dir:
            return Reply(error=errno.ENOTDIR)
        if os.path.isdir("/proc/sys/" + found[0]):
            return CONTINUE  # the cwd is the real directory; relative lookups are redirected
        log.warning("fakeproc: chdir into /proc/sys/%s: the directory exists only in the fake (ENOENT)", found[0])
        return Reply(error=errno.ENOENT)

    def _uname(self, n: Notification) -> Reply:
        """uname(2): nodename, release and domainname from the caller's (model) UTS namespace."""
        self._take_changes_of(n)
        ns = self._ns(n.pid)
        real = os.uname()

        def value(key: str) -> str:
            return str(self.kernel.read(key, ns)).rstrip("\n")

        fields = (real.sysname, value("kernel.hostname"), value("kernel.osrelease"), real.version,
                  real.machine, value("kernel.domainname"))
        data = b"".join(os.fsencode(f)[:64].ljust(65, b"\0") for f in fields)
        self.mem.write(n.pid, n.args[0], data)
        return Reply(value=0)

    # ------------------------------------------------------------------ descriptors

    def _fcntl(self, n: Notification) -> Reply:
        cmd = signed32(n.args[1])
        if cmd not in _FCNTL_ANSWERED:
            return CONTINUE
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if cmd in (_F_ADD_SEALS, _F_GET_SEALS, _F_SETLEASE):
            return Reply(error=errno.EINVAL)  # seals are memfd's; procfs has no lease (6.18: EINVAL)
        if cmd == _F_GETLEASE:
            return Reply(value=fcntl.F_UNLCK)
        if cmd in _LOCK_CMDS:
            return self._lock(n, f, cmd)  # the placeholder inode holds them, as procfs's inode does
        if cmd == _F_GETFL:
            return Reply(value=self._getfl(f))
        if cmd == _F_SETFL:
            return self._setfl(n, f, n.args[2] & 0xFFFFFFFF)
        return self._dup(n, signed32(n.args[2]), cloexec=cmd == _F_DUPFD_CLOEXEC)

    @staticmethod
    def _getfl(f: OpenFile) -> int:
        """The file's f_flags: do_dentry_open drops the open-only flags; O_LARGEFILE is forced on 64-bit."""
        return (f.flags & ~(os.O_CREAT | os.O_EXCL | os.O_NOCTTY | os.O_TRUNC | os.O_CLOEXEC)) | _O_LARGEFILE

    def _setfl(self, n: Notification, f: OpenFile, arg: int) -> Reply:
        """F_SETFL as fs/fcntl.c ``setfl`` does it for a procfs file; the placeholder keeps its own flags
        (a poll placeholder stays non-blocking: CMD's reads never reach it)."""
        if arg & os.O_NOATIME and not f.flags & os.O_NOATIME:
            _ns, caller = self._caller(n.pid, f.file.nsset)
            if caller.uid != 0 and caller.uid != self.kernel.stat(_p(f.rel), f.file.nsset).uid:
                return Reply(error=errno.EPERM)  # inode_owner_or_capable (CAP_FOWNER: root here)
        if arg & os.O_DIRECT:
            return Reply(error=errno.EINVAL)  # no FMODE_CAN_ODIRECT on procfs
        f.flags = (arg & _SETFL_MASK) | (f.flags & ~_SETFL_MASK)
        return Reply(value=0)

    def _dup(self, n: Notification, lowest: int, *, cloexec: bool) -> Reply:
        fd = signed32(n.args[0])
        if self._lookup(n.pid, fd) is None:
            return CONTINUE
        # The copy must stay watched: place it at WATCH_FROM or above (dup's "lowest free"
        # number is not kept; programs that care use dup2).
        ours = _getfd(n.pid, fd)
        try:
            return self.sup.inject(n, ours, cloexec=cloexec, at=self._free_fd(n.pid, max(lowest, WATCH_FROM)))
        finally:
            os.close(ours)

    def _dup2(self, n: Notification) -> Reply:
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

    def _epoll_ctl(self, n: Notification) -> Reply:
        """EPOLL_CTL_ADD/MOD poll the file once (fs/eventpoll.c ``ep_insert``/``ep_modify`` call
        ``ep_item_poll``), which takes a change up on procfs: take it back here, and the call
        goes on against the placeholder at rest."""
        if signed32(n.args[1]) in (_EPOLL_CTL_ADD, _EPOLL_CTL_MOD):
            fd = signed32(n.args[2])
            f = self._lookup(n.pid, fd)
            if f is not None and f.poll is not None:
                self._take_change(n, fd, f)
        return CONTINUE

    def _transfer(self, n: Notification, source: int, sink: int, into_errno: int) -> Reply:
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

    def _flock(self, n: Notification) -> Reply:
        f = self._lookup(n.pid, signed32(n.args[0]))
        return CONTINUE if f is None else self._lock(n, f)

    def _fchmod(self, n: Notification) -> Reply:
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        return Reply(error=errno.EPERM)  # proc_sys_setattr refuses ATTR_MODE

    def _fchown(self, n: Notification) -> Reply:
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        # proc_sys_setattr refuses ATTR_UID/ATTR_GID; chown(-1, -1) changes neither and succeeds
        unchanged = n.args[1] & 0xFFFFFFFF == 0xFFFFFFFF and n.args[2] & 0xFFFFFFFF == 0xFFFFFFFF
        return Reply(value=0) if unchanged else Reply(error=errno.EPERM)

    def _fstatfs(self, n: Notification) -> Reply:
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        import ctypes

        buf = ctypes.create_string_buffer(_STATFS_SIZE)
        syscall(NR["statfs"], b"/proc/sys", buf)  # procfs's own answer (PROC_SUPER_MAGIC)
        self.mem.write(n.pid, n.args[1], buf.raw)
        return Reply(value=0)

    def _readahead(self, n: Notification) -> Reply:
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if not f.file.readable:
            return Reply(error=errno.EBADF)  # fs/readahead.c ksys_readahead
        if f.file.is_dir:
            return Reply(error=errno.EINVAL)  # not S_ISREG
        return Reply(value=0)  # generic_fadvise(WILLNEED) on an empty file

    def _fallocate(self, n: Notification) -> Reply:
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

    def _ioctl(self, n: Notification) -> Reply:
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

    def _xattr(self, n: Notification, *, write: bool, value: bool) -> Reply:
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
        path = _p(f.rel)
        if f.file.is_dir:
            ok = not write  # proc_sys_permission: the directories are r-x for all
        else:
            ok = self.kernel.access(path, read=not write, write=write, execute=False, ns=f.file.nsset, caller=caller)
        return Reply(error=errno.EOPNOTSUPP if ok else errno.EACCES)

    def _flistxattr(self, n: Notification) -> Reply:
        if self._lookup(n.pid, signed32(n.args[0])) is None:
            return CONTINUE
        return Reply(value=0)  # no names (no handlers, no security module's)

    def _copy_file_range(self, n: Notification) -> Reply:
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

    def _mmap(self, n: Notification) -> Reply:
        if self._lookup(n.pid, signed32(n.args[4])) is None:
            return CONTINUE
        return Reply(error=errno.ENODEV)  # procfs sysctl files have no mmap (proc_sys_file_operations)

    def _ftruncate(self, n: Notification) -> Reply:
        f = self._lookup(n.pid, signed32(n.args[0]))
        if f is None:
            return CONTINUE
        if n.args[1] >= 1 << 63:
            return Reply(error=errno.EINVAL)  # fs/open.c do_sys_ftruncate: a negative length, first
        if not f.file.writable:
            return Reply(error=errno.EINVAL)
        # setattr_prepare -> inode_newsize_ok: procfs keeps alloc_super's s_maxbytes, MAX_NON_LFS
        return Reply(error=errno.EFBIG) if n.args[1] > _MAX_NON_LFS else Reply(value=0)

    def _fsync(self, n: Notification) -> Reply:
        return CONTINUE if self._lookup(n.pid, signed32(n.args[0])) is None else Reply(error=errno.EINVAL)


_IN_DONT_FOLLOW = 0x02000000  # include/uapi/linux/inotify.h


def _p(rel: str) -> str:
    """The model's name for a path relative to /proc/sys (a bare ``vm.swappiness`` is a file
    name with a dot, not a key)."""
    return "/proc/sys/" + rel  # "/proc/sys/" itself is the model's root, key ""


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


_MOUNT_ROOTS: dict[str, bool] = {}


def _is_mount_root(parts: list[str]) -> bool:
    """Whether the host directory ``/parts`` is a mount's root (statx STATX_ATTR_MOUNT_ROOT);
    only /proc and /proc/sys are asked (the only crossings a path into /proc/sys can make),
    anything else counts as one when it is / itself."""
    if not parts:
        return True
    if parts not in (["proc"], ["proc", "sys"]):
        return False
    path = "/" + "/".join(parts)
    if path not in _MOUNT_ROOTS:
        import ctypes

        buf = ctypes.create_string_buffer(_STATX_SIZE)
        try:
            syscall(NR["statx"], AT_FDCWD, path.encode(), 0, 0, buf)
            _MOUNT_ROOTS[path] = bool(struct.unpack_from("<Q", buf.raw, 8)[0] & _STATX_ATTR_MOUNT_ROOT)
        except OSError:
            _MOUNT_ROOTS[path] = False
    return _MOUNT_ROOTS[path]


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


def _statx_refused(mask: int, flags: int) -> bool:
    """fs/stat.c do_statx/vfs_statx: a reserved mask bit, both sync types or an unknown flag is EINVAL."""
    return bool(mask & _STATX_RESERVED or flags & _AT_STATX_SYNC_TYPE == _AT_STATX_SYNC_TYPE
                or flags & ~_STATX_FLAGS)


_MNT_IDS: dict[bool, int] = {}


def _proc_mnt_id(unique: bool) -> int:
    """The id (or unique id) of the mount /proc/sys is on here, as statx reports it."""
    if unique not in _MNT_IDS:
        import ctypes

        buf = ctypes.create_string_buffer(_STATX_SIZE)
        try:
            syscall(NR["statx"], AT_FDCWD, b"/proc/sys", 0, _STATX_MNT_ID_UNIQUE if unique else _STATX_MNT_ID, buf)
            _MNT_IDS[unique] = struct.unpack_from("<Q", buf.raw, _STATX_MNT_ID_AT)[0]
        except OSError:
            _MNT_IDS[unique] = 0
    return _MNT_IDS[unique]


def _ino(rel: str) -> int:
    return zlib.crc32(rel.encode()) | 1 << 32


_FD_LINK = re.compile(rb"^(?:/proc/(?P<who>self|thread-self|\d+)(?:/task/(?P<tid>\d+))?/(?P<kind>fd|fdinfo)"
                      rb"|/dev/fd)/(?P<fd>\d+)$")


def _fd_flags(pid: int, fd: int) -> int:
    """The ``flags:`` of thread ``pid``'s ``fd`` in its fdinfo (with the descriptor's O_CLOEXEC)."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as info:
            return int(info.read().split(b"flags:", 1)[1].split()[0], 8)
    except (OSError, ValueError, IndexError):
        return 0


def _fd_pos(pid: int, fd: int) -> int:
    """The file position of thread ``pid``'s ``fd`` (the first line of its fdinfo), -1 if gone."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as info:
            return int(info.readline().split(b":", 1)[1])
    except (OSError, ValueError, IndexError):
        return -1


def _getfd(pid: int, fd: int) -> int:
    """Our own descriptor for thread ``pid``'s ``fd``: the same open file description."""
    try:
        pidfd = syscall(NR["pidfd_open"], pid, 0)
    except OSError:
        from fakeproc.backends.seccomp._paths import tgid

        pidfd = syscall(NR["pidfd_open"], tgid(pid), 0)
    try:
        return syscall(NR["pidfd_getfd"], pidfd, fd, 0)
    finally:
        os.close(pidfd)
