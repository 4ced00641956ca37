"""Comparing what a tool did with what the oracle says, in one call each.

* :func:`applied_writes` turns a write log (one record per ``write(2)``) into
  logical writes: a tool that gets a short write sends the rest in another
  ``write(2)`` at the next offset (systemd's write loop, stdio's ``fflush``), and
  the two records are one write of the value.
* :func:`compare_writes` / :func:`assert_writes` compare those with the oracle's
  writes (an :class:`~fakeproc.sysctlconf.ApplyReport`, planned writes, or
  ``(key, value)`` pairs), with a line diff.
* :func:`read_or_errno`, :func:`read_state` and :func:`assert_same_state` read
  keys that may refuse reads (``stable_secret`` gives EIO) without a try/except.

>>> import os
>>> from fakeproc import Kernel
>>> k = Kernel("6.18")
>>> f = k.open("abi.vsyscall32", os.O_WRONLY)
>>> f.write(b"0 #\\n", 0), f.write(b"#\\n", 2)        # a short write, then the rest
(2, 2)
>>> [(w.key, w.data, len(w.records)) for w in applied_writes(k)]
[('abi.vsyscall32', b'0 #\\n', 2)]
>>> read_or_errno(k, "net.ipv6.conf.lo.stable_secret")
Errno(EIO)
"""

from __future__ import annotations

import difflib
import errno as errno_mod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fakeproc.model import Kernel, NamespaceSet, WriteRecord

__all__ = [
    "AppliedWrite",
    "Errno",
    "WriteDiff",
    "applied_writes",
    "assert_same_state",
    "assert_writes",
    "compare_writes",
    "read_or_errno",
    "read_state",
]


@dataclass(frozen=True)
class Errno:
    """A refused read or write, compared and shown by errno name (``Errno(EIO)``)."""

    errno: int

    @property
    def name(self) -> str:
        """``"EIO"``, ``"EINVAL"``..."""
        return errno_mod.errorcode.get(self.errno, str(self.errno))

    def __repr__(self) -> str:
        return f"Errno({self.name})"


@dataclass(frozen=True)
class AppliedWrite:
    """One logical write: the ``write(2)`` records of one value to one key by one process.

    Attributes:
        key: The dotted key.
        data: The bytes the tool meant to write (the first record's bytes, or the
            consumed prefixes of each record followed by the last record's bytes).
        errno: The last record's errno (0: the whole value went in).
        count: Bytes consumed over all records.
        records: The write log records joined, in order.
    """

    key: str
    data: bytes
    errno: int
    count: int
    records: tuple[WriteRecord, ...]

    @property
    def ok(self) -> bool:
        """The kernel accepted every part."""
        return self.errno == 0


def _records(source: Any) -> list[WriteRecord]:
    if isinstance(source, Kernel):
        return list(source.write_log)
    kernel = getattr(source, "kernel", None)
    if isinstance(kernel, Kernel):
        return list(kernel.write_log)
    return list(source)


def applied_writes(source: Any, *, comm: str | None = None, pid: int | None = None) -> list[AppliedWrite]:
    """The logical writes in a write log, in order.

    A record continues the previous logical write when it is to the same key, by
    the same process, in the same namespaces, at the offset where that write's
    consumed bytes ended (``pos == previous pos + previous count``), and the
    previous record succeeded but consumed less than it was given.

    Args:
        source: A kernel, a mount handle (its ``.kernel``), or write records.
        comm: Only writes by processes with this command name.
        pid: Only writes by this pid.
    """
    out: list[AppliedWrite] = []
    open_: dict[tuple[str, int, tuple[object, ...]], int] = {}  # (key, pid, namespaces) -> index in out
    for r in _records(source):
        if (comm is not None and r.comm != comm) or (pid is not None and r.pid != pid):
            continue
        ident = (r.key, r.pid, tuple(r.namespaces))
        i = open_.pop(ident, None)
        if i is not None and r.pos > 0:
            prev = out[i]
            last = prev.records[-1]
            if last.errno == 0 and last.count < len(last.data) and r.pos == last.pos + last.count:
                data = b"".join(x.data[: x.count] for x in prev.records) + r.data
                out[i] = AppliedWrite(r.key, data, r.errno, prev.count + r.count, (*prev.records, r))
                if r.errno == 0 and r.count < len(r.data):
                    open_[ident] = i
                continue
        out.append(AppliedWrite(r.key, bytes(r.data), r.errno, r.count, (r,)))
        if r.errno == 0 and r.count < len(r.data):
            open_[ident] = len(out) - 1
    return out


def _expected(expected: Any) -> list[tuple[str, bytes]]:
    written = getattr(expected, "written", None)
    if written is not None and not callable(written):
        expected = written  # an ApplyReport: the writes that went through
    out = []
    for item in expected:
        if isinstance(item, tuple):
            key, value = item
            data = value if isinstance(value, bytes) else (value + "\n").encode("utf-8", "surrogateescape")
            out.append((key, data))
        else:
            out.append((item.key, item.data))
    return out


@dataclass(frozen=True)
class WriteDiff:
    """Expected and actual ``(key, bytes)`` writes, and their diff.

    Attributes:
        expected: What the oracle says the tool writes, in order.
        actual: What the write log shows (logical writes), in order.
    """

    expected: tuple[tuple[str, bytes], ...]
    actual: tuple[tuple[str, bytes], ...]

    @property
    def ok(self) -> bool:
        """The same writes in the same order."""
        return self.expected == self.actual

    def __bool__(self) -> bool:
        return self.ok

    def lines(self) -> list[str]:
        """A unified diff, ``-`` the oracle's writes and ``+`` the tool's."""
        fmt = [f"{k} <- {d!r}" for k, d in self.expected]
        got = [f"{k} <- {d!r}" for k, d in self.actual]
        return list(difflib.unified_diff(fmt, got, "oracle", "tool", n=2, lineterm=""))

    def __str__(self) -> str:
        return "writes match" if self.ok else "\n".join(self.lines())


def compare_writes(source: Any, expected: Any, *, comm: str | None = None, failed: bool = False) -> WriteDiff:
    """Compare the writes a tool made with the oracle's.

    Args:
        source: A kernel, a mount handle, or write records (see :func:`applied_writes`).
        expected: An :class:`~fakeproc.sysctlconf.ApplyReport` (its ``written``), planned
            writes (``.key``/``.data``), or ``(key, value)`` pairs (``value + "\\n"`` is
            written; give bytes to say exactly).
        comm: Only the writes of processes with this command name.
        failed: Also count writes the kernel refused (by default only accepted
            writes are compared, as ``ApplyReport.written`` lists them).
    """
    actual = [(w.key, w.data) for w in applied_writes(source, comm=comm) if failed or w.ok]
    return WriteDiff(tuple(_expected(expected)), tuple(actual))


def assert_writes(source: Any, expected: Any, **kwargs: Any) -> None:
    """Assert :func:`compare_writes` finds the same writes.

    Raises:
        AssertionError: with the diff (``-`` oracle, ``+`` tool).
    """
    diff = compare_writes(source, expected, **kwargs)
    if not diff.ok:
        raise AssertionError("the tool's writes differ from the oracle's:\n" + str(diff))


def read_or_errno(kernel: Any, key: str, ns: NamespaceSet | None = None, **kwargs: Any) -> str | Errno:
    """What a read of ``key`` shows, or the :class:`Errno` it fails with (``Errno(EIO)``
    for ``stable_secret`` never set, ``Errno(ENOENT)`` for a missing key).

    ``kernel`` is a :class:`~fakeproc.Kernel` or a mount handle (its ``.kernel``);
    ``kwargs`` go to :meth:`Kernel.read` (``caller``).
    """
    k = kernel if isinstance(kernel, Kernel) else kernel.kernel
    try:
        return k.read(key, ns=ns, **kwargs)
    except OSError as e:
        return Errno(e.errno or errno_mod.EIO)


def read_state(kernel: Any, keys: Iterable[str], ns: NamespaceSet | None = None) -> dict[str, str | Errno]:
    """``{key: read_or_errno(kernel, key)}`` for ``keys``, sorted by key."""
    return {key: read_or_errno(kernel, key, ns) for key in sorted(set(keys))}


def assert_same_state(kernel: Any, expected: Any, keys: Iterable[str], ns: NamespaceSet | None = None) -> None:
    """Assert ``kernel`` reads the same as ``expected`` (a kernel, or ``{key: value}``) for
    ``keys``, a refused read counting as its errno.

    Raises:
        AssertionError: listing each key that differs, ``expected != got``.
    """
    keys = sorted(set(keys))
    got = read_state(kernel, keys, ns)
    want = dict(expected) if isinstance(expected, Mapping) else read_state(expected, keys, ns)
    bad = [f"  {k}: expected {want.get(k)!r}, got {got[k]!r}" for k in keys if want.get(k) != got[k]]
    if bad:
        raise AssertionError(f"{len(bad)} of {len(keys)} keys differ:\n" + "\n".join(bad))

