"""The write log: every ``write(2)`` the kernel answered, bounded in entries and bytes, fair per caller.

Memory stays bounded whatever callers write:

* a record keeps a prefix of the payload (``PAYLOAD_PREFIX`` bytes for an accepted write,
  ``REFUSED_PREFIX`` for a refused one) plus the payload's full ``length``;
* the log keeps at most ``limit`` records and ``byte_limit`` bytes of prefixes;
* records carry the caller's kernel uid. When the log is over either bound, the oldest
  records of the caller holding the most (records, or bytes) go first, until the log is a
  tenth below the bound. A hostile writer therefore evicts only its own history while it
  is the largest holder: it cannot push anyone else's writes out, nor grow the log beyond
  its bounds.

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

from fakeproc.spec import NAMESPACE_TYPES

__all__ = ["PAYLOAD_PREFIX", "REFUSED_PREFIX", "SMALL_PAYLOAD", "WRITE_LOG_BYTES", "WRITE_LOG_LIMIT", "WriteLog", "WriteRecord"]

#: How many writes the log keeps by default.
WRITE_LOG_LIMIT = 100_000
#: How many payload bytes (all prefixes together) the log keeps by default.
WRITE_LOG_BYTES = 8 << 20
#: Payload bytes kept of an accepted write: one page, what the kernel parses of most writes.
PAYLOAD_PREFIX = 4096
#: Payload bytes kept of a refused write (enough to see what was tried).
REFUSED_PREFIX = 256
#: Payloads up to this size are bounded by the record limit alone (at most 6.4 MB in a full
#: log) and are not counted against ``byte_limit``; the kernel appends them inline.
SMALL_PAYLOAD = 64

_NS_NAMES = tuple(t.value for t in NAMESPACE_TYPES)


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


# A raw entry: (key, data, length, pos, ids, pid, comm, count, errno, time, uid). Plain tuples
# of strings, bytes and numbers, which the garbage collector stops tracking, so a full log
# costs no collection time; a WriteRecord is built when one is looked at.

#: When a bound is exceeded, the log shrinks to this fraction of it (so the pass that picks
#: what to drop runs once per tenth of the log, not once per write).
_SHRINK_TO = 0.9


def _counted(raw: tuple[Any, ...]) -> int:
    """Bytes of a record counted against ``byte_limit`` (none for a small payload)."""
    return len(raw[1]) if raw[2] > SMALL_PAYLOAD else 0


class WriteLog(Sequence[WriteRecord]):
    """The most recent writes, oldest first; see the module docstring for the bounds.

    A write costs one append to a ring and a byte count; the fair eviction runs only when a
    bound is exceeded, and then frees a tenth of the log at once.

    Args:
        limit: Most records kept.
        byte_limit: Most payload bytes kept (sum of the kept prefixes).
    """

    __slots__ = ("_bytes", "byte_limit", "entries", "limit")

    def __init__(self, limit: int = WRITE_LOG_LIMIT, byte_limit: int = WRITE_LOG_BYTES) -> None:
        self.limit = limit
        self.byte_limit = byte_limit
        #: The records, oldest first, as raw tuples (see above). The kernel appends records
        #: with small payloads here directly and calls :meth:`shrink` past ``limit``.
        self.entries: deque[tuple[Any, ...]] = deque()
        self._bytes = 0

    def add(self, key: str, data: bytes, pos: int, ids: tuple[int, ...], pid: int, comm: str, count: int,
            err: int, uid: int) -> None:
        """Record one write (``data`` whole: the log keeps its prefix and length)."""
        length = len(data)
        if length > REFUSED_PREFIX and (err or length > PAYLOAD_PREFIX):
            data = data[:REFUSED_PREFIX] if err else data[:PAYLOAD_PREFIX]
        entries = self.entries
        entries.append((key, data, length, pos, ids, pid, comm, count, err, time.time(), uid))
        if length > SMALL_PAYLOAD:
            self._bytes += len(data)
        if len(entries) > self.limit or self._bytes > self.byte_limit:
            self.shrink()

    def shrink(self) -> None:
        """Drop the oldest records of the largest holders (by records while there are too
        many, then by bytes) until the log is back under a tenth below both bounds."""
        entries = self.entries
        by_uid: dict[int, list[int]] = {}
        sizes: dict[int, int] = {}
        for i, raw in enumerate(entries):
            uid = raw[10]
            by_uid.setdefault(uid, []).append(i)
            sizes[uid] = sizes.get(uid, 0) + _counted(raw)
        count, total = len(entries), self._bytes
        max_count, max_bytes = int(self.limit * _SHRINK_TO), int(self.byte_limit * _SHRINK_TO)
        heads = dict.fromkeys(by_uid, 0)  # per uid: how many of its oldest records go
        dropped: set[int] = set()
        # The holder with the most records (or bytes) loses its oldest; heaps keep it cheap.
        by_count = [(-len(v), uid) for uid, v in by_uid.items()]
        heapq.heapify(by_count)
        while count > max_count:
            _n, uid = heapq.heappop(by_count)
            i = by_uid[uid][heads[uid]]
            heads[uid] += 1
            dropped.add(i)
            count -= 1
            size = _counted(entries[i])
            total -= size
            sizes[uid] -= size
            if heads[uid] < len(by_uid[uid]):
                heapq.heappush(by_count, (-(len(by_uid[uid]) - heads[uid]), uid))
        by_bytes = [(-sizes[uid], uid) for uid in by_uid if heads[uid] < len(by_uid[uid])]
        heapq.heapify(by_bytes)
        while total > max_bytes and by_bytes:
            _b, uid = heapq.heappop(by_bytes)
            i = by_uid[uid][heads[uid]]
            heads[uid] += 1
            dropped.add(i)
            size = _counted(entries[i])
            total -= size
            sizes[uid] -= size
            if heads[uid] < len(by_uid[uid]):
                heapq.heappush(by_bytes, (-sizes[uid], uid))
        self.entries = deque(raw for i, raw in enumerate(entries) if i not in dropped)
        self._bytes = total

    @staticmethod
    def _record(raw: tuple[Any, ...]) -> WriteRecord:
        key, data, length, pos, ids, pid, comm, count, err, when, uid = raw
        return WriteRecord(key, data, pos, dict(zip(_NS_NAMES, ids)), pid, comm, count, err, when, length, uid)

    @property
    def payload_bytes(self) -> int:
        """Bytes of payload prefixes held now (at most ``byte_limit``)."""
        return self._bytes

    def clear(self) -> None:
        """Forget every recorded write."""
        self.entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> WriteRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[WriteRecord]: ...

    def __getitem__(self, index: int | slice) -> WriteRecord | list[WriteRecord]:
        entries = self.entries
        if isinstance(index, slice):
            return [self._record(raw) for raw in list(entries)[index]]
        return self._record(entries[index])

    def __iter__(self) -> Iterator[WriteRecord]:
        return iter([self._record(raw) for raw in list(self.entries)])

    def __repr__(self) -> str:
        return f"<WriteLog of {len(self)} writes>"
