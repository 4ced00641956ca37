"""Where does a caller's path land? Path resolution as the kernel does it, from the caller's side.

A notified ``openat(dirfd, path)`` names a file relative to the caller's cwd, a dirfd or its
root, through symlinks, ``..`` and the ``/proc/self`` family, all of which mean something else
in the supervisor. :func:`resolve` walks the path one component at a time (fs/namei.c's
``link_path_walk``), reading the caller's cwd, root and fds from ``/proc/PID``, and answers
the path relative to ``/proc/sys`` when the walk ends there, else None (the kernel then does
the real lookup itself, with the errno it finds).

>>> Resolver().resolve(os.getpid(), AT_FDCWD, b"/proc/self/root/proc/sys/kernel/../kernel/sem")
('kernel/sem', False)
>>> Resolver().resolve(os.getpid(), AT_FDCWD, b"/etc/hostname") is None
True
"""

from __future__ import annotations

import os
import stat as stat_mod
from collections.abc import Callable

__all__ = ["AT_FDCWD", "Resolver", "tgid"]

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
    """Resolves callers' paths; ``aliases`` maps host directories to places in the fake tree
    (the emulated backend's directory placeholders, which a caller may ``fchdir`` into).

    Attributes:
        aliases: Host absolute path -> path relative to ``/proc/sys``.
    """

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.dir_of: Callable[[int, int], str | None] | None = None
        """Emulated directories: (pid, fd) -> ``/proc/sys/...`` when that fd is one of them."""

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
        text = os.fsdecode(path)
        if text.startswith("/"):
            cur: list[str] = []
        else:
            base = self.base(pid, dirfd)
            if base is None:
                return None
            alias = self.aliases.get(base)
            cur = ["proc", "sys", *alias.split("/")] if alias is not None else base.split("/")[1:]
            if alias == "":
                cur = ["proc", "sys"]
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
                continue
            if self.aliases:
                alias = self.aliases.get("/" + "/".join(cur))
                if alias is not None:
                    cur = ["proc", "sys", *(alias.split("/") if alias else [])]
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
