"""The fusepy ``Operations`` object: FUSE requests in, kernel-model calls out.

It holds no sysctl knowledge. Every request resolves the caller's namespaces
(:class:`~fakeproc.fuse.NamespaceResolver`), asks the model, and passes any
``OSError`` from the model back as the same errno (:meth:`SysctlOperations.__call__`
is the one place that does it). What it adds is what procfs does around the
handlers and a FUSE server must imitate:

* ``getattr``: size 0, one link, owner and mode from the model, stable times;
* ``open``: permission checked at open time by the model (EACCES for 0444 opened
  for writing, 0200 for reading, also as root); files use ``direct_io`` so every
  ``read(2)``/``write(2)`` reaches the model with its offset, and no size or
  content is ever cached by the kernel;
* ``readdir``: ``.`` and ``..`` first, then the sorted names;
* creating anything is ENOENT (procfs's lookup fails), removing or renaming
  EACCES (the directories are 0555), chmod/chown EPERM, ``fsync`` EINVAL.

Deliberately absent (so the kernel stops sending them): ``flush`` (one request
fewer per ``close``), extended attributes, locks.

>>> sorted(n for n in FUSE_REQUESTS if n.startswith("read"))
['read', 'readdir']
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from fakeproc.fuse._resolver import NamespaceResolver

if TYPE_CHECKING:
    from fakeproc.model import Kernel, NamespaceSet, SysctlFile

__all__ = ["FUSE_REQUESTS", "SysctlOperations"]

log = logging.getLogger("fakeproc.fuse")

#: The FUSE operations this adapter implements (fusepy registers exactly these).
FUSE_REQUESTS = frozenset(
    {
        "access",
        "chmod",
        "chown",
        "create",
        "fsync",
        "getattr",
        "init",
        "link",
        "mkdir",
        "mknod",
        "open",
        "opendir",
        "read",
        "readdir",
        "release",
        "releasedir",
        "rename",
        "rmdir",
        "statfs",
        "symlink",
        "truncate",
        "unlink",
        "utimens",
        "write",
    }
)

_ACC_READ = (os.O_RDONLY, os.O_RDWR)
_ACC_WRITE = (os.O_WRONLY, os.O_RDWR)


class SysctlOperations:
    """fusepy operations serving a :class:`~fakeproc.model.Kernel`.

    Do not add attributes named like a FUSE operation (``lock``, ``flush``,
    ``destroy``...): fusepy registers any such attribute as a handler.

    Args:
        kernel: The model to serve.
        resolver: Caller-to-namespace mapping (default: a resolver whose base is
            the kernel's initial namespaces, for the server's own real namespaces).
        fixed: Serve this one namespace set to every caller instead of resolving.
        count_requests: Count requests per operation in :attr:`counts`.
        attr_timeout: The mount's ``attr_timeout``: how long ``getattr`` may reuse a caller's
            namespaces (the kernel caches attributes that long anyway).

    Attributes:
        kernel: The served model.
        resolver: The caller resolver (None with ``fixed``).
        counts: Requests served, per operation name (for benchmarks and tests).
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
    ) -> None:
        import threading

        self.attr_timeout = attr_timeout
        self.kernel = kernel
        self.resolver = None if fixed is not None else (resolver or NamespaceResolver(kernel))
        self._fixed = fixed
        self.open_files: dict[int, SysctlFile] = {}
        self._fh = itertools.count(1)
        self.mount_time_ns = time.time_ns()
        self.counts: dict[str, int] | None = {} if count_requests else None
        self.ready = threading.Event()
        from fakeproc.fuse._binding import load_fusepy

        fuse = load_fusepy()
        from fakeproc.model import Caller

        self._caller_type = Caller
        self._root_callers: dict[int, Any] = {}
        self._context = fuse.fuse_get_context
        self._fuse_error = fuse.FuseOSError

    # ------------------------------------------------------------------ dispatch

    def count(self, op: str) -> None:
        """Count one request (when counting is on)."""
        if self.counts is not None:
            self.counts[op] = self.counts.get(op, 0) + 1

    def __call__(self, op: str, *args: Any) -> Any:
        """fusepy's entry point for every request; the one place errors become errnos.

        (The hot requests take a shorter path, :func:`fakeproc.fuse._server._fast_callbacks`,
        which maps errors the same way.)
        """
        self.count(op)
        try:
            return getattr(self, op)(*args)
        except OSError as e:
            # The model's errno, unchanged (SysctlError is an OSError).
            raise self._fuse_error(e.errno or errno.EIO) from None
        except Exception:
            log.exception("internal error in FUSE %s%r", op, args[:1])
            raise self._fuse_error(errno.EIO) from None

    # ------------------------------------------------------------------ helpers

    def _ns(self, pid: int | None = None, max_age: float = 0.0) -> NamespaceSet:
        if self._fixed is not None:
            return self._fixed
        assert self.resolver is not None
        return self.resolver.resolve(self._context()[2] if pid is None else pid, max_age=max_age)

    def _caller(self, ns: NamespaceSet, *, writing: bool, context: tuple[int, int, int] | None = None) -> Any:
        uid, gid, pid = context or self._context()
        if uid == 0 and not writing and ns.user.is_init:
            return self._root_reader(pid)
        groups: tuple[int, ...] = ()
        if uid != 0 and pid > 0:
            groups = _groups(pid)
        comm = _comm(pid) if writing and pid > 0 else ""
        user_ns = None if ns.user.is_init else ns.user
        return self._caller_type(uid=uid, gid=gid, groups=groups, pid=pid, comm=comm, user_ns=user_ns)

    def _root_reader(self, pid: int) -> Any:
        caller = self._root_callers.get(pid)
        if caller is None:
            if len(self._root_callers) > 1024:
                self._root_callers.clear()
            caller = self._root_callers[pid] = self._caller_type(uid=0, gid=0, pid=pid)
        return caller

    # ------------------------------------------------------------------ lifecycle

    def init(self, path: str) -> None:
        """FUSE INIT answered: the mount is live."""
        self.ready.set()

    # ------------------------------------------------------------------ attributes and directories

    def stat_path(self, path: str) -> Any:
        """The model's :class:`~fakeproc.model.Stat` of ``path`` for the calling process.

        The caller's namespaces may be reused from its previous request within
        ``attr_timeout``: the kernel caches the answer that long anyway.
        """
        # Divergence (6.18): procfs keeps dentries per sysctl set (proc_sys_compare); FUSE's
        # dentry and attribute caches are shared by all callers for attr_timeout, so a lookup made
        # from one namespace can answer a stat() from another one (open() is always exact).
        return self.kernel.stat(path, ns=self._ns(max_age=self.attr_timeout))

    def getattr(self, path: str, fh: Any = None) -> dict[str, int]:
        """``stat(2)``: size 0, nlink 1, mode and owner from the model (procfs ``proc_sys_getattr``)."""
        st = self.stat_path(path)
        t = self.mount_time_ns
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
        """``access(2)``: X on a file and W on a directory are refused, like ``proc_sys_permission``."""
        ns = self._ns()
        st = self.kernel.stat(path, ns=ns)
        if amode == os.F_OK:
            return 0
        if st.is_dir:
            if amode & os.W_OK:
                raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)
            return 0
        caller = self._caller(ns, writing=False)
        ok = self.kernel.access(
            path,
            read=bool(amode & os.R_OK),
            write=bool(amode & os.W_OK),
            execute=bool(amode & os.X_OK),
            ns=ns,
            caller=caller,
        )
        if not ok:
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)
        return 0

    def opendir(self, path: str) -> int:
        """Open a directory (ENOTDIR for a file, ENOENT for nothing)."""
        if not self.kernel.stat(path, ns=self._ns()).is_dir:
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
        return 0

    def readdir(self, path: str, fh: int) -> list[str]:
        """``.`` and ``..`` first, then the sorted names (procps ``sysctl -a`` skips the first two)."""
        return [".", "..", *self.kernel.listdir(path, ns=self._ns())]

    def releasedir(self, path: str | None, fh: int) -> int:
        return 0

    def statfs(self, path: str) -> dict[str, int]:
        """What ``statfs(2)`` on procfs gives (apart from ``f_type``, which FUSE sets)."""
        return {"f_bsize": 4096, "f_frsize": 4096, "f_namemax": 255}

    # ------------------------------------------------------------------ files

    def open(self, path: str, fi: Any) -> int:
        """Open a key: the model checks existence and permissions now, as procfs does at open."""
        context = self._context()
        ns = self._ns(context[2])
        flags = fi.flags
        caller = self._caller(ns, writing=(flags & os.O_ACCMODE) in _ACC_WRITE, context=context)
        handle = self.kernel.open(path, flags, ns=ns, caller=caller)
        fh = next(self._fh)
        self.open_files[fh] = handle
        fi.fh = fh
        fi.direct_io = 1
        fi.keep_cache = 0
        return 0

    def read(self, path: str | None, size: int, offset: int, fi: Any) -> bytes:
        """One ``read(2)``: the model's handler output at ``offset``."""
        return self.open_files[fi.fh].read(size, offset)

    def write(self, path: str | None, data: bytes, offset: int, fi: Any) -> int:
        """One ``write(2)``: the bytes the handler consumed (a short write is passed on as such)."""
        return self.open_files[fi.fh].write(data, offset)

    def truncate(self, path: str | None, length: int, fh: Any = None) -> int:
        """``O_TRUNC``/``truncate(2)``: accepted and ignored (``proc_sys_setattr``), after a write
        permission check when no open file is given."""
        if fh is None and path is not None:
            ns = self._ns()
            self.kernel.open(path, os.O_WRONLY, ns=ns, caller=self._caller(ns, writing=False))
        return 0

    def release(self, path: str | None, fi: Any) -> int:
        """Close (RELEASE carries no caller context: never look at it here)."""
        self.open_files.pop(fi.fh, None)
        return 0

    # Divergence (6.18): poll() on kernel.hostname/domainname (proc_sys_poll) is not implemented.

    def fsync(self, path: str | None, datasync: int, fi: Any) -> int:
        """procfs sysctl files have no ``fsync``: EINVAL."""
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL), path)

    def utimens(self, path: str, times: Any = None) -> int:
        """Timestamps: root may set them (procfs keeps them in the inode); others get EPERM."""
        ns = self._ns()
        self.kernel.stat(path, ns=ns)
        if self._context()[0] != 0:
            raise OSError(errno.EPERM, os.strerror(errno.EPERM), path)
        return 0

    def chmod(self, path: str, mode: int) -> int:
        """procfs refuses mode changes: EPERM."""
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), path)

    def chown(self, path: str, uid: int, gid: int) -> int:
        """procfs refuses ownership changes: EPERM."""
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), path)

    # ------------------------------------------------------------------ the tree is fixed

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        """``open(O_CREAT)`` of a missing name: ENOENT (procfs's lookup fails, nothing is created)."""
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)

    def mknod(self, path: str, mode: int, dev: int) -> int:
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)

    def mkdir(self, path: str, mode: int) -> int:
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)

    def symlink(self, target: str, source: str) -> int:
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), target)

    def link(self, target: str, source: str) -> int:
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), target)

    def unlink(self, path: str) -> int:
        """Removing needs write access to the 0555 directory: EACCES."""
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)

    def rmdir(self, path: str) -> int:
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)

    def rename(self, old: str, new: str) -> int:
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), old)


def _groups(pid: int) -> tuple[int, ...]:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Groups:"):
                    return tuple(int(g) for g in line.split()[1:])
    except (OSError, ValueError):
        pass
    return ()


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return f.read().rstrip(b"\n").decode("utf-8", "replace")
    except OSError:
        return ""
