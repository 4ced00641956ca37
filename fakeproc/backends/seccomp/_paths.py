"""Where does a caller's path land? Path resolution as the kernel does it, from the caller's side.

A notified ``openat(dirfd, path)`` names a file relative to the caller's cwd, a dirfd or its
root, through symlinks, ``..`` and the ``/proc/self`` family, all of which mean something else
in the supervisor. :meth:`Resolver.resolve` answers the path relative to ``/proc/sys`` when the
caller's lookup ends there, else None (the kernel then does the real lookup itself, with the
errno it finds). It decides in the cheapest of three ways that is sound for the path:

1. **By name.** An absolute path whose components stay within ``/``, ``/proc`` and
   ``/proc/sys/...`` (with ``.`` and ``..``) needs no lookup: none of those is a symlink.
2. **By the kernel's own lookup**, for any other path while every process of CMD still sees
   the supervisor's root and mounts (:attr:`Resolver.simple`): one ``openat2(O_PATH,
   RESOLVE_NO_MAGICLINKS)`` from the caller's cwd or dirfd (opened through ``/proc/PID``), and
   the device of what it found. A file outside procfs is not ours. Magic links (``fd/N``,
   ``cwd``, ``root``) are refused by that lookup, and ``/proc/self`` keeps it inside procfs, so
   a lookup that would mean something else for the caller never decides.
3. **Component by component** otherwise (fs/namei.c's ``link_path_walk``), reading the caller's
   cwd, root and fds from ``/proc/PID``: paths through procfs, magic links, missing parents,
   and every path once a process of CMD has changed its root or mounts.

>>> Resolver().resolve(os.getpid(), AT_FDCWD, b"/proc/self/root/proc/sys/kernel/../kernel/sem")
('kernel/sem', False)
>>> Resolver().resolve(os.getpid(), AT_FDCWD, b"/etc/hostname") is None
True
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import stat as stat_mod
import struct
from collections.abc import Callable

from fakeproc.backends.seccomp._abi import NR, libc

__all__ = ["AT_FDCWD", "UNDECIDED", "Resolver", "by_name", "climb", "tgid"]

log = logging.getLogger("fakeproc.backends.seccomp")

AT_FDCWD = -100
_MAXSYMLINKS = 40  # include/linux/namei.h


def signed32(value: int) -> int:
    """A syscall's int argument (the low 32 bits of the register, signed)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def tgid(tid: int) -> int:
    with open(f"/proc/{tid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"Tgid:"):
                return int(line.split()[1])
    return tid


class Resolver:
    """Resolves callers' paths.

    Attributes:
        simple: Every process of CMD has the supervisor's root and mount namespace and no mount
            has changed (:meth:`view_changed` clears it for good), so the supervisor's own
            lookups find what the caller's would (ways 1 and 2 above).
        dir_of: Emulated directories: (pid, fd) -> ``/proc/sys/...`` when that fd is one of them.
        check_dir: (pid, path relative to ``/proc/sys``) -> None when the fake has a directory
            there, else raises OSError (ENOTDIR, ENOENT): asked where ``.`` or ``..`` follows a
            name inside ``/proc/sys``, since the kernel cannot walk through a file
            (fs/namei.c link_path_walk: ENOTDIR). Unset, such a name is taken for a directory.
        by_name_works: ``/proc`` and ``/proc/sys`` are plain directories here (way 1 may decide).
    """

    def __init__(self) -> None:
        self.dir_of: Callable[[int, int], str | None] | None = None
        self.check_dir: Callable[[int, str], None] | None = None
        self.simple = True
        self._by_name = self.by_name_works = _proc_sys_is_plain()
        self._proc_devices = _proc_devices()

    def view_changed(self, why: str) -> None:
        """A process of CMD may now see another root or other mounts than the supervisor
        (chroot, a mount, a new mount namespace...): resolve component by component from now on."""
        if self.simple:
            log.debug("fakeproc: %s: paths are resolved component by component from now on", why)
        self.simple = False

    def base(self, pid: int, dirfd: int) -> str | None:
        """The caller's cwd (``AT_FDCWD``) or the directory ``dirfd`` names, as a host path
        (None when it is not a directory path: a pipe, a memfd, a socket...)."""
        if dirfd != AT_FDCWD and self.dir_of is not None:
            emulated = self.dir_of(pid, dirfd)
            if emulated is not None:
                return emulated
        link = f"/proc/{pid}/cwd" if dirfd == AT_FDCWD else f"/proc/{pid}/fd/{dirfd}"
        try:
            target = os.readlink(link)
        except OSError:
            return None
        return target if target.startswith("/") else None

    def resolve(self, pid: int, dirfd: int, path: bytes, *, follow: bool = True) -> tuple[str, bool] | None:
        """Resolve ``path`` as thread ``pid`` would, from ``dirfd`` (or its cwd).

        Returns:
            (path relative to ``/proc/sys``, whether it ended with a slash), or None when the
            path does not end inside ``/proc/sys`` (or cannot be resolved at all).
        """
        if not path:
            return None
        if self.simple:
            if path[:10] == b"/proc/sys/" and self._by_name and len(path) > 10 and b"/." not in path \
                    and b"//" not in path:  # way 1 without splitting: no ".", "..", "//" in it
                slash = path[-1:] == b"/"
                return os.fsdecode(path[10:-1] if slash else path[10:]), slash
            found = self._quick(pid, dirfd, path, follow)
            if found is not UNDECIDED:
                return found  # type: ignore[return-value]
        return self.walk(pid, dirfd, path, follow=follow)

    # ------------------------------------------------------------------ ways 1 and 2

    def _quick(self, pid: int, dirfd: int, path: bytes, follow: bool) -> object:
        """Ways 1 and 2: the answer, or :data:`UNDECIDED`."""
        if path[:1] == b"/":
            if self._by_name:
                found = by_name(path)
                if found is not UNDECIDED:
                    if found is not None and self.check_dir is not None and b"/." in path:
                        self._check_dots(pid, path)
                    return found
            return self._looked_up(AT_FDCWD, path, follow)
        if dirfd == AT_FDCWD:
            link = f"/proc/{pid}/cwd"
        elif self.dir_of is not None and self.dir_of(pid, dirfd) is not None:
            return UNDECIDED
        else:
            link = f"/proc/{pid}/fd/{dirfd}"
        try:
            base = os.open(link, _O_PATH_CLOEXEC)
        except OSError:
            return UNDECIDED
        try:
            return self._looked_up(base, path, follow)
        finally:
            os.close(base)

    def _check_dots(self, pid: int, path: bytes) -> None:
        """For an absolute ``path`` that stays within ``/proc/sys`` by name: the kernel's errno
        where a ``.`` or ``..`` follows a name that is not a directory in the fake."""
        assert self.check_dir is not None
        cur: list[bytes] = []
        for name in path.split(b"/"):
            if name in (b".", b"..") and len(cur) > 2:
                self.check_dir(pid, os.fsdecode(b"/".join(cur[2:])))
            if not name or name == b".":
                continue
            if name == b"..":
                if cur:
                    cur.pop()
                continue
            cur.append(name)

    def _looked_up(self, base: int, path: bytes, follow: bool) -> object:
        """Way 2: look ``path`` up from ``base`` ourselves, without magic links."""
        fd = _openat2(base, path, _HOW_FOLLOW if follow else _HOW_NOFOLLOW, _HOW_SIZE)
        if fd >= 0:
            dev = os.fstat(fd).st_dev
            os.close(fd)
            return UNDECIDED if dev in self._proc_devices else None
        if ctypes.get_errno() not in (errno.ENOENT, errno.ENOTDIR):
            return UNDECIDED  # ELOOP (a magic link), EACCES...: the caller may see otherwise
        # Missing: not ours when the last component is missing from a directory outside procfs
        # (the caller's lookup fails there too, or O_CREAT creates it there).
        head, slash, last = path.rpartition(b"/")
        if last in (b"", b".", b".."):
            return UNDECIDED
        parent = base
        if slash:
            parent = _openat2(base, head or b"/", _HOW_DIRECTORY, _HOW_SIZE)
            if parent < 0:
                return UNDECIDED
        try:
            if os.fstat(parent).st_dev in self._proc_devices:
                return UNDECIDED
            os.stat(last, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError:
            return UNDECIDED
        finally:
            if parent != base:
                os.close(parent)
        return UNDECIDED  # it exists after all (a dangling symlink, or a race): walk it

    # ------------------------------------------------------------------ way 3

    def walk(self, pid: int, dirfd: int, path: bytes, *, follow: bool = True) -> tuple[str, bool] | None:
        """Way 3: :meth:`resolve` component by component, reading the caller's root, cwd and
        fds from ``/proc/PID``."""
        if not path:
            return None
        text = os.fsdecode(path)
        if text.startswith("/"):
            cur: list[str] = []
        else:
            base = self.base(pid, dirfd)
            if base is None:
                return None
            cur = base.split("/")[1:]
            if cur == [""]:
                cur = []
        try:
            root = os.readlink(f"/proc/{pid}/root")
        except OSError:
            return None
        prefix = "" if root == "/" else root
        pending = text.split("/")
        pending.reverse()
        links = 0
        while pending:
            name = pending.pop()
            if name in (".", "..") and len(cur) > 2 and cur[0] == "proc" and cur[1] == "sys" \
                    and self.check_dir is not None:
                self.check_dir(pid, "/".join(cur[2:]))
            if name in ("", "."):
                continue
            if name == "..":
                if cur:
                    cur.pop()
                continue
            if len(cur) >= 2 and cur[0] == "proc" and cur[1] == "sys":
                cur.append(name)  # inside the fake: no symlinks there, the backend checks the rest
                continue
            last = not any(p not in ("", ".") for p in pending)
            if len(cur) == 1 and cur[0] == "proc" and name in ("self", "thread-self"):
                if name == "thread-self":
                    pending.extend((str(pid), "task"))
                name = str(tgid(pid))
            if cur[:1] == ["proc"] and len(cur) >= 2 and cur[1].isdigit() and self._magic(cur, name):
                if last and not follow:
                    return None
                try:
                    target = os.readlink(prefix + "/" + "/".join([*cur, name]))
                except OSError:
                    return None
                if not target.startswith("/"):
                    return None
                cur = [p for p in target.split("/") if p]
                continue
            cur.append(name)
            host = prefix + "/" + "/".join(cur)
            try:
                st = os.lstat(host)
            except OSError:
                return None
            if stat_mod.S_ISLNK(st.st_mode) and (follow or not last):
                links += 1
                if links > _MAXSYMLINKS:
                    return None
                try:
                    target = os.readlink(host)
                except OSError:
                    return None
                cur.pop()
                if target.startswith("/"):
                    cur = []
                pending.extend(reversed(target.split("/")))
        if len(cur) >= 2 and cur[0] == "proc" and cur[1] == "sys":
            return "/".join(cur[2:]), text.endswith("/")
        return None

    @staticmethod
    def _magic(cur: list[str], name: str) -> bool:
        """Whether ``/proc/PID/.../name`` is a magic link (cwd, root, exe, fd/N, task/TID/...)."""
        tail = cur[2:]
        if tail[:1] == ["task"] and len(tail) >= 2:
            tail = tail[2:]
        if not tail:
            return name in ("cwd", "root", "exe")
        return tail == ["fd"] and name.isdigit()


UNDECIDED = object()
"""The quick ways could not decide: walk the path component by component."""


def by_name(path: bytes) -> object:
    """Way 1 for an absolute ``path``: the answer when its components stay within ``/``,
    ``/proc`` and ``/proc/sys/...`` (none of them a symlink), else :data:`UNDECIDED`.

    >>> by_name(b"/proc/sys/kernel/../vm/swappiness"), by_name(b"/proc/"), by_name(b"/etc") is UNDECIDED
    (('vm/swappiness', False), None, True)
    """
    cur: list[bytes] = []
    for name in path.split(b"/"):
        if not name or name == b".":
            continue
        if name == b"..":
            if cur:
                cur.pop()
            continue
        depth = len(cur)
        if depth >= 2 or (depth == 0 and name == b"proc") or (depth == 1 and name == b"sys"):
            cur.append(name)
            continue
        return UNDECIDED
    if len(cur) >= 2:
        return os.fsdecode(b"/".join(cur[2:])), path.endswith(b"/")
    return None


def climb(path: bytes) -> tuple[bytes, int]:
    """``path`` as a relative path with every ``..`` that would climb above its start dropped
    (what openat2's ``RESOLVE_IN_ROOT`` walks), and how many levels above its start the path
    climbs at most (0: it stays beneath, as ``RESOLVE_BENEATH`` requires). By name only: a
    symlink on the way is not followed.

    >>> climb(b"../../kernel/./msgmax"), climb(b"kernel/../vm/"), climb(b"/a/../..")
    ((b'kernel/msgmax', 2), (b'vm/', 0), (b'.', 1))
    """
    kept: list[bytes] = []
    above = 0
    for name in path.split(b"/"):
        if name in (b"", b"."):
            continue
        if name != b"..":
            kept.append(name)
        elif kept:
            kept.pop()
        else:
            above += 1
    rel = b"/".join(kept) or b"."
    return (rel + b"/" if kept and path.endswith(b"/") else rel), above


def _proc_sys_is_plain() -> bool:
    """Whether ``/proc`` and ``/proc/sys`` are directories here, not symlinks (way 1's premise)."""
    try:
        return all(stat_mod.S_ISDIR(os.lstat(p).st_mode) for p in ("/proc", "/proc/sys"))
    except OSError:
        return False


def _proc_devices() -> frozenset[int]:
    """The devices of procfs and of whatever is mounted at or below ``/proc`` (binfmt_misc...):
    a lookup that ends on one of them may be ours, or mean something else for the caller."""
    devices: set[int] = set()
    with contextlib.suppress(OSError):
        devices.update(os.stat(p).st_dev for p in ("/proc", "/proc/sys"))
    try:
        with open("/proc/self/mountinfo", "rb") as f:
            for line in f:
                fields = line.split()
                sep = fields.index(b"-") if b"-" in fields else -1
                point = fields[4]
                if (sep >= 0 and fields[sep + 1] == b"proc") or point == b"/proc" or point.startswith(b"/proc/"):
                    major, minor = fields[2].split(b":")
                    devices.add(os.makedev(int(major), int(minor)))
    except (OSError, ValueError, IndexError):
        pass
    return frozenset(devices)


# openat2(2) (Linux 5.6, below the backend's 5.9): its own ctypes function, prototyped, and the
# three struct open_how it is called with.
_RESOLVE_NO_MAGICLINKS = 0x02  # include/uapi/linux/openat2.h
_O_PATH_CLOEXEC = os.O_PATH | os.O_CLOEXEC
_HOW_SIZE = 24
_how = struct.Struct("<QQQ")
_HOW_FOLLOW = ctypes.create_string_buffer(_how.pack(_O_PATH_CLOEXEC, 0, _RESOLVE_NO_MAGICLINKS), _HOW_SIZE)
_HOW_NOFOLLOW = ctypes.create_string_buffer(
    _how.pack(_O_PATH_CLOEXEC | os.O_NOFOLLOW, 0, _RESOLVE_NO_MAGICLINKS), _HOW_SIZE)
_HOW_DIRECTORY = ctypes.create_string_buffer(
    _how.pack(_O_PATH_CLOEXEC | os.O_DIRECTORY, 0, _RESOLVE_NO_MAGICLINKS), _HOW_SIZE)
_syscall_openat2 = libc["syscall"]  # a function object of its own: the shared one takes any arguments
_syscall_openat2.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
_syscall_openat2.restype = ctypes.c_long


def _openat2(dirfd: int, path: bytes, how: ctypes.Array[ctypes.c_char], size: int) -> int:
    """openat2(2); the descriptor, or -1 with ctypes' errno set."""
    return int(_syscall_openat2(NR["openat2"], dirfd, path, how, size))
