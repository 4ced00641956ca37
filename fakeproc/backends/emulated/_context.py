"""What every call of the emulated backend shares: the supervisor, the model, the open files and
their poll placeholders, and who the caller is and where its path leads (its model namespaces
and credentials, the ``/proc/sys`` path it names, an emulated descriptor it names through
``/proc/PID/fd``, a lookup from an emulated directory that leaves ``/proc/sys``)."""

from __future__ import annotations

import errno
import os
import re
from typing import Any

from fakeproc._env import DEFAULT_ATTR_TIMEOUT, attr_timeout
from fakeproc.backends.emulated._files import OpenFiles
from fakeproc.backends.emulated._placeholders import OpenFile
from fakeproc.backends.emulated._polls import Polls
from fakeproc.backends.emulated._procfs import sys_path
from fakeproc.backends.seccomp._paths import Resolver, tgid
from fakeproc.backends.seccomp._supervisor import Notification, Reply, Supervisor, caller_creds, log

__all__ = ["ATTR_TIMEOUT", "Context"]

ATTR_TIMEOUT = DEFAULT_ATTR_TIMEOUT
"""How long a caller's namespaces answer its stats unless ``$FAKEPROC_ATTR_TIMEOUT`` says
otherwise (:attr:`Context.attr_timeout`): the FUSE mount's default ``attr_timeout``, for which
the mount's kernel caches attributes, so both backends agree."""

_FD_LINK = re.compile(rb"^(?:/proc/(?P<who>self|thread-self|\d+)(?:/task/(?P<tid>\d+))?/(?P<kind>fd|fdinfo)"
                      rb"|/dev/fd)/(?P<fd>\d+)$")


class Context:
    """The state the emulated backend's call groups share, and the caller's view.

    Args:
        supervisor: Gives ``mem``, ``valid`` and ``inject``.
        kernel: The model.
        identity: What CMD's user is to the kernel (``"root"`` or ``"user"``), as for a mount.
        base: The model namespace set CMD's own namespaces stand for (None: the initial one).
        keep: How many keepers of closed files to keep (:func:`keep_inodes`).
    """

    def __init__(self, supervisor: Supervisor, kernel: Any, *, identity: str, base: Any, keep: int) -> None:
        from fakeproc.serve import Identity, NamespaceResolver

        self.sup = supervisor
        self.kernel = kernel
        self.attr_timeout = attr_timeout()
        """How long a caller's namespaces answer its stats (:data:`ATTR_TIMEOUT` or the environment's)."""
        self.paths = Resolver()
        self.mem = supervisor.mem
        self.files = OpenFiles(keep)
        self.owner = os.geteuid()
        self.polls = Polls(self.files, kernel)
        self.identity = Identity.of_this_process(identity)
        self.resolver = NamespaceResolver(kernel, base, owner_ids=self.identity.owner_ids)
        self._needed: dict[str, tuple[int, ...] | None] = {}
        self.paths.dir_of = self.dir_of
        self.paths.check_dir = self.check_dir

    def close(self) -> None:
        """Stop following the kernel's poll events and close the placeholders' keepers and peers
        (after the run)."""
        self.polls.unsubscribe()
        self.files.close()
        self.polls.close()

    def check_dir(self, pid: int, rel: str) -> None:
        """:attr:`Resolver.check_dir`: ENOTDIR or ENOENT unless the fake has a directory at ``rel``
        (a '.' or '..' after a file name walks through it: link_path_walk, fs/namei.c)."""
        if not self.kernel.stat(sys_path(rel), self.ns(pid, attr=True)).is_dir:
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))

    def dir_of(self, pid: int, fd: int) -> str | None:
        """:attr:`Resolver.dir_of`: the /proc/sys path of thread ``pid``'s ``fd`` when it is an emulated
        directory, else None."""
        f = self.files.lookup(pid, fd)
        return sys_path(f.rel).rstrip("/") if f is not None and f.file.is_dir else None

    def above(self, n: Notification, dirfd: int, path: bytes) -> str | None:
        """For a relative ``path`` from an emulated directory descriptor that leaves /proc/sys
        through '..': the host directory it names when it ends at an ancestor of /proc/sys
        (``/proc`` or ``/``), or "" when it goes on below one (a stated limit). None otherwise."""
        if dirfd < 0 or not path or path.startswith(b"/"):
            return None
        base = self.dir_of(n.pid, dirfd)
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

    def above_limit(self, n: Notification, path: bytes) -> Reply:
        """The stated limit for a lookup that leaves /proc/sys from an emulated directory (logged)."""
        log.warning("fakeproc: pid %d looks up %r from an emulated /proc/sys directory descriptor: "
                    "outside /proc/sys only '..' up to /proc or / (read-only) is emulated (ENOTDIR)",
                    n.pid, os.fsdecode(path))
        return Reply(error=errno.ENOTDIR)

    def ns(self, pid: int, path: str | None = None, *, attr: bool = False, writing: bool = False) -> Any:
        """The model namespaces of thread ``pid``, read as the mount's server reads them
        (:class:`fakeproc.serve.Session`): for an attribute (``attr``: stat, existence) the answer
        of the last ``attr_timeout`` seconds, as the mount's kernel caches attributes that long;
        for a read-only open of ``path``, only the namespace links its entry depends on."""
        r = self.resolver
        if attr:
            return r.resolve(pid, max_age=self.attr_timeout)
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

    def caller(self, pid: int, ns: Any = None) -> tuple[Any, Any]:
        """(model namespaces, model Caller) of thread ``pid`` (``ns`` if already known)."""
        from fakeproc.model import ROOT, Caller

        if ns is None:
            ns = self.ns(pid)
        creds = caller_creds(pid)
        # An unprivileged supervisor reads no ids (caller_creds): CMD runs as the supervisor's user.
        real = (creds.fsuid, creds.fsgid) if self.owner == 0 else (self.identity.owner_uid, self.identity.owner_gid)
        uid, gid = self.identity.ids(*real)  # the mount's mapping: the owner is root unless --as user
        if uid == 0:
            return ns, ROOT
        groups = creds.groups if (uid, gid) == real else ()
        return ns, Caller(uid=uid, gid=gid, groups=groups, pid=pid, comm=creds.comm)

    def where(self, n: Notification, dirfd: int, addr: int, *,
              follow: bool = True) -> tuple[str, bool] | None:
        """(path relative to /proc/sys, trailing slash) of the path at ``addr`` from ``dirfd``, or None
        when it is not in /proc/sys."""
        return self.where_path(n, dirfd, addr, follow=follow)[0]

    def where_path(self, n: Notification, dirfd: int, addr: int, *,
                   follow: bool = True) -> tuple[tuple[str, bool] | None, bytes]:
        """(:meth:`where`, the path as read)."""
        if addr == 0:
            return None, b""  # NULL: the kernel's EFAULT (or, 6.11+ with AT_EMPTY_PATH, the dirfd)
        path = self.mem.read_path(n.pid, addr)
        return (self.paths.resolve(n.pid, dirfd, path, follow=follow) if path else None), path

    def fd_link(self, n: Notification, path: bytes) -> tuple[str, OpenFile, int, int] | None:
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
        f = self.files.lookup(pid, num)
        return None if f is None else (kind.decode(), f, pid, num)
