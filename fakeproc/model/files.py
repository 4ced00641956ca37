"""The procfs face of the model: what ``stat(2)`` shows and an open ``/proc/sys`` file.

>>> from fakeproc.model.kernel import Kernel
>>> import os
>>> f = Kernel("6.18").open("vm.swappiness", os.O_RDWR)
>>> f.write(b"10\\n"), f.read(100)
(3, b'10\\n')
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakeproc.errors import raise_errno
from fakeproc.model.namespaces import NamespaceSet
from fakeproc.model.permissions import Caller

if TYPE_CHECKING:
    from fakeproc.model.kernel import Kernel

__all__ = ["Stat", "SysctlFile"]


@dataclass(frozen=True)
class Stat:
    """What ``stat(2)`` shows for a path under ``/proc/sys``."""

    is_dir: bool
    mode: int
    uid: int
    gid: int
    nlink: int
    size: int = 0


class SysctlFile:
    """An open ``/proc/sys`` file: reads and writes at explicit offsets (``pread``/``pwrite``).

    Permissions were checked when it was opened, as procfs does.
    """

    __slots__ = ("caller", "is_dir", "kernel", "key", "nsset", "readable", "writable")

    def __init__(
        self, kernel: Kernel, key: str, nsset: NamespaceSet, caller: Caller, readable: bool, writable: bool,
        is_dir: bool = False,
    ) -> None:
        self.kernel = kernel
        self.key = key
        self.nsset = nsset
        self.caller = caller
        self.readable = readable
        self.writable = writable
        self.is_dir = is_dir

    def read(self, size: int, pos: int = 0) -> bytes:
        """One ``read(2)`` of ``size`` bytes at ``pos``.

        Raises:
            OSError(EISDIR): a directory.
            OSError(EBADF): opened write-only.
            OSError(ENOMEM): ``size`` of 4 MiB or more.
        """
        if self.is_dir:
            raise_errno(errno.EISDIR, self.key)
        if not self.readable:
            raise_errno(errno.EBADF, self.key)
        return self.kernel._read(self.key, self.nsset, self.caller, pos, size)

    def write(self, data: bytes, pos: int = 0) -> int:
        """One ``write(2)`` of ``data`` at ``pos``; returns the bytes consumed (maybe fewer: a short write).

        Raises:
            OSError: the handler's errno (EINVAL, ERANGE, EPERM...), EBADF if opened read-only.
        """
        if not self.writable:
            raise_errno(errno.EBADF, self.key)
        return self.kernel._call(self.key, self.nsset, self.caller, bytes(data), pos, len(data)).count

    def write_all(self, data: bytes, pos: int = 0) -> int:
        """Write ``data`` the way shells, Go and procps loop over ``write(2)``: after a short
        write, the rest goes again at the advanced offset. Returns the bytes consumed.

        Raises:
            OSError: the errno of the first refused ``write(2)``.
        """
        done = 0
        while done < len(data):
            count = self.write(data[done:], pos + done)
            if count <= 0:
                break
            done += count
        return done
