"""lib/bitmap-str.c: parsing and printing CPU masks as hex words (``bitmap_parse``, ``%*pb``)."""

from __future__ import annotations

import errno

from fakeproc.handlers.net._common import (
    HEXDIGITS,
    KSPACE,
)

__all__ = [
    "bitmap_parse",
    "format_cpumask",
]


def _hex_to_bin(c: int) -> int:
    """``hex_to_bin``: the digit's value, or -1."""
    return int(chr(c), 16) if c in HEXDIGITS else -1


def bitmap_parse(text: bytes, nbits: int, bits: int) -> tuple[int, int]:
    """``bitmap_parse(buf, UINT_MAX, maskp, nbits)`` (lib/bitmap-str.c) on the bit set ``bits``.

    The text (up to the first newline or NUL) is read backwards in comma- or
    blank-separated chunks of at most 8 hex digits; chunk k replaces bits 32k..32k+31
    as soon as it is read, so a later failure leaves the earlier chunks written.

    Returns:
        ``(bits, errno)``: errno EINVAL for a non-hex character, EOVERFLOW for a chunk
        of more than 8 digits, more chunks than ``nbits`` needs, or a bit at or above
        ``nbits``; 0 on success (bits from the last chunk up to ``nbits`` cleared).
    """
    for stop in (b"\n", b"\x00"):
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    chunks = (nbits + 31) // 32
    left = chunks
    chunk = 0
    i = len(text) - 1
    while True:
        while i >= 0 and (text[i] in KSPACE or text[i] == 0x2C):
            i -= 1
        if i < 0:
            break
        if left == 0:
            return bits, errno.EOVERFLOW
        left -= 1
        word = 0
        for shift in range(0, 32, 4):
            digit = _hex_to_bin(text[i])
            i -= 1
            if digit < 0:
                return bits, errno.EINVAL
            word |= digit << shift
            if i < 0 or text[i] in KSPACE or text[i] == 0x2C:
                break
        else:
            if _hex_to_bin(text[i]) >= 0:
                return bits, errno.EOVERFLOW
        bits = (bits & ~(0xFFFFFFFF << (32 * chunk))) | (word << (32 * chunk))
        chunk += 1
    unset_bit = (chunks - left) * 32
    if unset_bit < nbits:
        return bits & ~(((1 << (nbits - unset_bit)) - 1) << unset_bit), 0
    if (bits >> nbits) & ((1 << (unset_bit - nbits)) - 1):
        return bits, errno.EOVERFLOW
    return bits, 0


def format_cpumask(bits: int, nbits: int) -> bytes:
    """``"%*pb"`` (``bitmap_string``): 32-bit hex chunks, most significant first, comma-separated;
    the first chunk has as many digits as its bits need, the others 8."""
    if nbits <= 0:
        return b""
    first = nbits % 32 or 32
    parts = []
    top = (nbits + 31) // 32 * 32 - 32
    width = first
    for low in range(top, -1, -32):
        word = (bits >> low) & ((1 << width) - 1)
        parts.append(f"{word:0{(width + 3) // 4}x}")
        width = 32
    return ",".join(parts).encode()
