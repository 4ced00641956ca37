"""CMD's descriptor table as the supervisor reads it: positions and flags from fdinfo, a copy
of a descriptor (pidfd_getfd), a free number."""

from __future__ import annotations

import os

from fakeproc.backends.seccomp._abi import NR, syscall
from fakeproc.backends.seccomp._paths import tgid

__all__ = ["fd_flags", "fd_pos", "free_fd", "getfd"]


def fd_flags(pid: int, fd: int) -> int:
    """The ``flags:`` of thread ``pid``'s ``fd`` in its fdinfo (with the descriptor's O_CLOEXEC)."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as info:
            return int(info.read().split(b"flags:", 1)[1].split()[0], 8)
    except (OSError, ValueError, IndexError):
        return 0


def fd_pos(pid: int, fd: int) -> int:
    """The file position of thread ``pid``'s ``fd`` (the first line of its fdinfo), -1 if gone."""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as info:
            return int(info.readline().split(b":", 1)[1])
    except (OSError, ValueError, IndexError):
        return -1


def getfd(pid: int, fd: int) -> int:
    """Our own descriptor for thread ``pid``'s ``fd``: the same open file description."""
    try:
        pidfd = syscall(NR["pidfd_open"], pid, 0)
    except OSError:
        pidfd = syscall(NR["pidfd_open"], tgid(pid), 0)
    try:
        return syscall(NR["pidfd_getfd"], pidfd, fd, 0)
    finally:
        os.close(pidfd)


def free_fd(pid: int, lowest: int) -> int:
    """The lowest descriptor number of thread ``pid`` at or above ``lowest`` that is free."""
    try:
        used = {int(x) for x in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        used = set()
    fd = lowest
    while fd in used:
        fd += 1
    return fd
