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

The calls are answered by small modules, each with one job, over one shared :class:`Context`
(``_context``: the model, the caller's namespaces and paths): ``_path_calls`` (open, openat2,
access, readlink, chdir, inotify_add_watch), ``_stat_calls`` (the stat family), ``_io_calls``
(read, write and their variants, lseek, getdents64), ``_fd_calls`` (fcntl, dup, locks, ioctl,
xattrs, ...), ``_uname`` and ``_polls`` (the poll placeholders). ``_files`` is the table of
open files, ``_placeholders`` the descriptor objects. :class:`EmulatedHandlers` puts them
together in one syscall table.
"""

from __future__ import annotations

import errno
from typing import Any

from fakeproc.backends.emulated._context import ATTR_TIMEOUT, Context
from fakeproc.backends.emulated._fd_calls import FdCalls
from fakeproc.backends.emulated._io_calls import IOCalls
from fakeproc.backends.emulated._path_calls import PathCalls
from fakeproc.backends.emulated._placeholders import (
    WATCH_FROM,
    OpenFile,
    PollPlaceholder,
    SharedInode,
    keep_inodes,
)
from fakeproc.backends.emulated._stat_calls import StatCalls
from fakeproc.backends.emulated._uname import UnameCalls
from fakeproc.backends.seccomp._abi import NR
from fakeproc.backends.seccomp._paths import AT_FDCWD, signed32
from fakeproc.backends.seccomp._redirect import (
    AT_SYMLINK_NOFOLLOW,
    note_own_filter,
    refuse_io_uring,
    view_handlers,
)
from fakeproc.backends.seccomp._supervisor import Handler, Supervisor
from fakeproc.backends.seccomp._uts import uts_handlers

__all__ = ["ATTR_TIMEOUT", "FD_SYSCALLS", "WATCH_FROM", "EmulatedHandlers", "OpenFile", "PollPlaceholder",
           "SharedInode", "keep_inodes"]

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


class EmulatedHandlers:
    """Handlers answering ``/proc/sys`` from ``kernel``.

    Args:
        supervisor: Gives ``valid`` and ``inject``.
        kernel: The model.
        identity: What CMD's user is to the kernel (``"root"`` or ``"user"``), as for a mount.
        base: The model namespace set CMD's own namespaces stand for (None: the initial one).
    """

    def __init__(self, supervisor: Supervisor, kernel: Any, *, identity: str = "root", base: Any = None) -> None:
        self.sup = supervisor
        self.kernel = kernel
        self.ctx = Context(supervisor, kernel, identity=identity, base=base, keep=keep_inodes())
        self.paths = self.ctx.paths
        self.mem = self.ctx.mem
        self.path_calls = PathCalls(self.ctx)
        self.stat_calls = StatCalls(self.ctx)
        self.io_calls = IOCalls(self.ctx)
        self.fd_calls = FdCalls(self.ctx)
        self.uname_calls = UnameCalls(self.ctx)

    def table(self) -> dict[int, Handler]:
        """Syscall number -> handler."""
        a = signed32
        p, s, io, fd, u = self.path_calls, self.stat_calls, self.io_calls, self.fd_calls, self.uname_calls
        return {
            NR["open"]: lambda n: p.open(n, AT_FDCWD, n.args[0], n.args[1], n.args[2]),
            NR["openat"]: lambda n: p.open(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["openat2"]: p.openat2,
            NR["stat"]: lambda n: s.stat(n, AT_FDCWD, n.args[0], n.args[1], 0),
            NR["lstat"]: lambda n: s.stat(n, AT_FDCWD, n.args[0], n.args[1], AT_SYMLINK_NOFOLLOW),
            NR["newfstatat"]: lambda n: s.stat(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["statx"]: lambda n: s.stat(n, a(n.args[0]), n.args[1], n.args[4], n.args[2],
                                          statx=n.args[3] & 0xFFFFFFFF),
            NR["fstat"]: lambda n: s.fstat(n, a(n.args[0]), n.args[1]),
            NR["access"]: lambda n: p.access(n, AT_FDCWD, n.args[0], n.args[1], 0),
            NR["faccessat"]: lambda n: p.access(n, a(n.args[0]), n.args[1], n.args[2], 0),
            NR["faccessat2"]: lambda n: p.access(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["readlink"]: lambda n: p.readlink(n, AT_FDCWD, n.args[0], n.args[1], n.args[2]),
            NR["readlinkat"]: lambda n: p.readlink(n, a(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["chdir"]: p.chdir,
            NR["read"]: lambda n: io.read(n, n.args[1], n.args[2], None),
            NR["pread64"]: lambda n: io.read(n, n.args[1], n.args[2], n.args[3]),
            NR["write"]: lambda n: io.write(n, None, None),
            NR["pwrite64"]: lambda n: io.write(n, None, n.args[3]),
            NR["readv"]: lambda n: io.vectored(n, write=False),
            NR["writev"]: lambda n: io.vectored(n, write=True),
            NR["preadv"]: lambda n: io.vectored(n, write=False, at=True),
            NR["pwritev"]: lambda n: io.vectored(n, write=True, at=True),
            NR["preadv2"]: lambda n: io.vectored(n, write=False, at=True, flags=True),
            NR["pwritev2"]: lambda n: io.vectored(n, write=True, at=True, flags=True),
            NR["lseek"]: io.lseek,
            NR["getdents64"]: io.getdents64,
            NR["fcntl"]: fd.fcntl,
            NR["dup"]: lambda n: fd.dup(n, 0, cloexec=False),
            NR["dup2"]: fd.dup2,
            NR["dup3"]: fd.dup2,
            NR["mmap"]: fd.mmap,
            NR["sendfile"]: lambda n: fd.transfer(n, 1, 0, errno.EINVAL),
            NR["splice"]: lambda n: fd.transfer(n, 0, 2, errno.EPERM),
            NR["copy_file_range"]: fd.copy_file_range,
            NR["epoll_ctl"]: self.ctx.polls.epoll_ctl,
            NR["ftruncate"]: fd.ftruncate,
            NR["fchmod"]: fd.fchmod,
            NR["fchown"]: fd.fchown,
            NR["fstatfs"]: fd.fstatfs,
            NR["readahead"]: fd.readahead,
            NR["fallocate"]: fd.fallocate,
            NR["flock"]: fd.flock,
            NR["ioctl"]: fd.ioctl,
            NR["fsetxattr"]: lambda n: fd.xattr(n, write=True, value=True),
            NR["fremovexattr"]: lambda n: fd.xattr(n, write=True, value=False),
            NR["fgetxattr"]: lambda n: fd.xattr(n, write=False, value=True),
            NR["flistxattr"]: fd.flistxattr,
            NR["fsync"]: fd.fsync,
            NR["fdatasync"]: fd.fsync,
            NR["uname"]: u.uname,
            NR["io_uring_setup"]: refuse_io_uring,
            NR["inotify_add_watch"]: p.inotify_add_watch,
            NR["seccomp"]: note_own_filter,
            **view_handlers(self.sup, self.paths),
            **uts_handlers(self.mem, u.uts_target, self.sup.valid),
        }

    def close(self) -> None:
        """Stop following the kernel's poll events and close the placeholders' keepers and peers
        (after the run)."""
        self.ctx.close()
