"""The emulated backend's table of open file descriptions: which :class:`OpenFile` a descriptor
of CMD stands for (a memfd placeholder by its inode and file position, a poll placeholder by its
socket's inode), and new memfd placeholders, whose inodes it keeps and evicts."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from fakeproc.backends.emulated._caller_fds import fd_pos
from fakeproc.backends.emulated._placeholders import OpenFile, SharedInode

__all__ = ["OpenFiles"]

_FIRST_ID = 1 << 40


class OpenFiles:
    """The open file descriptions of the fake that CMD holds.

    Args:
        keep: How many keepers of files CMD has closed to keep (:func:`keep_inodes`).
    """

    def __init__(self, keep: int) -> None:
        self.sockets: dict[int, OpenFile] = {}  # socket inode -> file, for the poll placeholders
        self._inodes: OrderedDict[tuple[str, int], SharedInode] = OrderedDict()  # (rel, id(nsset)) ->
        self._by_ino: dict[int, SharedInode] = {}  # memfd inode -> the placeholder inode it is
        self._next_id = _FIRST_ID
        self._open_lock = threading.Lock()
        self._keep = keep
        self.memfd_dev: int | None = None
        self.socket_dev: int | None = None

    def lookup(self, pid: int, fd: int) -> OpenFile | None:
        """The emulated file thread ``pid``'s ``fd`` is a placeholder of, or None."""
        if fd < 0 or self.memfd_dev is None and self.socket_dev is None:
            return None
        try:
            st = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            return None
        if st.st_dev == self.memfd_dev:
            shared = self._by_ino.get(st.st_ino)
            if shared is None:
                return None
            opens = shared.opens
            if len(opens) == 1:  # the usual case: one open of the file at a time
                for only in opens.values():
                    return only
            return opens.get(fd_pos(pid, fd))
        if st.st_dev != self.socket_dev:
            return None
        return self.sockets.get(st.st_ino)

    def placeholder(self, opened: OpenFile) -> int:
        """A new open file description of the placeholder inode of ``opened``'s file, write-only
        (sealed: a copy the filter does not watch fails reads with EBADF and writes with EPERM),
        whose file position is its id (:class:`SharedInode`)."""
        with self._open_lock:
            key = (opened.rel, id(opened.file.nsset))
            shared = self._inodes.get(key)
            if shared is None:
                shared = self._inodes[key] = SharedInode.make(opened.rel, opened.file.nsset)
                self._by_ino[shared.ino] = shared
                if self.memfd_dev is None:
                    self.memfd_dev = os.fstat(shared.keeper).st_dev
                self._evict()
            else:
                self._inodes.move_to_end(key)
                if shared.opens and not shared.in_use():
                    shared.opens.clear()  # CMD has closed them all
            fd = os.open(f"/proc/self/fd/{shared.keeper}", os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.lseek(fd, self._next_id, os.SEEK_SET)
            except BaseException:
                os.close(fd)
                raise
            shared.opens[self._next_id] = opened
            self._next_id += 1
            return fd

    def _evict(self) -> None:
        """Close the keepers of the least recently opened files CMD no longer holds open, beyond
        :func:`keep_inodes` (the supervisor's descriptors stay bounded); one still held open
        goes to the back, to be tried again later."""
        for _ in range(4):
            if len(self._inodes) <= self._keep:
                return
            key, shared = next(iter(self._inodes.items()))
            if shared.in_use():
                self._inodes.move_to_end(key)
                continue
            del self._inodes[key]
            del self._by_ino[shared.ino]
            os.close(shared.keeper)

    def close(self) -> None:
        """Close the keepers of every placeholder inode (after the run)."""
        with self._open_lock:
            for shared in self._inodes.values():
                os.close(shared.keeper)
            self._inodes.clear()
            self._by_ino.clear()
