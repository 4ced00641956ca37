"""The fusepy-style ``Operations`` object: FUSE requests in, :class:`~fakeproc.serve.Session` calls out.

It holds no sysctl knowledge and no session state: each request takes the caller's
``(uid, gid, pid)`` from ``fuse_get_context`` and calls the session, and
:meth:`SysctlOperations.__call__` turns any exception into the errno
:func:`~fakeproc.serve.errno_of` gives (the model's own, unchanged). What is FUSE's own:

* ``getattr`` answers as a dict (size 0, stable times); ``open`` sets ``direct_io`` so every
  ``read(2)``/``write(2)`` reaches the model with its offset and nothing is cached;
* ``readdir`` puts ``.`` and ``..`` first;
* ``poll`` answers the model's mask and keeps libfuse's poll handle of a ``kernel.hostname`` or
  ``kernel.domainname`` file, woken at the entry's next change (:mod:`._poll`).

Deliberately absent (so the kernel stops sending them): ``flush`` (one request
fewer per ``close``), locks.

>>> sorted(n for n in FUSE_REQUESTS if n.startswith("read"))
['read', 'readdir']
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fakeproc.serve import NamespaceResolver, Session, errno_of

if TYPE_CHECKING:
    from fakeproc.model import Kernel, NamespaceSet, Stat
    from fakeproc.serve import Identity

__all__ = ["FUSE_REQUESTS", "SysctlOperations"]

#: ``UTIME_NOW`` (include/uapi/linux/stat.h): the ``tv_nsec`` of a time meaning "now".
_UTIME_NOW = (1 << 30) - 1

#: The FUSE operations this adapter implements (the binding registers exactly these).
FUSE_REQUESTS = frozenset(
    {
        "access",
        "chmod",
        "chown",
        "create",
        "fsync",
        "fsyncdir",
        "getattr",
        "getxattr",
        "init",
        "link",
        "lseek",
        "listxattr",
        "mkdir",
        "mknod",
        "open",
        "opendir",
        "poll",
        "read",
        "readdir",
        "release",
        "releasedir",
        "removexattr",
        "rename",
        "rmdir",
        "setxattr",
        "statfs",
        "symlink",
        "truncate",
        "unlink",
        "utimens",
        "write",
    }
)


class SysctlOperations:
    """FUSE operations serving a :class:`~fakeproc.model.Kernel` through a :class:`~fakeproc.serve.Session`.

    Do not add attributes named like a FUSE operation (``lock``, ``flush``,
    ``destroy``...): the binding registers any such attribute as a handler.

    Args:
        kernel: The model to serve.
        resolver: Caller-to-namespace mapping (see :class:`~fakeproc.serve.Session`).
        fixed: Serve this one namespace set to every caller instead of resolving.
        count_requests: Count requests per operation in :attr:`counts`.
        attr_timeout: The mount's ``attr_timeout`` (how long ``getattr`` may reuse a caller's namespaces).
        identity: How real ids map to the model's (default: this process's user is root).
        session: Serve this session (the other arguments but ``kernel`` are then ignored).

    Attributes:
        session: The serving session (open files, identity, resolver).
        ready: Set once the kernel's FUSE INIT has been answered.
    """

    use_ns = True  # fusepy: times are integer nanoseconds

    def __init__(
        self,
        kernel: Kernel,
        resolver: NamespaceResolver | None = None,
        *,
        fixed: NamespaceSet | None = None,
        count_requests: bool = False,
        attr_timeout: float = 1.0,
        identity: Identity | None = None,
        session: Session | None = None,
    ) -> None:
        import threading

        from fakeproc.backends.fuse._binding import load_binding

        self.session = session or Session(
            kernel,
            resolver,
            fixed=fixed,
            identity=identity,
            attr_timeout=attr_timeout,
            count_requests=count_requests,
        )
        self.ready = threading.Event()
        self._polls: Any = None  # PollHandles, made at the first POLL
        self._polls_lock = threading.Lock()
        fuse = load_binding()
        self._context = fuse.fuse_get_context
        self._fuse_error = fuse.FuseOSError

    # The session's parts, under the names callers of the FUSE adapter used before the split.
    @property
    def kernel(self) -> Kernel:
        return self.session.kernel

    @property
    def resolver(self) -> NamespaceResolver | None:
        return self.session.resolver

    @property
    def counts(self) -> dict[str, int] | None:
        return self.session.counts

    @property
    def open_files(self) -> dict[int, Any]:
        return self.session.open_files

    @property
    def mount_time_ns(self) -> int:
        return self.session.mount_time_ns

    def count(self, op: str) -> None:
        """Count one request (when counting is on)."""
        self.session.count(op)

    # ------------------------------------------------------------------ dispatch

    def __call__(self, op: str, *args: Any) -> Any:
        """The binding's entry point for every request; the one place errors become errnos.

        (The hot requests take a shorter path, :func:`fakeproc.backends.fuse._server._fast_callbacks`,
        which maps errors with the same :func:`~fakeproc.serve.errno_of`.)
        """
        self.session.count(op)
        try:
            return getattr(self, op)(*args)
        except BaseException as e:  # noqa: BLE001 - every failure is answered with an errno
            raise self._fuse_error(errno_of(e)) from None

    # ------------------------------------------------------------------ lifecycle

    def init(self, path: str) -> None:
        """FUSE INIT answered: the mount is live."""
        self.ready.set()

    # ------------------------------------------------------------------ attributes and directories

    def stat_path(self, path: str) -> Stat:
        """The model's :class:`~fakeproc.model.Stat` of ``path`` for the calling process."""
        return self.session.stat(self._context(), path)

    def getattr(self, path: str, fh: Any = None) -> dict[str, int]:
        """``stat(2)``: size 0, nlink 1, mode and owner from the model (procfs ``proc_sys_getattr``)."""
        st = self.stat_path(path)
        t = self.session.mount_time_ns
        return {
            "st_mode": st.mode,
            "st_nlink": st.nlink,
            "st_uid": st.uid,
            "st_gid": st.gid,
            "st_size": 0,
            "st_blksize": 1024,
            "st_atime": t,
            "st_mtime": t,
            "st_ctime": t,
        }

    def access(self, path: str, amode: int) -> int:
        self.session.access(self._context(), path, amode)
        return 0

    def opendir(self, path: str) -> int:
        self.session.opendir(self._context(), path)
        return 0

    def readdir(self, path: str, fh: int) -> list[str]:
        """``.`` and ``..`` first, then the sorted names (procps ``sysctl -a`` skips the first two)."""
        return [".", "..", *self.session.listdir(self._context(), path)]

    def releasedir(self, path: str | None, fh: int) -> int:
        return 0

    def statfs(self, path: str) -> dict[str, int]:
        return self.session.statfs()

    # ------------------------------------------------------------------ files

    def open(self, path: str, fi: Any) -> int:
        """Open a key; ``direct_io`` so no size or content is ever cached by the kernel."""
        fi.fh = self.session.open(self._context(), path, fi.flags)
        fi.direct_io = 1
        fi.keep_cache = 0
        return 0

    def read(self, path: str | None, size: int, offset: int, fi: Any) -> bytes:
        return self.session.read(fi.fh, size, offset, ctx=self._context())

    def write(self, path: str | None, data: bytes, offset: int, fi: Any) -> int:
        return self.session.write(fi.fh, data, offset, append=bool(fi.flags & os.O_APPEND), ctx=self._context())

    def truncate(self, path: str | None, length: int, fh: Any = None) -> int:
        self.session.truncate(self._context(), path, fh)
        return 0

    def release(self, path: str | None, fi: Any) -> int:
        self.session.release(fi.fh)
        return 0

    def poll(self, path: str | None, fi: Any, ph: int | None, reventsp: Any) -> int:
        """FUSE POLL: the model's mask (``proc_sys_poll``); libfuse's handle ``ph`` (given when a
        poller will sleep) is kept for a file of an entry with ``.poll`` and woken at its next
        change (the handle is taken before the mask, so a change in between still wakes)."""
        fh = fi.fh
        file = self.session.open_files[fh]
        handles = self._poll_handles()
        if file.poll_event is None:
            handles.drop(ph)
        else:
            handles.keep(fh, file.key, ph)
        reventsp[0] = self.session.poll(fh)
        return 0

    def _poll_handles(self) -> Any:
        from fakeproc.backends.fuse._binding import libfuse
        from fakeproc.backends.fuse._poll import PollHandles

        with self._polls_lock:
            if self._polls is None:
                self._polls = PollHandles(libfuse(), self.session.open_files, self.session.kernel.polls.subscribe)
            return self._polls

    def close_polls(self) -> None:
        """Give back the kept poll handles and stop waking them (before the FUSE session ends)."""
        with self._polls_lock:
            polls, self._polls = self._polls, None
        if polls is not None:
            polls.close()

    def fsync(self, path: str | None, datasync: int, fi: Any) -> int:
        self.session.fsync(path)
        return 0

    def fsyncdir(self, path: str | None, datasync: int, fh: Any) -> int:
        """procfs directories have no ``fsync``: EINVAL (FUSE would turn ENOSYS into success)."""
        self.session.fsync(path)
        return 0

    def lseek(self, path: str | None, offset: int, whence: int, fh: Any) -> int:
        """``SEEK_DATA``/``SEEK_HOLE`` (FUSE_LSEEK; the kernel answers the other whences itself):
        ``default_llseek`` on a file of size 0 (:meth:`Session.seek_data_or_hole`). libfuse3 calls
        this; libfuse2 has no lseek operation, so its server loop answers FUSE_LSEEK with the same
        session call (:func:`fakeproc.backends.fuse._server._libfuse2_loop`)."""
        return self.session.seek_data_or_hole(offset, whence)

    def utimens(self, path: str, times: Any = None) -> int:
        """``utimensat(2)``; libfuse gives "now" as ``UTIME_NOW`` in ``tv_nsec`` (with
        ``tv_sec`` 0: exactly ``_UTIME_NOW`` nanoseconds here)."""
        now = times is None or all(t == _UTIME_NOW for t in times)
        self.session.utimens(self._context(), path, now=now)
        return 0

    def chmod(self, path: str, mode: int) -> int:
        self.session.chmod(path)
        return 0

    def chown(self, path: str, uid: int, gid: int) -> int:
        self.session.chown(path)
        return 0

    # ------------------------------------------------------------------ the tree is fixed

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        self.session.create(path)
        return 0

    def mknod(self, path: str, mode: int, dev: int) -> int:
        self.session.create(path)
        return 0

    def mkdir(self, path: str, mode: int) -> int:
        self.session.create(path)
        return 0

    def symlink(self, target: str, source: str) -> int:
        self.session.create(target)
        return 0

    def link(self, target: str, source: str) -> int:
        self.session.create(target)
        return 0

    def unlink(self, path: str) -> int:
        self.session.unlink(path)
        return 0

    def rmdir(self, path: str) -> int:
        self.session.rmdir(path)
        return 0

    def rename(self, old: str, new: str) -> int:
        self.session.rename(self._context(), old, new)
        return 0

    # ------------------------------------------------------------------ extended attributes

    def listxattr(self, path: str) -> list[str]:
        return self.session.listxattr(self._context(), path)

    def getxattr(self, path: str, name: str, position: int = 0) -> bytes:
        return self.session.getxattr(self._context(), path)

    def setxattr(self, path: str, name: str, value: bytes, options: int, position: int = 0) -> int:
        self.session.setxattr(self._context(), path)
        return 0

    def removexattr(self, path: str, name: str) -> int:
        self.session.setxattr(self._context(), path)
        return 0
