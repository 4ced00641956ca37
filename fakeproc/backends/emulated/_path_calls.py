"""Path calls of the emulated backend: opens of ``/proc/sys`` paths (open, openat, openat2 with its
``resolve``, ``/proc/PID/fd/N`` and ``fdinfo/N`` of a placeholder, '..' up from an emulated
directory), access, readlink, chdir and inotify_add_watch, answered from the model."""

from __future__ import annotations

import errno
import os
import struct

from fakeproc.backends.emulated._caller_fds import fd_flags, free_fd
from fakeproc.backends.emulated._context import Context
from fakeproc.backends.emulated._placeholders import WATCH_FROM, OpenFile, getfl, sealed_memfd
from fakeproc.backends.emulated._procfs import STATX_SIZE, inode_number, proc_mnt_id, sys_path
from fakeproc.backends.seccomp._abi import NR, syscall
from fakeproc.backends.seccomp._paths import AT_FDCWD, signed32
from fakeproc.backends.seccomp._redirect import AT_SYMLINK_NOFOLLOW
from fakeproc.backends.seccomp._supervisor import CONTINUE, Notification, Reply, log

__all__ = ["PathCalls"]

_O_TMPFILE_BIT = 0o20000000  # __O_TMPFILE
# include/uapi/linux/openat2.h
_RESOLVE_NO_XDEV, _RESOLVE_NO_MAGICLINKS, _RESOLVE_NO_SYMLINKS = 0x01, 0x02, 0x04
_RESOLVE_BENEATH, _RESOLVE_IN_ROOT, _RESOLVE_CACHED = 0x08, 0x10, 0x20
_RESOLVE_ALL = 0x3F
_STATX_ATTR_MOUNT_ROOT = 0x2000
_IN_DONT_FOLLOW = 0x02000000  # include/uapi/linux/inotify.h


class PathCalls:
    """The path calls that land in /proc/sys (or leave it from an emulated directory).

    Each handler is named after its call and returns ``CONTINUE`` for what is not the fake's; what
    it uses of ``ctx`` is bound once here (one attribute lookup per use on the hot path).
    """

    def __init__(self, ctx: Context) -> None:
        self.sup = ctx.sup
        self.kernel = ctx.kernel
        self.mem = ctx.mem
        self._files = ctx.files
        self._polls = ctx.polls
        self._ns = ctx.ns
        self._caller = ctx.caller
        self._where = ctx.where
        self._where_path = ctx.where_path
        self._fd_link = ctx.fd_link
        self._dir_of = ctx.dir_of
        self._above = ctx.above
        self._above_limit = ctx.above_limit

    def openat2(self, n: Notification) -> Reply:
        """openat2(2): the open of a path into /proc/sys, or from an emulated directory, with
        ``open_how.resolve`` applied as the walk applies it."""
        if n.args[3] < 24:
            return CONTINUE
        flags, mode, resolve = struct.unpack("<QQQ", self.mem.read(n.pid, n.args[2], 24))
        dirfd = signed32(n.args[0])
        if not resolve:
            return self.open(n, dirfd, n.args[1], flags, mode)
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

    def open(self, n: Notification, dirfd: int, addr: int, flags: int, mode: int) -> Reply:
        """open(2)/openat(2): a placeholder for a /proc/sys file, the /proc/sys file again through
        ``/proc/PID/fd/N`` of a placeholder, its fdinfo, or /proc or / up from an emulated directory."""
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
        writing = flags & os.O_ACCMODE != os.O_RDONLY or bool(flags & os.O_TRUNC)
        ns, caller = self._caller(n.pid, self._ns(n.pid, sys_path(rel), writing=writing))
        if flags & os.O_PATH:
            log.warning("fakeproc: O_PATH open of /proc/sys/%s is not emulated (EOPNOTSUPP)", rel)
            return Reply(error=errno.EOPNOTSUPP)
        f = self.kernel.open(sys_path(rel), flags, ns, caller)
        if not f.is_dir and (slash or flags & os.O_DIRECTORY):
            return Reply(error=errno.ENOTDIR)
        if f.is_dir and (flags & os.O_ACCMODE) != os.O_RDONLY:
            return Reply(error=errno.EISDIR)
        if flags & os.O_DIRECT:
            return Reply(error=errno.EINVAL)  # procfs has no direct I/O (fs/open.c do_dentry_open)
        poll = None
        if f.poll_event is None:
            opened = OpenFile(f, rel, flags)
            fd = self._files.placeholder(opened)
        else:
            self._polls.sweep()
            fd, poll = self._polls.new(rel)
        try:
            if poll is not None:
                self._polls.register(fd, OpenFile(f, rel, flags, poll=poll))
            return self.sup.inject(n, fd, cloexec=bool(flags & os.O_CLOEXEC), at=free_fd(n.pid, WATCH_FROM))
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

    def _fdinfo(self, n: Notification, f: OpenFile, pid: int, fd: int, flags: int) -> Reply:
        """An open of the fdinfo of an emulated descriptor: a sealed memfd holding what procfs's
        ``seq_show`` (fs/proc/fd.c) gives for the /proc/sys file (position, flags with the
        descriptor's O_CLOEXEC, /proc's mount id, the file's inode number), made at the open."""
        cloexec = bool(fd_flags(pid, fd) & os.O_CLOEXEC)
        shown = getfl(f) | (os.O_CLOEXEC if cloexec else 0)
        text = f"pos:\t{f.pos}\nflags:\t0{shown:o}\nmnt_id:\t{proc_mnt_id(False)}\nino:\t{inode_number(f.rel)}\n"
        fd_ro = sealed_memfd(b"fakeproc:fdinfo", text.encode())
        try:
            return self.sup.inject(n, fd_ro, cloexec=bool(flags & os.O_CLOEXEC))
        finally:
            os.close(fd_ro)

    def access(self, n: Notification, dirfd: int, addr: int, mode: int, flags: int) -> Reply:
        """access/faccessat/faccessat2 of a /proc/sys path: the model's permission check."""
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
        st = self.kernel.stat(sys_path(rel), ns)
        if st.is_dir:
            ok = not mode & os.W_OK
        else:
            ok = self.kernel.access(sys_path(rel), read=bool(mode & os.R_OK), write=bool(mode & os.W_OK),
                                    execute=bool(mode & os.X_OK), ns=ns, caller=caller)
        return Reply(value=0) if ok else Reply(error=errno.EACCES)

    def readlink(self, n: Notification, dirfd: int, addr: int, buf: int, size: int) -> Reply:
        """readlink of /proc/PID/fd/N of a placeholder (its /proc/sys path); EINVAL in /proc/sys,
        which has no symlinks."""
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
        self.kernel.stat(sys_path(found[0]), self._ns(n.pid, attr=True))  # ENOENT for a missing one
        return Reply(error=errno.EINVAL)  # the fake tree has no symlinks

    def chdir(self, n: Notification) -> Reply:
        """chdir into /proc/sys: the kernel's, when the host has the directory too."""
        found = self._where(n, AT_FDCWD, n.args[0])
        if found is None:
            return CONTINUE
        if not self.kernel.stat(sys_path(found[0]), self._ns(n.pid, attr=True)).is_dir:
            return Reply(error=errno.ENOTDIR)
        if os.path.isdir("/proc/sys/" + found[0]):
            return CONTINUE  # the cwd is the real directory; relative lookups are redirected
        log.warning("fakeproc: chdir into /proc/sys/%s: the directory exists only in the fake (ENOENT)", found[0])
        return Reply(error=errno.ENOENT)

    def inotify_add_watch(self, n: Notification) -> Reply:
        """A stated limit: the model's files have no inode for fsnotify to watch, and a watch on the
        host's procfs inode would never see the fake's changes, so a watch under /proc/sys fails
        (EOPNOTSUPP, logged) instead of staying silent."""
        found = self._where(n, AT_FDCWD, n.args[1], follow=not n.args[2] & _IN_DONT_FOLLOW)
        if found is None:
            return CONTINUE
        log.warning("fakeproc: pid %d: inotify_add_watch on /proc/sys/%s refused with EOPNOTSUPP: the "
                    "emulated backend cannot raise inotify events for the fake's files", n.pid, found[0])
        return Reply(error=errno.EOPNOTSUPP)


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

        buf = ctypes.create_string_buffer(STATX_SIZE)
        try:
            syscall(NR["statx"], AT_FDCWD, path.encode(), 0, 0, buf)
            _MOUNT_ROOTS[path] = bool(struct.unpack_from("<Q", buf.raw, 8)[0] & _STATX_ATTR_MOUNT_ROOT)
        except OSError:
            _MOUNT_ROOTS[path] = False
    return _MOUNT_ROOTS[path]
