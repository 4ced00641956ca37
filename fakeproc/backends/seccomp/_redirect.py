"""Handlers that answer ``/proc/sys`` path syscalls from a mounted fake (the FUSE-backed way in).

An open gets the descriptor of the same file in the mount, injected into the caller, so its
reads and writes go to the FUSE server directly (with the caller's pid). Stats, access,
readlink and chdir get the mount's answer. Anything that does not resolve into ``/proc/sys``
continues untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import stat as stat_mod
from collections.abc import Callable
from contextlib import AbstractContextManager

from fakeproc.backends.seccomp._abi import CLONE_NEWNS, NR, Bits, Rule, libc, syscall
from fakeproc.backends.seccomp._bind import bound_root
from fakeproc.backends.seccomp._paths import AT_FDCWD, Resolver, climb, signed32, tgid
from fakeproc.backends.seccomp._supervisor import (
    CONTINUE,
    Handler,
    Notification,
    Reply,
    Supervisor,
    acting_as,
    caller_creds,
    log,
)
from fakeproc.backends.seccomp._uts import UtsApply, UtsTarget, uts_handlers

__all__ = ["PATH_SYSCALLS", "VIEW_RULES", "RedirectHandlers", "Uname", "supervisor_for", "view_handlers"]

AT_SYMLINK_NOFOLLOW = 0x100
AT_EACCESS = 0x200
AT_EMPTY_PATH = 0x1000
STAT_SIZE = 144
STATX_SIZE = 256
UTS_LEN = 65

# newfstatat(2) as its own prototyped function (the generic syscall() converts every argument)
_newfstatat = libc["syscall"]
_newfstatat.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
_newfstatat.restype = ctypes.c_long

_NR_NEWFSTATAT = NR["newfstatat"]
STATX_ATTR_MOUNT_ROOT = 0x2000  # include/uapi/linux/stat.h
# include/uapi/linux/openat2.h
_RESOLVE_NO_XDEV, _RESOLVE_BENEATH, _RESOLVE_IN_ROOT, _RESOLVE_CACHED = 0x01, 0x08, 0x10, 0x20
_RESOLVE_VALID = 0x3F
_O_TMPFILE = 0o20000000  # __O_TMPFILE, without O_DIRECTORY
_IN_DONT_FOLLOW = 0x02000000  # include/uapi/linux/inotify.h


def _is_mount_root(path: str) -> bool:
    """Whether ``path`` is the root of a mount here (its statx attributes say so)."""
    out = ctypes.create_string_buffer(STATX_SIZE)
    try:
        syscall(NR["statx"], AT_FDCWD, os.fsencode(path), 0, 0, out)
    except OSError:
        return False
    return bool(int.from_bytes(out.raw[8:16], "little") & STATX_ATTR_MOUNT_ROOT)

_EINVAL = Reply(error=errno.EINVAL)
_DONE = Reply(value=0)

PATH_SYSCALLS = ("open", "openat", "openat2", "stat", "lstat", "newfstatat", "statx", "access",
                 "faccessat", "faccessat2", "readlink", "readlinkat", "chdir")

Uname = Callable[[], dict[str, str]]

VIEW_RULES: tuple[Rule, ...] = (
    (NR["chroot"], None), (NR["pivot_root"], None), (NR["mount"], None), (NR["umount2"], None),
    (NR["move_mount"], None), (NR["setns"], None), (NR["unshare"], Bits(0, CLONE_NEWNS)),
    (NR["clone"], Bits(0, CLONE_NEWNS)), (NR["clone3"], None),
)
"""The calls after which a process of CMD may see another root or other mounts than the
supervisor (clone3's flags are in memory, out of the filter's reach: all are notified)."""


def view_handlers(supervisor: Supervisor, paths: Resolver) -> dict[int, Handler]:
    """Handlers for :data:`VIEW_RULES`: each lets the call go on, and the first that changes a
    root or the mounts switches ``paths`` to resolving component by component."""

    def changed(n: Notification) -> Reply:
        paths.view_changed(f"pid {n.pid} calls syscall {n.nr}")
        return CONTINUE

    def clone3(n: Notification) -> Reply:
        if paths.simple and n.args[1] >= 8:  # struct clone_args starts with its u64 flags
            try:
                flags = int.from_bytes(supervisor.mem.read(n.pid, n.args[0], 8), "little")
            except OSError:
                return CONTINUE  # the kernel's EFAULT
            if flags & CLONE_NEWNS:
                paths.view_changed(f"pid {n.pid} clones into a new mount namespace")
        return CONTINUE

    table: dict[int, Handler] = {nr: changed for nr, _ in VIEW_RULES}
    table[NR["clone3"]] = clone3
    return table


class RedirectHandlers:
    """The path handlers, for a supervisor whose caller sees the fake at ``mountpoint``.

    Args:
        supervisor: Gives ``valid`` and ``inject``.
        mountpoint: Where the fake ``/proc/sys`` is mounted (FUSE).
        uname: Answers ``uname(2)``'s nodename, domainname and release when given.
        uts: Answers ``sethostname(2)`` and ``setdomainname(2)`` when given (the real calls
            never run then; see :mod:`fakeproc.backends.seccomp._uts`).
        acting_for: pid -> a context manager during which the supervisor's requests to the
            mount count as that caller's, so an open binds the caller's namespaces, not the
            supervisor's: the mount's ``NamespaceResolver.acting_for`` when it is served in this
            process, or ``Acting.on`` of a slot in its shared table
            (:mod:`fakeproc.serve._proxies`) when it is served by another.
        uts_apply: Like ``uts``, for a model in another process (see
            :func:`~fakeproc.backends.seccomp._uts.model_apply`).
    """

    def __init__(self, supervisor: Supervisor, mountpoint: str, uname: Uname | None = None,
                 uts: UtsTarget | None = None,
                 acting_for: Callable[[int], AbstractContextManager[None]] | None = None,
                 uts_apply: UtsApply | None = None) -> None:
        self.sup = supervisor
        self.mountpoint = os.path.realpath(mountpoint)
        # Opened once as ourselves: the mount usually sits in a 0700 runtime directory that a
        # caller's identity (used for every access below) could not traverse. Bound at /proc/sys
        # in a namespace of our own where we may, so that injected descriptors walk '..' to /proc
        # and read back as /proc/sys/... (see _bind.py).
        self._root = bound_root(self.mountpoint)
        self.rootfd = self._root.fd
        self.uname = uname
        self.uts = uts
        self.uts_apply = uts_apply
        self.paths = Resolver()
        self.paths.check_dir = self._check_dir
        self._by_name = self.paths.by_name_works
        self.mem = supervisor.mem
        self._stat_buf = ctypes.create_string_buffer(STAT_SIZE)
        self._unmark_root = not _is_mount_root("/proc/sys")
        self._for: Callable[[int], AbstractContextManager[None]] = (
            acting_for or (lambda pid: contextlib.nullcontext()))

    def close(self) -> None:
        """Close :attr:`rootfd` (and the namespace it is bound in) once the supervisor is done."""
        self._root.close()

    def table(self) -> dict[int, Handler]:
        """Syscall number -> handler."""
        t: dict[int, Handler] = {
            NR["open"]: lambda n: self._open(n, AT_FDCWD, n.args[0], n.args[1], n.args[2]),
            NR["openat"]: lambda n: self._open(n, signed32(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["openat2"]: self._openat2,
            NR["stat"]: lambda n: self._stat(n, AT_FDCWD, n.args[0], n.args[1], 0),
            NR["lstat"]: lambda n: self._stat(n, AT_FDCWD, n.args[0], n.args[1], AT_SYMLINK_NOFOLLOW),
            NR["newfstatat"]: lambda n: self._stat(n, signed32(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["statx"]: self._statx,
            NR["access"]: lambda n: self._access(n, AT_FDCWD, n.args[0], n.args[1], 0),
            NR["faccessat"]: lambda n: self._access(n, signed32(n.args[0]), n.args[1], n.args[2], 0),
            NR["faccessat2"]: lambda n: self._access(n, signed32(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["readlink"]: lambda n: self._readlink(n, AT_FDCWD, n.args[0], n.args[1], n.args[2]),
            NR["readlinkat"]: lambda n: self._readlink(n, signed32(n.args[0]), n.args[1], n.args[2], n.args[3]),
            NR["chdir"]: self._chdir,
            NR["inotify_add_watch"]: self._inotify_add_watch,
            NR["io_uring_setup"]: refuse_io_uring,
            NR["seccomp"]: note_own_filter,
            **view_handlers(self.sup, self.paths),
        }
        if self.uname is not None:
            t[NR["uname"]] = self._uname
        if self.uts is not None:
            t.update(uts_handlers(self.mem, self.uts, self.sup.valid))
        elif self.uts_apply is not None:
            t.update(uts_handlers(self.mem, self.uts_apply, self.sup.valid, remote=True))
        return t

    # ------------------------------------------------------------------ resolution

    def where(self, n: Notification, dirfd: int, addr: int, *, follow: bool = True) -> str | None:
        """The path in the mount (relative to :attr:`rootfd`) the caller's path stands for, or None
        when it is not ours."""
        if addr == 0:
            return None  # NULL: the kernel's EFAULT, or (6.11+, with AT_EMPTY_PATH) the dirfd itself
        path = self.mem.read_path(n.pid, addr)
        if path[:10] == b"/proc/sys/" and self._by_name and self.paths.simple and len(path) > 10 \
                and b"/." not in path and b"//" not in path:
            # Most paths (sysctl's): no ".", "..", "//" or symlink, so by_name's answer is the rest.
            return os.fsdecode(path[10:])
        if not path:
            return None
        found = self.paths.resolve(n.pid, dirfd, path, follow=follow)
        if found is None:
            return None
        rel, slash = found
        return (rel or ".") + ("/" if slash and rel else "")

    def _check_dir(self, pid: int, rel: str) -> None:
        """:attr:`Resolver.check_dir`: ENOTDIR or ENOENT unless the fake has a directory at ``rel``."""
        with self._for(pid):
            st = os.stat(rel, dir_fd=self.rootfd)
        if not stat_mod.S_ISDIR(st.st_mode):
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))

    # ------------------------------------------------------------------ handlers

    def _open(self, n: Notification, dirfd: int, addr: int, flags: int, mode: int) -> Reply:
        flags &= 0xFFFFFFFF
        target = self.where(n, dirfd, addr, follow=not flags & os.O_NOFOLLOW)
        if target is None:
            return CONTINUE
        return self._open_in_mount(n, target, flags, mode)

    def _open_in_mount(self, n: Notification, target: str, flags: int, mode: int) -> Reply:
        """Open ``target`` in the mount as the caller would, and give the caller the descriptor."""
        if flags & os.O_PATH:
            return self._open_path(n, target)
        creds = caller_creds(n.pid)
        # Opened O_DIRECT in the mount: FUSE then splices (sendfile, copy_file_range) through the
        # server's read instead of the page cache, which holds nothing for a file of size 0
        # (fs/splice.c do_splice_read -> copy_splice_read). The caller's F_GETFL shows O_DIRECT.
        mount_flags = (flags & ~os.O_CLOEXEC) | os.O_CLOEXEC | os.O_DIRECT
        with self._for(n.pid), acting_as(creds.fsuid, creds.fsgid, creds.groups):
            try:
                fd = os.open(target, mount_flags, mode & 0o7777, dir_fd=self.rootfd)
            except OSError as e:
                if e.errno != errno.EINVAL or flags & os.O_DIRECT:
                    raise
                fd = os.open(target, mount_flags & ~os.O_DIRECT, mode & 0o7777, dir_fd=self.rootfd)  # a directory
        try:
            if flags & os.O_DIRECT:
                # procfs has no direct I/O: do_dentry_open refuses O_DIRECT after the lookup and
                # the permission check (fs/open.c, FMODE_CAN_ODIRECT).
                return Reply(error=errno.EINVAL)
            # Not answered with the ADDFD (SEND): our copy is closed first, so the caller holds
            # the only reference when its open returns, and its close is the file's last (as on
            # procfs: the RELEASE and inotify's IN_CLOSE_* come at that close, not at ours).
            return self.sup.inject(n, fd, cloexec=bool(flags & os.O_CLOEXEC), send=False)
        finally:
            os.close(fd)

    def _open_path(self, n: Notification, target: str) -> Reply:
        """O_PATH: SECCOMP_IOCTL_NOTIF_ADDFD cannot inject an O_PATH file (kernel/seccomp.c takes
        the source with fget, which skips FMODE_PATH files: EBADF). The caller's own lookup goes
        on instead, to the host's entry of that name (procfs's inode: fstat and fchdir answer
        for the host, and a later open through the descriptor is redirected like any other), or
        into the mount when its dirfd is one of the mount's."""
        with self._for(n.pid):
            st = os.stat(target, dir_fd=self.rootfd, follow_symlinks=False)  # the fake's ENOENT, ENOTDIR
        real = "/proc/sys" + ("" if target == "." else "/" + target.rstrip("/"))
        if not os.path.lexists(real):
            log.warning("fakeproc: O_PATH open of %s: the entry exists only in the fake, and an O_PATH "
                        "descriptor cannot be injected (ENOENT)", real)
        elif stat_mod.S_IFMT(os.lstat(real).st_mode) != stat_mod.S_IFMT(st.st_mode):
            log.warning("fakeproc: O_PATH open of %s: a %s in the fake, not on the host; the caller gets "
                        "the host's", real, "directory" if stat_mod.S_ISDIR(st.st_mode) else "file")
        return CONTINUE

    def _openat2(self, n: Notification) -> Reply:
        size = n.args[3]
        if size < 24:
            return CONTINUE  # the kernel's EINVAL
        how = self.mem.read(n.pid, n.args[2], 24)
        flags, mode, resolve = (int.from_bytes(how[i:i + 8], "little") for i in (0, 8, 16))
        dirfd = signed32(n.args[0])
        if (resolve & ~_RESOLVE_VALID or resolve & _RESOLVE_BENEATH and resolve & _RESOLVE_IN_ROOT
                or resolve & _RESOLVE_CACHED and flags & (os.O_TRUNC | os.O_CREAT | _O_TMPFILE)):
            return CONTINUE  # refused before any lookup (fs/open.c build_open_flags): EINVAL, EAGAIN
        if not resolve & (_RESOLVE_NO_XDEV | _RESOLVE_BENEATH | _RESOLVE_IN_ROOT | _RESOLVE_CACHED):
            return self._open(n, dirfd, n.args[1], flags, mode)
        if n.args[1] == 0:
            return CONTINUE
        path = self.mem.read_path(n.pid, n.args[1])
        follow = not flags & os.O_NOFOLLOW
        rel, above = climb(path)
        # Walked, not decided the quick way: a path relative to one of the mount's descriptors
        # lands in the fake too here (the quick ways leave those to the kernel, in the mount,
        # where these flags would see the mount's edges, not procfs's).
        # RESOLVE_IN_ROOT: '..' stops at the dirfd and '/' is the dirfd (fs/namei.c, LOOKUP_IN_ROOT).
        found = self.paths.walk(n.pid, dirfd, rel if resolve & _RESOLVE_IN_ROOT else path, follow=follow)
        if found is None:
            return CONTINUE  # not ours: the kernel applies the flags itself
        target = (found[0] or ".") + ("/" if found[1] and found[0] else "")
        if resolve & _RESOLVE_CACHED:
            return Reply(error=errno.EAGAIN)  # proc_sys_revalidate refuses RCU walks: never cached
        if resolve & _RESOLVE_BENEATH and (path[:1] == b"/" or above):
            return Reply(error=errno.EXDEV)  # an absolute path or '..' above the dirfd
        if resolve & _RESOLVE_NO_XDEV and not self._within_procfs(n.pid, dirfd, path, above):
            return Reply(error=errno.EXDEV)
        return self._open_in_mount(n, target, flags & 0xFFFFFFFF, mode)

    def _within_procfs(self, pid: int, dirfd: int, path: bytes, above: int) -> bool:
        """Whether a lookup of ``path`` (ending in /proc/sys) from ``dirfd`` stays on procfs's mount
        (RESOLVE_NO_XDEV): it must start at /proc or below and climb no higher than /proc."""
        if path[:1] == b"/":
            return False  # from the root's mount
        base = self.paths.base(pid, dirfd)
        parts = [p for p in (base or "").split("/") if p]
        return parts[:1] == ["proc"] and above <= len(parts) - 1

    def _stat(self, n: Notification, dirfd: int, addr: int, buf: int, flags: int) -> Reply:
        target = self.where(n, dirfd, addr, follow=not flags & AT_SYMLINK_NOFOLLOW)
        if target is None:  # also fstat(): an empty path with AT_EMPTY_PATH
            return CONTINUE
        out = self._stat_buf
        # As the supervisor's ids: the fake's directories are 0555, as procfs's are
        # (proc_sys_make_inode), so every uid may search them, and a stat needs no permission on
        # the file itself: the caller's ids cannot change the answer.
        with self._for(n.pid):
            if _newfstatat(_NR_NEWFSTATAT, self.rootfd, os.fsencode(target), out, flags & AT_SYMLINK_NOFOLLOW):
                err = ctypes.get_errno()
                return Reply(error=err or errno.EIO)
        return self._give(n, buf, out.raw)

    def _statx(self, n: Notification) -> Reply:
        dirfd, addr, flags, mask, buf = signed32(n.args[0]), n.args[1], n.args[2] & 0xFFFFFFFF, n.args[3], n.args[4]
        target = self.where(n, dirfd, addr, follow=not flags & AT_SYMLINK_NOFOLLOW)
        if target is None:  # also an empty path with AT_EMPTY_PATH
            return CONTINUE
        out = ctypes.create_string_buffer(STATX_SIZE)
        with self._for(n.pid):  # as the supervisor: see _stat
            syscall(NR["statx"], self.rootfd, os.fsencode(target), flags & ~AT_EMPTY_PATH, mask & 0xFFFFFFFF, out)
        data = out.raw
        if target == "." and self._unmark_root:
            # The mount's root is a mount root (vfs_getattr_nosec, fs/stat.c: path_mounted); the
            # caller's /proc/sys is not, unless something is mounted there on the host too.
            attributes = int.from_bytes(data[8:16], "little") & ~STATX_ATTR_MOUNT_ROOT
            data = data[:8] + attributes.to_bytes(8, "little") + data[16:]
        return self._give(n, buf, data)

    def _access(self, n: Notification, dirfd: int, addr: int, mode: int, flags: int) -> Reply:
        flags &= 0xFFFFFFFF
        target = self.where(n, dirfd, addr, follow=not flags & AT_SYMLINK_NOFOLLOW)
        if target is None:
            return CONTINUE
        creds = caller_creds(n.pid)
        # access(2) checks the real ids unless AT_EACCESS; we check as those ids with AT_EACCESS.
        uid, gid = (creds.fsuid, creds.fsgid) if flags & AT_EACCESS else (creds.ruid, creds.rgid)
        with self._for(n.pid), acting_as(uid, gid, creds.groups):
            syscall(NR["faccessat2"], self.rootfd, os.fsencode(target), mode & 0xFFFFFFFF,
                    AT_EACCESS | (flags & AT_SYMLINK_NOFOLLOW))
        return Reply(value=0)

    def _readlink(self, n: Notification, dirfd: int, addr: int, buf: int, size: int) -> Reply:
        target = self.where(n, dirfd, addr, follow=False)
        if target is None:
            return CONTINUE
        if signed32(size) <= 0:
            return _EINVAL
        # The fake has no symlinks: an lstat answers EINVAL, ENOENT or ENOTDIR without raising.
        with self._for(n.pid):
            st = os.stat(target, dir_fd=self.rootfd, follow_symlinks=False)
        if not stat_mod.S_ISLNK(st.st_mode):
            return _EINVAL
        data = os.fsencode(os.readlink(target, dir_fd=self.rootfd))[: signed32(size)]
        return self._give(n, buf, data, value=len(data))

    def _chdir(self, n: Notification) -> Reply:
        target = self.where(n, AT_FDCWD, n.args[0])
        if target is None:
            return CONTINUE
        creds = caller_creds(n.pid)
        with self._for(n.pid), acting_as(creds.fsuid, creds.fsgid, creds.groups):
            st = os.stat(target, dir_fd=self.rootfd)
        if not stat_mod.S_ISDIR(st.st_mode):
            return Reply(error=errno.ENOTDIR)
        real = "/proc/sys" + ("" if target == "." else "/" + target.rstrip("/"))
        if os.path.isdir(real):
            # The caller's cwd becomes the real directory; its relative lookups are resolved
            # through /proc/PID/cwd and redirected like absolute ones.
            return CONTINUE
        log.warning("fakeproc: chdir into %s: the directory exists only in the fake, and a "
                    "process's cwd cannot be moved by the supervisor (ENOENT)", real)
        return Reply(error=errno.ENOENT)

    def _inotify_add_watch(self, n: Notification) -> Reply:
        """A watch on a /proc/sys path is set on the mount's inode, in the caller's own inotify
        instance: the caller's reads and writes go to that inode, and vfs_open/vfs_write/__fput
        raise the events there (fsnotify_open, fsnotify_modify, fsnotify_close), as on procfs."""
        mask = n.args[2] & 0xFFFFFFFF
        if n.args[1] == 0:
            return CONTINUE
        # The kernel looks at the descriptor and the mask before the path (fs/notify/inotify/
        # inotify_user.c): a bad descriptor is EBADF, another kind of file EINVAL, whatever the path.
        pidfd = syscall(NR["pidfd_open"], tgid(n.pid), 0)
        try:
            group = syscall(NR["pidfd_getfd"], pidfd, signed32(n.args[0]), 0)
        except OSError as e:
            if e.errno == errno.EBADF:
                raise
            return CONTINUE  # EPERM...: not ours to decide, the kernel answers
        finally:
            os.close(pidfd)
        try:
            target = self.where(n, AT_FDCWD, n.args[1], follow=not mask & _IN_DONT_FOLLOW)
            if target is None:
                return CONTINUE
            creds = caller_creds(n.pid)
            # The kernel asks for the caller's read permission on the watched inode
            # (inotify_find_inode -> inode_permission(MAY_READ): proc_sys_permission); FUSE without
            # default_permissions allows it without asking the server, so ask as access(2) does.
            with self._for(n.pid), acting_as(creds.fsuid, creds.fsgid, creds.groups):
                syscall(NR["faccessat2"], self.rootfd, os.fsencode(target), os.R_OK, AT_EACCESS)
                wd = syscall(NR["inotify_add_watch"], group, os.fsencode(f"/proc/self/fd/{self.rootfd}/{target}"),
                             mask)
        finally:
            os.close(group)
        return Reply(value=wd)

    def _uname(self, n: Notification) -> Reply:
        assert self.uname is not None
        real = os.uname()
        fake = self.uname()
        fields = (real.sysname, fake.get("nodename", real.nodename), fake.get("release", real.release),
                  real.version, real.machine, fake.get("domainname", "(none)"))
        data = b"".join(os.fsencode(f)[: UTS_LEN - 1].ljust(UTS_LEN, b"\0") for f in fields)
        return self._give(n, n.args[0], data)

    def _give(self, n: Notification, addr: int, data: bytes, value: int = 0) -> Reply:
        if not self.sup.valid(n):
            return Reply(error=errno.ESRCH)
        self.mem.write(n.pid, addr, data)
        return Reply(value=value) if value else _DONE


def supervisor_for(
    mountpoint: str, uname: Uname | None = None, uts: UtsTarget | None = None,
    acting_for: Callable[[int], AbstractContextManager[None]] | None = None, uts_apply: UtsApply | None = None,
) -> tuple[Supervisor, RedirectHandlers]:
    """A :class:`Supervisor` answering from the fake mounted at ``mountpoint`` and its
    :class:`RedirectHandlers` (which the caller closes), not yet started."""
    from fakeproc.backends.seccomp._abi import bpf_program
    from fakeproc.backends.seccomp._uts import UTS_SYSCALLS

    names = [*PATH_SYSCALLS, "inotify_add_watch", "io_uring_setup", "seccomp"] + (["uname"] if uname is not None else [])
    names += list(UTS_SYSCALLS) if uts is not None or uts_apply is not None else []
    program = bpf_program([(NR[name], None) for name in names] + list(VIEW_RULES))
    sup = Supervisor(program, {})
    handlers = RedirectHandlers(sup, mountpoint, uname, uts, acting_for, uts_apply)
    sup.handlers = handlers.table()
    return sup, handlers


def refuse_io_uring(n: Notification) -> Reply:
    """io_uring's own opens never pass through seccomp, so it would reach the real /proc/sys."""
    log.warning("fakeproc: io_uring_setup refused with ENOSYS for pid %d: io_uring requests bypass "
                "seccomp, so they could not be served from the fake /proc/sys", n.pid)
    return Reply(error=errno.ENOSYS)


def note_own_filter(n: Notification) -> Reply:
    """CMD installing its own filter: allowed (it stacks), but it cannot take a listener."""
    if n.args[0] == 1:  # SECCOMP_SET_MODE_FILTER
        log.warning("fakeproc: pid %d installs its own seccomp filter; it stacks on fakeproc's, and a "
                    "filter with its own listener is refused by the kernel (EBUSY)", n.pid)
    return CONTINUE
