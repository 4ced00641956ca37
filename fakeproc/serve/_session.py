"""A caller's file operations on the fake ``/proc/sys``, answered from the model (any backend).

A backend (FUSE, seccomp) turns its requests into calls on one :class:`Session`, each with
the caller's :data:`Context` ``(uid, gid, pid)`` as the host reports it. The session:

* resolves the caller's namespaces (:class:`~fakeproc.serve.NamespaceResolver`);
* maps the caller's real ids to the model's kernel ids (:class:`Identity`: the user who
  serves the kernel is its init-namespace root unless asked otherwise);
* asks the model, and lets the model's ``OSError`` carry the kernel's errno unchanged
  (:func:`errno_of` is the one place an exception becomes an errno);
* keeps the open files (handle number -> :class:`~fakeproc.model.SysctlFile`);
* adds what procfs does around the handlers: ``stat`` size 0, permission checks at open,
  X on a file and W on a directory refused by ``access``, a fixed tree (creating anything
  ENOENT, removing or renaming EACCES, chmod/chown EPERM, ``fsync`` EINVAL).

>>> from fakeproc.model import Kernel
>>> s = Session(Kernel("6.18"), fixed=Kernel("6.18").init_ns)
>>> fh = s.open((0, 0, 0), "kernel/ostype", os.O_RDONLY)
>>> s.read(fh, 4096, 0), s.release(fh)
(b'Linux\\n', None)
>>> errno_of(OSError(errno.EACCES, "x")) == errno.EACCES
True
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import struct
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakeproc.serve._host import NAMESPACE_TYPES, comm, groups
from fakeproc.serve._resolver import NamespaceResolver

if TYPE_CHECKING:
    from fakeproc.model import Caller, Kernel, NamespaceSet, Stat, SysctlFile

__all__ = ["IDENTITIES", "PLAIN_UID", "Context", "Identity", "Session", "errno_of"]

log = logging.getLogger("fakeproc.serve")

#: ``(uid, gid, pid)`` of the calling thread, as the host reports it (FUSE's ``fuse_get_context``).
Context = tuple[int, int, int]

#: The identities a kernel's owner can have: ``root`` (init-namespace root) or ``user`` (a plain user).
IDENTITIES = ("root", "user")

#: The uid (and gid) a root owner gets with the ``user`` identity: the kernel's overflow id ("nobody").
PLAIN_UID = 65534

_WRITE_ACCESS = (os.O_WRONLY, os.O_RDWR)

# Which directions a handle's remembered caller passed sysctl_perm for (Session.checked).
_CHECKED_READ, _CHECKED_WRITE = 1, 2
_CHECKED_BOTH = _CHECKED_READ | _CHECKED_WRITE

#: ``struct fuse_context``'s uid, gid and pid (libfuse2 and 3), as :meth:`Session.recheck` may get them.
_CONTEXT = struct.Struct("=IIi")


def errno_of(exc: BaseException) -> int:
    """The errno a backend answers for an exception: the model's own for an ``OSError``, else EIO
    (logged: an exception that is not a kernel refusal is fakeproc's bug)."""
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    log.error("internal error while serving a request", exc_info=exc)
    return errno.EIO


def _refuse(err: int, path: str | None) -> OSError:
    return OSError(err, os.strerror(err), path)


@dataclass(frozen=True)
class Identity:
    """How a caller's real ids become the model's kernel ids.

    The owner (the user serving the kernel) is the model's root: its processes read and
    write the fake as init-namespace root, as they would their own machine's. Everyone else
    keeps their ids and meets the kernel's permission rules. With ``owner_is_root`` false the
    owner is a plain user: itself, or :data:`PLAIN_UID` when the owner is real root.

    >>> Identity(1000, 1000).ids(1000, 1000), Identity(1000, 1000).ids(1001, 100)
    ((0, 0), (1001, 100))
    >>> Identity(0, 0, owner_is_root=False).ids(0, 0)
    (65534, 65534)
    """

    owner_uid: int
    owner_gid: int
    owner_is_root: bool = True

    @classmethod
    def of_this_process(cls, identity: str = "root") -> Identity:
        """The identity for a kernel served by this process (``identity``: one of :data:`IDENTITIES`)."""
        if identity not in IDENTITIES:
            raise ValueError(f"identity must be one of {IDENTITIES}, not {identity!r}")
        return cls(os.geteuid(), os.getegid(), owner_is_root=identity == "root")

    def ids(self, uid: int, gid: int) -> tuple[int, int]:
        """The model's (uid, gid) for a caller with real ids (uid, gid)."""
        if uid != self.owner_uid:
            return uid, gid
        if self.owner_is_root:
            return 0, 0
        if uid == 0:
            return PLAIN_UID, PLAIN_UID
        return uid, gid

    def owner_ids(self, uid: int, gid: int) -> tuple[int, int]:
        """The model's ids for the outside ids a new user namespace maps root to."""
        return self.ids(uid, gid)


class Session:
    """One served kernel: the callers' open files and the operations of a procfs-faithful tree.

    Args:
        kernel: The model to serve.
        resolver: Caller-to-namespace mapping (default: a resolver whose base is the kernel's
            initial namespaces, for this process's own real namespaces).
        fixed: Serve this one namespace set to every caller instead of resolving.
        identity: How real ids map to the model's (default: this process's user is root).
        attr_timeout: How long :meth:`stat` may reuse a caller's namespaces (the kernel
            caches attributes that long anyway).
        count_requests: Count requests per operation in :attr:`counts`.

    Attributes:
        kernel: The served model.
        resolver: The caller resolver (None with ``fixed``).
        identity: The id mapping.
        open_files: Handle number -> open model file.
        read_ends: Handle number -> where its output ends, once a read at 0 got all of it.
        counts: Requests served per operation name (None unless counting).
        mount_time_ns: When the session started (the tree's timestamps).
    """

    def __init__(
        self,
        kernel: Kernel,
        resolver: NamespaceResolver | None = None,
        *,
        fixed: NamespaceSet | None = None,
        identity: Identity | None = None,
        attr_timeout: float = 1.0,
        count_requests: bool = False,
    ) -> None:
        from fakeproc.model import Caller

        self.kernel = kernel
        self.identity = identity or Identity.of_this_process()
        self.resolver = (
            None
            if fixed is not None
            else (resolver or NamespaceResolver(kernel, owner_ids=self.identity.owner_ids))
        )
        self._fixed = fixed
        self.attr_timeout = attr_timeout
        self.open_files: dict[int, SysctlFile] = {}
        self._fh = itertools.count(1)
        self._fh_lock = threading.Lock()
        self.counts: dict[str, int] | None = {} if count_requests else None
        self.mount_time_ns = time.time_ns()
        self._caller_type = Caller
        self._root_callers: dict[int, Caller] = {}
        self._needed: dict[str, tuple[int, ...] | None] = {}
        self._listed: dict[str, tuple[int, ...]] = {}
        # Handle -> length of the whole output its first read (at 0) got. A later read at or past
        # it is EOF without calling the handler again (sysctl and cat read until a 0-byte read).
        # Divergence (6.18): procfs calls the handler again; a proc_dostring value made longer
        # through another file in between would show its tail there, and EOF here.
        self.read_ends: dict[int, int] = {}
        # Handle -> (who last passed sysctl_perm on it, for which of READ/WRITE): the opener at
        # open. A read or write by the same (uid, gid, pid) costs one comparison (see recheck).
        self.checked: dict[int, tuple[object, int]] = {}

    # ------------------------------------------------------------------ callers

    def count(self, op: str) -> None:
        """Count one request (when counting is on)."""
        if self.counts is not None:
            self.counts[op] = self.counts.get(op, 0) + 1

    def namespaces(self, pid: int, *, max_age: float = 0.0) -> NamespaceSet:
        """The model namespaces of the calling thread ``pid``."""
        if self._fixed is not None:
            return self._fixed
        assert self.resolver is not None
        return self.resolver.resolve(pid, max_age=max_age)

    def caller(self, ctx: Context, ns: NamespaceSet, *, writing: bool) -> Caller:
        """The model's :class:`~fakeproc.model.Caller` for ``ctx`` (comm only for writes: the log)."""
        real_uid, real_gid, pid = ctx
        uid, gid = self.identity.ids(real_uid, real_gid)
        if uid == 0 and not writing and ns.user.is_init:
            return self._root_reader(pid)
        member_groups: tuple[int, ...] = ()
        if uid != 0 and pid > 0 and real_uid == uid:
            member_groups = groups(pid)
        name = comm(pid) if writing and pid > 0 else ""
        user_ns = None if ns.user.is_init else ns.user
        return self._caller_type(uid=uid, gid=gid, groups=member_groups, pid=pid, comm=name, user_ns=user_ns)

    def _root_reader(self, pid: int) -> Caller:
        caller = self._root_callers.get(pid)
        if caller is None:
            if len(self._root_callers) > 1024:
                self._root_callers.clear()
            caller = self._root_callers[pid] = self._caller_type(uid=0, gid=0, pid=pid)
        return caller

    def is_owner_root(self, ctx: Context) -> bool:
        """Whether the caller is the model's root (uid 0 after the identity mapping)."""
        return self.identity.ids(ctx[0], ctx[1])[0] == 0

    # ------------------------------------------------------------------ attributes and directories

    def stat(self, ctx: Context, path: str) -> Stat:
        """The model's :class:`~fakeproc.model.Stat` of ``path`` for the caller.

        The caller's namespaces may be reused from its previous request within ``attr_timeout``.
        """
        # Divergence (6.18): procfs keeps dentries per sysctl set (proc_sys_compare); FUSE's
        # dentry and attribute caches are shared by all callers for attr_timeout, so a lookup made
        # from one namespace can answer a stat() from another one (open() is always exact).
        return self.kernel.stat(path, ns=self.namespaces(ctx[2], max_age=self.attr_timeout))

    def access(self, ctx: Context, path: str, amode: int) -> None:
        """``access(2)``: X on a file and W on a directory are refused, like ``proc_sys_permission``.

        Raises:
            OSError: ENOENT (no such entry), EACCES (refused).
        """
        ns = self.namespaces(ctx[2])
        st = self.kernel.stat(path, ns=ns)
        if amode == os.F_OK:
            return
        if st.is_dir:
            if amode & os.W_OK:
                raise _refuse(errno.EACCES, path)
            return
        ok = self.kernel.access(
            path,
            read=bool(amode & os.R_OK),
            write=bool(amode & os.W_OK),
            execute=bool(amode & os.X_OK),
            ns=ns,
            caller=self.caller(ctx, ns, writing=False),
        )
        if not ok:
            raise _refuse(errno.EACCES, path)

    def opendir(self, ctx: Context, path: str) -> None:
        """Open a directory: ENOTDIR for a file, ENOENT for nothing."""
        if not self.kernel.stat(path, ns=self._listing_namespaces(ctx[2], path)).is_dir:
            raise _refuse(errno.ENOTDIR, path)

    def listdir(self, ctx: Context, path: str) -> list[str]:
        """The sorted names in directory ``path`` (without ``.`` and ``..``)."""
        return self.kernel.listdir(path, ns=self._listing_namespaces(ctx[2], path))

    def listdir_stat(self, ctx: Context, path: str) -> tuple[tuple[str, Stat | None], ...]:
        """:meth:`listdir` with each name's :meth:`stat` (None where it has none), as the caller's
        namespaces give them now (``Kernel.listdir_stat``)."""
        return self.kernel.listdir_stat(path, ns=self._listing_namespaces(ctx[2], path))

    def _listing_namespaces(self, pid: int, path: str) -> NamespaceSet:
        """The caller's namespaces for listing directory ``path``, read from only the links the
        listing and its attributes depend on (``Kernel.namespaces_listed``)."""
        resolver = self.resolver
        if resolver is None:
            return self.namespaces(pid)
        try:
            needed = self._listed[path]
        except KeyError:
            types = self.kernel.namespaces_listed(path)
            needed = tuple(i for i, t in enumerate(NAMESPACE_TYPES) if t in types)
            if len(self._listed) > 65536:
                self._listed.clear()
            self._listed[path] = needed
        return resolver.resolve_for(pid, needed) if needed else resolver.base

    # ------------------------------------------------------------------ files

    def open(self, ctx: Context, path: str, flags: int) -> int:
        """Open a key; the model checks existence and permissions now, as procfs does at open.

        Returns:
            The handle number for :meth:`read`, :meth:`write` and :meth:`release`.
        """
        writing = (flags & os.O_ACCMODE) in _WRITE_ACCESS
        resolver = self.resolver
        if resolver is None or writing:
            ns = self.namespaces(ctx[2])
        else:
            try:
                needed = self._needed[path]
            except KeyError:
                needed = self._needed_for(path)
            if needed is None:
                ns = resolver.resolve(ctx[2])
            elif needed:
                ns = resolver.resolve_for(ctx[2], needed)
            else:
                ns = resolver.base  # a global key that reads the same from every namespace
        caller = self.caller(ctx, ns, writing=writing)
        handle = self.kernel.open(path, flags, ns=ns, caller=caller)
        if flags & os.O_DIRECT and not self._proxied(ctx[2]):
            # procfs has no direct I/O: do_dentry_open refuses O_DIRECT after the lookup and the
            # permission check (fs/open.c, FMODE_CAN_ODIRECT). The seccomp backend's own O_DIRECT
            # opens (made for a caller) stay allowed: it answers the caller's O_DIRECT itself and
            # needs them for splice (see its _redirect module).
            raise _refuse(errno.EINVAL, path)
        with self._fh_lock:
            fh = next(self._fh)
        self.open_files[fh] = handle
        self.checked[fh] = (ctx, _CHECKED_BOTH)
        return fh

    def recheck(self, fh: int, ctx: object, *, write: bool) -> None:
        """``sysctl_perm`` again for a read or write by ``ctx`` ``(uid, gid, pid)`` on handle
        ``fh``, as ``proc_sys_call_handler`` does at every call (a descriptor passed on, or
        credentials changed since the open). The file's caller becomes that process, so that the
        handler sees who calls now (a write's log, a handler's capability check).

        A backend calls this only when ``ctx`` differs from the last one that passed for that
        direction (:meth:`check`); ``ctx`` may be any value equal for equal ids (the FUSE
        server passes the raw bytes of libfuse's context).

        Raises:
            OSError(EPERM): ``ctx`` may not read (or write) the file.
        """
        file = self.open_files[fh]
        ids = ctx if isinstance(ctx, tuple) else _CONTEXT.unpack(ctx)  # type: ignore[arg-type]
        ns = self.namespaces(ids[2], max_age=self.attr_timeout)
        caller = self.caller(ids, ns, writing=write)
        if caller != file.caller:
            if not self.kernel.permits(file.key, file.nsset, caller, write=write):
                raise _refuse(errno.EPERM, file.key)
            file.caller = caller
        bit = _CHECKED_WRITE if write else _CHECKED_READ
        last = self.checked.get(fh)
        if last is not None and last[0] == ctx:
            bit |= last[1]
        self.checked[fh] = (ctx, bit)

    def check(self, fh: int, ctx: object, bit: int) -> None:
        """:meth:`recheck` unless ``ctx`` last passed for ``bit`` (1 read, 2 write) on ``fh``."""
        last = self.checked.get(fh)
        if last is None or last[0] != ctx or not last[1] & bit:
            self.recheck(fh, ctx, write=bit == _CHECKED_WRITE)

    def _proxied(self, tid: int) -> bool:
        """Whether thread ``tid`` opens for the seccomp backend: acting for another process
        (:meth:`NamespaceResolver.acting_for`), or a thread of this very process (a supervisor
        running beside the server without ``acting_for``; no sandboxed caller is one)."""
        proxies = None if self.resolver is None else self.resolver.proxies
        if proxies and proxies.get(tid, 0) != 0:
            return True
        return tid > 0 and os.path.exists(f"/proc/self/task/{tid}")

    def _needed_for(self, path: str) -> tuple[int, ...] | None:
        """Which namespace links a read-only open of ``path`` needs (indices into ``NS_TYPES``;
        None: all of them, the full attribution), remembered per path."""
        types = self.kernel.namespaces_read(path)
        needed = None if types is None else tuple(i for i, t in enumerate(NAMESPACE_TYPES) if t in types)
        if len(self._needed) > 65536:
            self._needed.clear()
        self._needed[path] = needed
        return needed

    def read(self, fh: int, size: int, offset: int, ctx: object = None) -> bytes:
        """One ``read(2)``: the handler's output at ``offset``; ``ctx``: the reader now (checked
        again if it is not the opener, :meth:`recheck`; None: the opener)."""
        # Divergence (6.18): sendfile/splice from a FUSE file not opened O_DIRECT stop at its size (0)
        # and never get here (fuse_splice_read -> filemap_splice_read); procfs splices through
        # read_iter. O_DIRECT opens do get here (do_splice_read -> copy_splice_read).
        end = self.read_ends.get(fh)
        if end is not None and offset >= end:
            return b""
        if ctx is not None:
            self.check(fh, ctx, _CHECKED_READ)
        data = self.open_files[fh].read(size, offset)
        if offset == 0 and len(data) < size:
            self.read_ends[fh] = len(data)
        return data

    def write(self, fh: int, data: bytes, offset: int, *, append: bool = False, ctx: object = None) -> int:
        """One ``write(2)``: the bytes the handler consumed (a short write is passed on as such).
        ``ctx``: the writer now (see :meth:`read`).

        ``append``: the file was opened with ``O_APPEND``. The kernel writes those at the file's
        size, which is 0 for procfs (``generic_write_checks``), so at offset 0 whatever offset a
        backend's own size cache suggests (FUSE grows its cached size after each write).
        """
        if ctx is not None:
            self.check(fh, ctx, _CHECKED_WRITE)
        self.read_ends.pop(fh, None)
        return self.open_files[fh].write(data, 0 if append else offset)

    def release(self, fh: int) -> None:
        """Close a handle (FUSE's RELEASE carries no caller: nothing here looks at one)."""
        self.open_files.pop(fh, None)
        self.read_ends.pop(fh, None)
        self.checked.pop(fh, None)

    def truncate(self, ctx: Context, path: str | None, fh: int | None = None) -> None:
        """``O_TRUNC``/``truncate(2)``: accepted and ignored (``proc_sys_setattr``), after a write
        permission check when no open file is given."""
        if fh is None and path is not None:
            ns = self.namespaces(ctx[2])
            self.kernel.open(path, os.O_WRONLY, ns=ns, caller=self.caller(ctx, ns, writing=False))

    def poll(self, fh: int) -> int:
        """``poll(2)`` on an open handle: ``proc_sys_poll``'s mask (``select.POLL*`` bits), which
        takes up a change of ``kernel.hostname``/``domainname`` made since the handle last looked
        (:meth:`fakeproc.model.SysctlFile.poll`)."""
        return self.open_files[fh].poll()

    def fsync(self, path: str | None) -> None:
        """procfs sysctl files and directories have no ``fsync`` (``vfs_fsync_range``): EINVAL."""
        raise _refuse(errno.EINVAL, path)

    @staticmethod
    def seek_data_or_hole(offset: int, whence: int) -> int:
        """``lseek(2)`` with ``SEEK_DATA``/``SEEK_HOLE`` on a file: what procfs's ``default_llseek``
        (fs/read_write.c) answers for a file of size 0. Any offset from 0 up is at or past the end
        (ENXIO); below 0, ``SEEK_HOLE`` moves to the end (0) and ``SEEK_DATA`` keeps the negative
        offset, which is EINVAL.

        >>> Session.seek_data_or_hole(-1, os.SEEK_HOLE)
        0
        """
        if offset >= 0:
            raise _refuse(errno.ENXIO, None)
        if whence == os.SEEK_DATA:
            raise _refuse(errno.EINVAL, None)
        return 0

    def utimens(self, ctx: Context, path: str, *, now: bool = False) -> None:
        """Timestamps: root may set them (procfs keeps them in the inode); others get EPERM for
        explicit times. Setting both to "now" (``utime(path, NULL)``) by a non-owner asks for write
        permission instead (fs/attr.c setattr_prepare, ATTR_TOUCH -> inode_permission(MAY_WRITE),
        which proc_sys_permission refuses on the 0555 directories and on a file the caller may
        not write): EACCES."""
        ns = self.namespaces(ctx[2])
        st = self.kernel.stat(path, ns=ns)
        if self.is_owner_root(ctx):
            return
        if not now:
            raise _refuse(errno.EPERM, path)
        if st.is_dir or not self.kernel.access(
            path, read=False, write=True, execute=False, ns=ns, caller=self.caller(ctx, ns, writing=False)
        ):
            raise _refuse(errno.EACCES, path)

    def chmod(self, path: str) -> None:
        """procfs refuses mode changes: EPERM."""
        raise _refuse(errno.EPERM, path)

    def chown(self, path: str) -> None:
        """procfs refuses ownership changes: EPERM."""
        raise _refuse(errno.EPERM, path)

    # ------------------------------------------------------------------ the tree is fixed

    def create(self, path: str) -> None:
        """Creating a name (``open(O_CREAT)``, mknod, mkdir, symlink, link): ENOENT, as procfs's
        lookup fails and nothing is created."""
        raise _refuse(errno.ENOENT, path)

    def unlink(self, path: str) -> None:
        """Removing a file needs write access to the 0555 directory: EACCES."""
        # Divergence (6.18): through FUSE, unlink(dir) and rmdir(file) never get here: the VFS
        # answers EISDIR/ENOTDIR first, where procfs answers EACCES (see docs/mount.md).
        raise _refuse(errno.EACCES, path)

    def rmdir(self, path: str) -> None:
        """Removing a directory: EACCES (its parent is 0555)."""
        raise _refuse(errno.EACCES, path)

    def rename(self, ctx: Context, old: str, new: str) -> None:
        """Renaming: EACCES when both names exist (vfs_rename -> may_delete -> inode_permission on
        the 0555 directory, fs/namei.c), ENOENT when the new one does not (proc_sys_lookup fails,
        where FUSE keeps a negative dentry and asks the server)."""
        ns = self.namespaces(ctx[2])
        self.kernel.stat(old, ns=ns)
        self.kernel.stat(new, ns=ns)
        raise _refuse(errno.EACCES, new)

    # ------------------------------------------------------------------ extended attributes

    def listxattr(self, ctx: Context, path: str) -> list[str]:
        """No extended attributes: ``[]`` for an existing file or directory (procfs has no
        ``listxattr``, so ``vfs_listxattr`` lists nothing)."""
        self.kernel.stat(path, ns=self.namespaces(ctx[2]))
        return []

    def getxattr(self, ctx: Context, path: str) -> bytes:
        """Reading an attribute: EOPNOTSUPP (no xattr handlers on procfs)."""
        self.kernel.stat(path, ns=self.namespaces(ctx[2]))
        raise _refuse(errno.EOPNOTSUPP, path)

    def setxattr(self, ctx: Context, path: str) -> None:
        """Setting or removing an attribute: the write permission check first (EACCES on the 0555
        directories and on files the caller may not write, ``xattr_permission``), then EOPNOTSUPP."""
        ns = self.namespaces(ctx[2])
        st = self.kernel.stat(path, ns=ns)
        if st.is_dir or not self.kernel.access(
            path, read=False, write=True, execute=False, ns=ns, caller=self.caller(ctx, ns, writing=False)
        ):
            raise _refuse(errno.EACCES, path)
        raise _refuse(errno.EOPNOTSUPP, path)

    @staticmethod
    def statfs() -> dict[str, int]:
        """What ``statfs(2)`` on procfs gives (apart from ``f_type``, which the backend sets)."""
        return {"f_bsize": 4096, "f_frsize": 4096, "f_namemax": 255}
