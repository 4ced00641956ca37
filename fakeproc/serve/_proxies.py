"""Who a thread acts for, readable by a FUSE server in another process.

The seccomp backend's supervisor opens and stats files in the mount on behalf of the process it
answers; the server must count those requests as that process's (the open is where a file's
namespaces are bound). FUSE names the requesting thread, so the supervisor publishes "thread
T acts for pid P" just before each request, and the server's resolver reads it for requests
from T (:meth:`NamespaceResolver.resolve`).

:class:`SharedProxies` keeps that in a small memfd shared with the supervisor's process (it
inherits it, or opens ``/proc/SERVER/fd/N``): the server hands out one *slot* per supervisor
(:meth:`SharedProxies.reserve`) and reads only the slots it handed out; a supervisor writes its
thread id and the pid it acts for into its slot (:class:`Acting`), and 0 afterwards. Threads of
the server's own process may still use the in-process table (``table[tid] = pid``).

>>> table = SharedProxies()
>>> acting = Acting(table.fd, table.reserve())
>>> with acting.on(4242):
...     table.get(acting.tid, 0)
4242
>>> table.get(acting.tid, 0)
0
"""

from __future__ import annotations

import mmap
import os
import threading

__all__ = ["Acting", "SharedProxies"]

#: Slots in a table; each is (thread id, pid it acts for), two int32.
SLOTS = 64
_SIZE = SLOTS * 2 * 4


class SharedProxies:
    """The server's side: thread id -> the pid it acts for, in process and from other processes.

    Args:
        fd: An existing table's memfd (default: a new one, close-on-exec).
    """

    def __init__(self, fd: int | None = None) -> None:
        if fd is None:
            fd = os.memfd_create("fakeproc-proxies", os.MFD_CLOEXEC)
            os.ftruncate(fd, _SIZE)
        self.fd = fd
        self._map = mmap.mmap(fd, _SIZE)
        self._ints = memoryview(self._map).cast("i")
        self._local: dict[int, int] = {}
        self._slots: tuple[int, ...] = ()
        self._lock = threading.Lock()

    def reserve(self) -> int:
        """A free slot for one supervisor (cleared); :meth:`release` it when that supervisor ends.

        Raises:
            OSError(EAGAIN): all :data:`SLOTS` are in use.
        """
        with self._lock:
            for slot in range(SLOTS):
                if slot not in self._slots:
                    self._ints[2 * slot] = self._ints[2 * slot + 1] = 0
                    self._slots = (*self._slots, slot)
                    return slot
        raise OSError(11, "no free slot in the shared acting-for table")

    def release(self, slot: int) -> None:
        """Stop reading ``slot`` (its supervisor has ended)."""
        with self._lock:
            self._slots = tuple(s for s in self._slots if s != slot)
            self._ints[2 * slot] = self._ints[2 * slot + 1] = 0

    def path(self) -> str:
        """A path another process of the same user can open to share the table."""
        return f"/proc/{os.getpid()}/fd/{self.fd}"

    def get(self, tid: int, default: int) -> int:
        """The pid thread ``tid`` acts for now, else ``default``."""
        local = self._local
        if local:
            pid = local.get(tid)
            if pid is not None:
                return pid
        ints = self._ints
        for slot in self._slots:
            if ints[2 * slot] == tid:
                pid = ints[2 * slot + 1]
                if pid:
                    return pid
        return default

    def __bool__(self) -> bool:
        return bool(self._local or self._slots)

    def __setitem__(self, tid: int, pid: int) -> None:
        self._local[tid] = pid

    def pop(self, tid: int, default: int | None = None) -> int | None:
        return self._local.pop(tid, default)

    def close(self) -> None:
        """Unmap and close the table."""
        self._ints.release()
        self._map.close()
        os.close(self.fd)


class Acting:
    """A supervisor's side: its slot of a :class:`SharedProxies` table, opened from ``source``
    (the memfd, inherited, or the path of :meth:`SharedProxies.path`).

    ``with acting.on(pid):`` makes this thread's requests in the mount count as ``pid``'s.
    """

    __slots__ = ("_ints", "_map", "_pid_at", "_tid_at", "tid")

    def __init__(self, source: int | str, slot: int) -> None:
        fd = os.open(source, os.O_RDWR | os.O_CLOEXEC) if isinstance(source, str) else source
        try:
            self._map = mmap.mmap(fd, _SIZE)
        finally:
            if isinstance(source, str):
                os.close(fd)
        self._ints = memoryview(self._map).cast("i")
        self._tid_at = 2 * slot
        self._pid_at = 2 * slot + 1
        self.tid = 0

    def on(self, pid: int) -> Acting:
        """Publish that this thread acts for ``pid`` until the ``with`` block ends (one thread
        uses a slot: a supervisor's serving thread)."""
        if not self.tid:
            self.tid = self._ints[self._tid_at] = threading.get_native_id()
        self._ints[self._pid_at] = pid
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self._ints[self._pid_at] = 0
