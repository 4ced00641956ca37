"""``proc_do_large_bitmap``: a bit set written and read as ``1,3-5,8080``.

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), log=print)
>>> spec = SysctlSpec(key="net.ipv4.ip_local_reserved_ports", mode=0o644,
...                   handler="proc_do_large_bitmap", maxlen=65536)
>>> r = proc_do_large_bitmap(Request(spec, 0, 0, b"1,3-5,0x10\\n", 11, env))
>>> proc_do_large_bitmap(Request(spec, r.value, 0, None, 100, env)).output
b'1,3-5,16\\n'
"""

from __future__ import annotations

import errno
import re

from fakeproc.handlers._text import get_long, skip_char
from fakeproc.handlers.base import PAGE_SIZE, HandlerEnv, Request, Result, Value
from fakeproc.handlers.domain import BITMAP
from fakeproc.handlers.legacy import BITMAP_TRUNCATE_4095
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import SysctlSpec

__all__ = ["bitmap_value", "format_bitmap", "parse_bitmap", "proc_do_large_bitmap"]

#: Trailers after the first number of an item, and after the second of a range.
_TR_A = b"-,\n"
_TR_B = b",\n\x00"
_RUNS = re.compile(r"1+")


def bitmap_value(value: Value) -> int:
    """The stored bit set of a bitmap entry."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"bitmap handler given a non-bitmap value {value!r}")
    return value


def format_bitmap(bits: int, nbits: int) -> bytes:
    """The full read-back text of a bit set, newline included."""
    bits &= (1 << nbits) - 1
    items = []
    for run in _RUNS.finditer(bin(bits)[2:][::-1]):
        a, b = run.start(), run.end() - 1
        items.append(f"{a}" if a == b else f"{a}-{b}")
    return (",".join(items) + "\n").encode()


def _bits_from_ranges(ranges: list[tuple[int, int]], nbits: int) -> int:
    """The bit set with every inclusive range set (built as text: one pass, not one int per range)."""
    if not ranges:
        return 0
    top = max(b for _, b in ranges) + 1
    text = bytearray(b"0") * top
    for a, b in ranges:
        text[a : b + 1] = b"1" * (b - a + 1)
    text.reverse()
    return int(text, 2)


def parse_bitmap(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    """A bitmap default (``"1,2-4"``, or empty) as a bit set."""
    bits = 0
    for item in text.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        a_text, _, b_text = item.partition("-")
        a = int(a_text, 0)
        b = int(b_text, 0) if b_text else a
        bits |= ((1 << (b - a + 1)) - 1) << a
    return bits


@proc_handler(parse=parse_bitmap, kind="bitmap", domain=BITMAP)
def proc_do_large_bitmap(req: Request) -> Result:
    """``proc_do_large_bitmap``: a bit set of ``spec.maxlen`` bits.

    A write at offset 0 replaces the set, a continuation at ``pos > 0`` ORs into
    it. Input above 4095 bytes is consumed in chunks: a short count that stops
    before the last, possibly cut, token. On error nothing changes.

    Returns:
        Result with errno EINVAL for a syntax error (spaces included), a bit
        >= maxlen, a negative number or a range ``a-b`` with ``b < a``.
    """
    nbits = req.spec.maxlen
    current = bitmap_value(req.value)
    if nbits <= 0 or req.size == 0 or (req.pos and req.data is None):
        return Result(value=req.value, pos=req.pos)
    if req.data is None:
        out = format_bitmap(current, nbits)[: req.size]
        return Result(value=req.value, output=out, count=len(out), pos=req.pos + len(out))
    data = req.data
    legacy = req.env.legacy
    end = len(data)
    skipped = 0
    if end > PAGE_SIZE - 1:
        end = PAGE_SIZE - 1
        if BITMAP_TRUNCATE_4095 not in legacy:
            skipped = len(data) - end
    ranges: list[tuple[int, int]] = []
    err = 0
    p = skip_char(data, 0, end, 0x0A)
    trailer = -1  # the kernel's `c` keeps its last value when no trailer follows
    while not err and p < end:
        saved = p
        err, a, neg, q = get_long(data, p, end, _TR_A, legacy)
        if not err:
            p = q
            if p < end:
                trailer = data[p]
        # A token reaching the end of a cut buffer (or a lone "-" after it) may
        # be incomplete: give it back so the writer sends it again.
        if end - p <= 1 and skipped:
            p = saved
            break
        if err:
            break
        if a >= nbits or neg:
            err = errno.EINVAL
            break
        b = a
        if p < end:
            p += 1
        if trailer == 0x2D:
            err, b, neg, q = get_long(data, p, end, _TR_B, legacy)
            if not err:
                p = q
                if p < end:
                    trailer = data[p]
            if p >= end and skipped:
                p = saved
                break
            if err:
                break
            if b >= nbits or neg or a > b:
                err = errno.EINVAL
                break
            if p < end:
                p += 1
        ranges.append((a, b))
        p = skip_char(data, p, end, 0x0A)
    if err:
        return Result(value=req.value, pos=req.pos, errno=err)
    tmp = _bits_from_ranges(ranges, nbits)
    new = current | tmp if req.pos else tmp
    count = len(data) - (end - p) - skipped
    return Result(value=new, count=count, pos=req.pos + count)


