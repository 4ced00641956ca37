"""The emulated backend's descriptor objects: what CMD holds in place of a ``/proc/sys`` file.

An open puts a placeholder in CMD: a new write-only open file description of the file's
:class:`SharedInode` (one sealed memfd per file, so locks conflict between opens as on procfs),
or, for a file whose changes ``poll(2)`` reports, one end of a :class:`PollPlaceholder`
socketpair. The supervisor's side of each open is an :class:`OpenFile` (the model's file, its
offset and flags), which every copy CMD makes of the descriptor shares.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

from fakeproc.backends.seccomp._abi import NR, syscall

__all__ = ["F_ADD_SEALS", "F_SETLEASE", "WATCH_FROM", "OpenFile", "PollPlaceholder", "SharedInode", "getfl",
           "keep_inodes", "sealed_memfd"]

WATCH_FROM = 512
"""Placeholders live at this number or above (below the usual RLIMIT_NOFILE soft limit, 1024)."""

_MFD_CLOEXEC, _MFD_ALLOW_SEALING = 1, 2
# include/uapi/linux/fcntl.h
F_ADD_SEALS, _F_SEAL_ALL = 1033, 0x1 | 0x2 | 0x4 | 0x8  # SEAL, SHRINK, GROW, WRITE
F_SETLEASE = 1024
_O_LARGEFILE = 0o100000

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


def keep_inodes() -> int:
    """How many keepers of files CMD has closed the supervisor keeps: a quarter of its descriptor
    limit, between 256 and 4096 (evicting costs a lease test per new file)."""
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 4096 if soft == resource.RLIM_INFINITY else max(256, min(4096, soft // 4))


def sealed_memfd(name: bytes, data: bytes = b"") -> int:
    """A new read-only (close-on-exec) description of a new memfd named ``name`` holding ``data``,
    sealed against any change (``F_SEAL_WRITE|GROW|SHRINK|SEAL``)."""
    mfd = syscall(NR["memfd_create"], name, _MFD_CLOEXEC | _MFD_ALLOW_SEALING)
    try:
        if data:
            os.write(mfd, data)
        fcntl.fcntl(mfd, F_ADD_SEALS, _F_SEAL_ALL)
        return os.open(f"/proc/self/fd/{mfd}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(mfd)


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
        """The placeholder inode of /proc/sys/``rel`` in ``nsset``: a new sealed memfd."""
        name = ("fakeproc:" + (rel.replace("/", ".") or "sys"))[:240].encode()
        # read-only: a write lease (in_use) is refused on memfd_create's own description
        keeper = sealed_memfd(name)
        return cls(keeper, os.fstat(keeper).st_ino, nsset)

    def in_use(self) -> bool:
        """Whether any description but the keeper is open: a write lease is refused then
        (fs/locks.c check_conflicting_open)."""
        try:
            fcntl.fcntl(self.keeper, F_SETLEASE, fcntl.F_WRLCK)
        except OSError:
            return True
        fcntl.fcntl(self.keeper, F_SETLEASE, fcntl.F_UNLCK)
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


def getfl(f: OpenFile) -> int:
    """The file's f_flags: do_dentry_open drops the open-only flags; O_LARGEFILE is forced on 64-bit."""
    return (f.flags & ~(os.O_CREAT | os.O_EXCL | os.O_NOCTTY | os.O_TRUNC | os.O_CLOEXEC)) | _O_LARGEFILE
