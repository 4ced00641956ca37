"""FUSE POLL: ``poll(2)``/``select``/``epoll`` on a mount file report what procfs reports.

The kernel's FUSE client sends POLL for every poll of a file of the mount (fs/fuse/file.c
``fuse_file_poll``) and returns the server's mask as it is; with ``FUSE_POLL_SCHEDULE_NOTIFY``
(someone will sleep on the file) libfuse hands the file system a poll handle, and
``fuse_notify_poll(handle)`` later wakes every sleeper on that open file, which then polls
again. So the mount is exact: the mask is :meth:`fakeproc.model.SysctlFile.poll`'s, and each
change the model notifies (:class:`fakeproc.model.polls.PollEvents`) wakes the handles kept for
files of that entry. libfuse2 (2.8+) and libfuse3 both export ``fuse_notify_poll`` and
``fuse_pollhandle_destroy``; the handle belongs to the file system once given.

A handle is kept only for a file of an entry with ``.poll`` (the others never change); a newer
handle for the same open file replaces the older one (the kernel's handle, ``kh``, is the same
for one open file), and a woken handle is used up.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["PollHandles"]

log = logging.getLogger("fakeproc.backends.fuse")

#: Kept handles beyond which those of closed files are dropped at the next poll.
_SWEEP_AT = 256


class PollHandles:
    """The poll handles a FUSE session holds, by open file handle, and their wake-ups.

    Args:
        lib: The loaded libfuse (``fuse_notify_poll``, ``fuse_pollhandle_destroy``).
        open_files: The session's open files (handle number -> model file), to know which
            entry a handle waits on and which handles belong to closed files.
        subscribe: ``PollEvents.subscribe`` of the served kernel.
    """

    def __init__(self, lib: ctypes.CDLL, open_files: dict[int, Any],
                 subscribe: Callable[[Callable[[str], None]], Callable[[], None]]) -> None:
        self._notify = lib.fuse_notify_poll
        self._notify.argtypes = [ctypes.c_void_p]
        self._notify.restype = ctypes.c_int
        self._destroy = lib.fuse_pollhandle_destroy
        self._destroy.argtypes = [ctypes.c_void_p]
        self._destroy.restype = None
        self._files = open_files
        self._handles: dict[int, tuple[str, int]] = {}  # fh -> (key, poll handle address)
        self._lock = threading.Lock()
        self._closed = False
        self._unsubscribe = subscribe(self.wake)

    def keep(self, fh: int, key: str, handle: int | None) -> None:
        """Remember ``handle`` (libfuse's ``struct fuse_pollhandle *``, or None) for open file ``fh``
        of ``key``, to be woken at the entry's next change."""
        if not handle:
            return
        with self._lock:
            if self._closed:
                self._destroy(handle)
                return
            old = self._handles.pop(fh, None)
            self._handles[fh] = (key, handle)
            if len(self._handles) > _SWEEP_AT:
                for gone in [f for f in self._handles if f not in self._files]:
                    self._destroy(self._handles.pop(gone)[1])
        if old is not None:
            self._destroy(old[1])

    def drop(self, handle: int | None) -> None:
        """Give back a handle that will never be woken (a file whose entry has no ``.poll``)."""
        if handle:
            self._destroy(handle)

    def wake(self, key: str) -> None:
        """The model notified ``key``: wake (and use up) every handle waiting on a file of it."""
        with self._lock:
            if self._closed:
                return
            due = [fh for fh, (k, _) in self._handles.items() if k == key]
            handles = [self._handles.pop(fh)[1] for fh in due]
            for fh, handle in zip(due, handles):
                if fh in self._files:
                    err = self._notify(handle)
                    if err not in (0, -2):  # -ENOENT: the kernel forgot the file meanwhile
                        log.warning("fuse_notify_poll failed (%d): a poller of %s is not woken", err, key)
                self._destroy(handle)

    def close(self) -> None:
        """Stop waking (before the FUSE session is destroyed) and give every handle back."""
        self._unsubscribe()
        with self._lock:
            self._closed = True
            for _key, handle in self._handles.values():
                self._destroy(handle)
            self._handles.clear()
