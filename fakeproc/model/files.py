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
from fakeproc.model.polls import DEFAULT_POLLMASK, GONE_POLLMASK

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

    __slots__ = ("caller", "is_dir", "kernel", "key", "nsset", "poll_event", "readable", "writable")

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
        #: The entry's poll event counter when this file was opened or last polled (``proc_sys_open``
        #: keeps it in ``file->private_data``); None for an entry without ``.poll``.
        self.poll_event = None if is_dir else kernel.polls.counts.get(key)  # polls.event(key), inline: every open

    def poll(self) -> int:
        """``proc_sys_poll``: the ``poll(2)`` mask of this open file (``select.POLL*`` bits).

        ``DEFAULT_POLLMASK``; for ``kernel.hostname``/``domainname``, ``POLLIN|POLLRDNORM|POLLERR|
        POLLPRI`` once after each change made since this file was opened or last polled (the
        poll itself takes the change up, as the kernel's does); ``POLLERR|POLLHUP`` when the entry
        is gone (a removed device's file). See :mod:`fakeproc.model.polls`.
        """
        if self.is_dir:
            return DEFAULT_POLLMASK  # proc_sys_dir_file_operations has no .poll: vfs_poll's default
        if not self.kernel.exists(self.key, self.nsset):
            return GONE_POLLMASK
        mask, self.poll_event = self.kernel.polls.mask(self.key, self.poll_event)
        return mask

    def read(self, size: int, pos: int = 0, caller: Caller | None = None) -> bytes:
        """One ``read(2)`` of ``size`` bytes at ``pos``.

        ``caller``: the process reading now, when it may differ from the one that opened the
        file (a descriptor passed on, or credentials changed since the open). procfs checks the
        mode bits again against the reader's credentials at every call
        (``proc_sys_call_handler``: ``sysctl_perm``, EPERM), and the handler sees that reader.

        Raises:
            OSError(EISDIR): a directory.
            OSError(EBADF): opened write-only (or ``O_PATH``).
            OSError(EPERM): ``caller`` may not read the file.
            OSError(EINVAL): ``pos`` negative, or ``pos + size`` past the largest file offset.
            OSError(ENOMEM): ``size`` of 4 MiB or more.
        """
        if self.is_dir:
            raise_errno(errno.EISDIR, self.key)
        if not self.readable:
            raise_errno(errno.EBADF, self.key)
        _verify_area(self.key, pos, size)
        who = self.caller if caller is None else self._recheck(caller, write=False)
        return self.kernel._read(self.key, self.nsset, who, pos, size)

    def write(self, data: bytes, pos: int = 0, caller: Caller | None = None) -> int:
        """One ``write(2)`` of ``data`` at ``pos``; returns the bytes consumed (maybe fewer: a short write).

        ``caller``: the process writing now (see :meth:`read`): EPERM unless its credentials
        may write the file, whatever the opener could do.

        Raises:
            OSError: the handler's errno (EINVAL, ERANGE, EPERM...), EBADF if opened read-only,
                EPERM if ``caller`` may not write the file, EINVAL for a ``pos`` the VFS refuses
                (see :meth:`read`).
        """
        if not self.writable:
            raise_errno(errno.EBADF, self.key)
        _verify_area(self.key, pos, len(data))
        who = self.caller if caller is None else self._recheck(caller, write=True)
        return self.kernel._call(self.key, self.nsset, who, bytes(data), pos, len(data)).count

    def _recheck(self, caller: Caller, *, write: bool) -> Caller:
        """``sysctl_perm`` for the process making this call (EPERM if refused)."""
        if caller != self.caller and not self.kernel.permits(self.key, self.nsset, caller, write=write):
            raise_errno(errno.EPERM, self.key)
        return caller

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


#: The largest file offset (``LLONG_MAX``).
_MAX_OFFSET = (1 << 63) - 1


def _verify_area(key: str, pos: int, count: int) -> None:
    """fs/read_write.c ``rw_verify_area`` for procfs (no unsigned offsets): EINVAL for a negative
    position or one whose end overflows ``loff_t``, before the handler is asked."""
    if pos < 0 or pos > _MAX_OFFSET - count:
        raise_errno(errno.EINVAL, key)
