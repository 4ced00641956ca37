"""Byte-level parsing and formatting shared by every numeric handler.

These are fakeproc's ``proc_get_long``, ``proc_put_long``, ``proc_skip_spaces``
and ``proc_first_pos_non_zero_ignore`` (kernel/sysctl.c). They work on indexes
into the written bytes, the way the kernel walks ``char *p`` and ``size_t left``.

>>> get_long(b"0x1f 7", 0, 6, WSPACE_SEP)
(0, 31, False, 4)
>>> get_long(b"12\\r", 0, 3, WSPACE_SEP)[0] == errno.EINVAL
True
>>> put_long(-5, 10)
b'-5'
"""

from __future__ import annotations

import errno
import re

from fakeproc.handlers.base import Request
from fakeproc.handlers.legacy import SIMPLE_STRTOUL
from fakeproc.spec import ULONG_MAX

__all__ = [
    "ISSPACE",
    "TMPBUFLEN",
    "WSPACE_SEP",
    "first_pos_non_zero_ignore",
    "get_long",
    "put_long",
    "put_signed",
    "skip_char",
    "skip_spaces",
    "to_int",
    "to_uint",
    "to_ulong",
]

#: The kernel's ``isspace()`` (lib/ctype.c): besides the ASCII blanks, byte 0xA0
#: (Latin-1 no-break space) is classified ``_S|_SP``.
ISSPACE = frozenset(b" \t\n\v\f\r\xa0")

#: ``proc_wspace_sep``: the bytes allowed right after a number in int/uint/ulong vectors.
WSPACE_SEP = b" \t\n"

#: ``TMPBUFLEN`` in kernel/sysctl.c: a token is examined in a 22-byte buffer.
TMPBUFLEN = 22


def to_int(value: int) -> int:
    """C conversion of any integer to a 32-bit ``int`` (two's complement wrap)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def to_uint(value: int) -> int:
    """C conversion to ``unsigned int``."""
    return value & 0xFFFFFFFF


def to_ulong(value: int) -> int:
    """C conversion to a 64-bit ``unsigned long``."""
    return value & ULONG_MAX


def skip_spaces(data: bytes, p: int, end: int) -> int:
    """``proc_skip_spaces``: the index of the first non-``isspace`` byte in ``data[p:end]``."""
    while p < end and data[p] in ISSPACE:
        p += 1
    return p


def skip_char(data: bytes, p: int, end: int, char: int) -> int:
    """``proc_skip_char``: skip a run of one byte value."""
    while p < end and data[p] == char:
        p += 1
    return p


def _strtoul(s: bytes, wrap: bool) -> tuple[int, int] | None:
    """``strtoul_lenient(p, &p, 0, val)`` on a NUL-terminated buffer ``s``.

    Returns:
        (value, bytes consumed), or None on overflow beyond ``unsigned long``
        (``wrap`` instead reduces modulo 2**64, like ``simple_strtoul``).
    """
    # _parse_integer_fixup_radix (lib/kstrtox.c): "0x" needs a hex digit after
    # it to count as a prefix; otherwise a leading 0 means octal.
    match = _HEX.match(s)
    if match is not None:
        value, i = int(match.group(1), 16), match.end()
    else:
        match = (_OCT if s[:1] == b"0" else _DEC).match(s)
        assert match is not None  # callers checked that s starts with a digit
        value, i = int(match.group(), 8 if s[:1] == b"0" else 10), match.end()
    if value > ULONG_MAX:
        if not wrap:
            return None
        value &= ULONG_MAX
    return value, i


_HEX = re.compile(rb"0[xX]([0-9a-fA-F]+)")
_OCT = re.compile(rb"[0-7]+")
_DEC = re.compile(rb"[0-9]+")


def get_long(
    data: bytes, p: int, end: int, trailers: bytes, legacy: frozenset[str] = frozenset()
) -> tuple[int, int, bool, int]:
    """``proc_get_long``: parse one number at ``data[p:end]``.

    Only the first ``TMPBUFLEN - 1`` (21) bytes are examined. A ``-`` directly
    followed by a digit sets the sign (a lone ``-`` does not), the number is
    read in base 0 (hex ``0x``, octal ``0``), a token filling all 21 bytes is
    rejected, and the byte after the number must be in ``trailers`` unless the
    input ends there.

    Args:
        data: The written bytes.
        p: Index of the token.
        end: End of the usable input (``p + left``).
        trailers: The handler's ``perm_tr`` (may contain NUL).
        legacy: ``HandlerEnv.legacy``; ``simple_strtoul`` turns off overflow detection.

    Returns:
        (errno, value, negative, index after the number); errno is 0 or EINVAL.
    """
    size = end - p
    if size <= 0:
        return errno.EINVAL, 0, False, p
    tmp = data[p : p + min(size, TMPBUFLEN - 1)]
    q = 0
    neg = False
    if tmp[0] == 0x2D and size > 1:
        neg = True
        q = 1
    if q >= len(tmp) or not 0x30 <= tmp[q] <= 0x39:
        return errno.EINVAL, 0, False, p
    parsed = _strtoul(tmp[q:], SIMPLE_STRTOUL in legacy)
    if parsed is None:
        return errno.EINVAL, 0, False, p
    value, consumed = parsed
    length = q + consumed
    # kernel/sysctl.c: a token that fills the buffer may continue beyond it.
    if length == TMPBUFLEN - 1:
        return errno.EINVAL, 0, False, p
    if length < size and tmp[length] not in trailers:
        return errno.EINVAL, 0, False, p
    return 0, value, neg, p + length


def put_long(value: int, room: int) -> bytes:
    """``proc_put_long``: ``"%s%lu"`` of a signed magnitude, cut to ``room`` bytes.

    A negative ``value`` prints as ``-`` and its magnitude (``-0`` cannot be
    expressed here; callers needing it pass the text through :func:`put_signed`).
    """
    text = str(value).encode()
    return text[:room]


def put_signed(neg: bool, magnitude: int, room: int) -> bytes:
    """``proc_put_long`` with an explicit sign flag, so ``-0`` can be printed."""
    text = (b"-" if neg else b"") + str(magnitude).encode()
    return text[:room]


def first_pos_non_zero_ignore(req: Request) -> bool:
    """``proc_first_pos_non_zero_ignore``: whether a numeric write at ``pos != 0`` is ignored.

    Strict mode (1) ignores it; warn mode (0) logs the kernel's ``pr_warn_once``
    text and goes on like legacy mode (-1).
    """
    if req.pos == 0:
        return False
    mode = req.env.writes_strict
    if mode == 1:
        return True
    if mode == 0:
        req.env.log(
            f"fakeproc wrote to {req.spec.procname} when file position was not 0!\n"
            "This will not be supported in the future. To silence this\n"
            "warning, set kernel.sysctl_writes_strict = -1\n"
        )
    return False
