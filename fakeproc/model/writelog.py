"""The write log: every ``write(2)`` the kernel answered, bounded in entries and bytes, fair per caller.

Memory stays bounded whatever callers write:

* a record keeps a prefix of the payload (``PAYLOAD_PREFIX`` bytes for an accepted write,
  ``REFUSED_PREFIX`` for a refused one) plus the payload's full ``length``;
* the log keeps at most ``limit`` records and ``byte_limit`` bytes of prefixes;
* records are kept per caller (kernel uid). When the log is over either bound, the oldest
  record of the caller holding the most (records, or bytes) goes first. A hostile writer
  therefore evicts only its own history once it is the largest holder: it cannot push
  anyone else's writes out, nor grow the log beyond its bounds.

>>> log = WriteLog(limit=3)
>>> for i in range(5):
...     log.add("vm.swappiness", b"%d" % i, 0, (1, 2, 3, 4), 0, "", 1, 0, 0)
>>> [r.data for r in log]
[b'2', b'3', b'4']
>>> log.add("vm.swappiness", b"x" * 10000, 0, (1, 2, 3, 4), 99, "evil", 0, 13, 1001)
>>> [(r.uid, len(r.data), r.length) for r in log][-1]
(1001, 256, 10000)
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, overload

__all__ = ["PAYLOAD_PREFIX", "REFUSED_PREFIX", "WRITE_LOG_BYTES", "WRITE_LOG_LIMIT", "WriteLog", "WriteRecord"]

#: How many writes the log keeps by default.
WRITE_LOG_LIMIT = 100_000
#: How many payload bytes (all prefixes together) the log keeps by default.
WRITE_LOG_BYTES = 8 << 20
#: Payload bytes kept of an accepted write: one page, what the kernel parses of most writes.
PAYLOAD_PREFIX = 4096
#: Payload bytes kept of a refused write (enough to see what was tried).
REFUSED_PREFIX = 256

_NS_NAMES = ("ipc", "net", "uts", "user")


class WriteRecord(NamedTuple):
    """One ``write(2)`` the kernel answered.

    Attributes:
        key: Dotted key written.
        data: The bytes the caller passed (their first ``PAYLOAD_PREFIX`` bytes, or
            ``REFUSED_PREFIX`` for a refused write; ``length`` is the full size).
        pos: File offset of the write.
        namespaces: Ids of the caller's namespaces (``{"ipc": 1, ...}``).
        pid: Caller's pid (0 for in-process calls).
        comm: Caller's command name.
        count: Bytes consumed (0 when refused).
        errno: 0, or the kernel's errno.
        time: Wall-clock time of the write.
        length: Size of the whole payload.
        uid: The caller's kernel uid.
    """

    key: str
    data: bytes
    pos: int
    namespaces: dict[str, int]
    pid: int
    comm: str
    count: int  # type: ignore[assignment]  # shadows tuple.count on purpose
    errno: int
    time: float
    length: int = 0
    uid: int = 0

    @property
    def ok(self) -> bool:
        return self.errno == 0

    @property
    def truncated(self) -> bool:
        """Whether ``data`` is only a prefix of what was written."""
        return len(self.data) < self.length


# A raw entry: (seq, key, data, length, pos, ids, pid, comm, count, errno, time, uid). Plain
# tuples of strings, bytes and numbers, which the garbage collector stops tracking, so a full
# log costs no collection time; a WriteRecord is built when one is looked at.


class WriteLog(Sequence[WriteRecord]):
    """The most recent writes, oldest first; see the module docstring for the bounds.

    Args:
        limit: Most records kept.
        byte_limit: Most payload bytes kept (sum of the kept prefixes).
    """

    __slots__ = ("_bytes", "_count", "_merged", "_rings", "_seq", "byte_limit", "limit")

    def __init__(self, limit: int = WRITE_LOG_LIMIT, byte_limit: int = WRITE_LOG_BYTES) -> None:
        self.limit = limit
        self.byte_limit = byte_limit
        #: Per caller uid: its records (oldest first) and the bytes of their prefixes.
        self._rings: dict[int, tuple[deque[tuple[Any, ...]], list[int]]] = {}
        self._count = 0
        self._bytes = 0
        self._seq = 0
        self._merged: list[tuple[Any, ...]] | None = None

    def add(self, key: str, data: bytes, pos: int, ids: tuple[int, ...], pid: int, comm: str, count: int,
            err: int, uid: int) -> None:
        """Record one write (``data`` whole: the log keeps its prefix and length)."""
        length = len(data)
        keep = REFUSED_PREFIX if err else PAYLOAD_PREFIX
        if length > keep:
            data = data[:keep]
        entry = self._rings.get(uid)
        if entry is None:
            entry = self._rings[uid] = (deque(), [0])
        self._seq += 1
        entry[0].append((self._seq, key, data, length, pos, ids, pid, comm, count, err, time.time(), uid))
        kept = len(data)
        entry[1][0] += kept
        self._bytes += kept
        self._count += 1
        self._merged = None
        if self._count > self.limit or self._bytes > self.byte_limit:
            self._evict()

    def _evict(self) -> None:
        """Drop the oldest records of the largest holders until both bounds hold again."""
        rings = self._rings
        while self._count > self.limit or self._bytes > self.byte_limit:
            if self._count > self.limit:
                uid = max(rings, key=lambda u: len(rings[u][0]))
            else:
                uid = max(rings, key=lambda u: rings[u][1][0])
            ring, size = rings[uid]
            dropped = ring.popleft()
            size[0] -= len(dropped[2])
            self._bytes -= len(dropped[2])
            self._count -= 1
            if not ring:
                del rings[uid]

    def _entries(self) -> Sequence[tuple[Any, ...]]:
        if len(self._rings) == 1:
            return next(iter(self._rings.values()))[0]
        if self._merged is None:
            self._merged = list(heapq.merge(*(ring for ring, _ in self._rings.values())))
        return self._merged

    @staticmethod
    def _record(raw: tuple[Any, ...]) -> WriteRecord:
        _seq, key, data, length, pos, ids, pid, comm, count, err, when, uid = raw
        return WriteRecord(key, data, pos, dict(zip(_NS_NAMES, ids)), pid, comm, count, err, when, length, uid)

    @property
    def payload_bytes(self) -> int:
        """Bytes of payload prefixes held now (at most ``byte_limit``)."""
        return self._bytes

    def clear(self) -> None:
        """Forget every recorded write."""
        self._rings.clear()
        self._count = 0
        self._bytes = 0
        self._merged = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> WriteRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[WriteRecord]: ...

    def __getitem__(self, index: int | slice) -> WriteRecord | list[WriteRecord]:
        entries = self._entries()
        if isinstance(index, slice):
            return [self._record(raw) for raw in list(entries)[index]]
        return self._record(entries[index])

    def __iter__(self) -> Iterator[WriteRecord]:
        return iter([self._record(raw) for raw in list(self._entries())])

    def __repr__(self) -> str:
        return f"<WriteLog of {len(self)} writes>"
