"""The generic numeric handlers of kernel/sysctl.c: int, uint, u8, bool and ulong vectors.

Two shared loops do all the work, like the kernel's ``__do_proc_dointvec`` and
``__do_proc_douintvec``; each handler only chooses a converter (a small
function from the parsed ``(negative, magnitude)`` pair to the stored value,
and back for reads). Values are stored in kernel units (jiffies).

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(hz=250, user_hz=100, writes_strict=1, legacy=frozenset(), log=print)
>>> spec = SysctlSpec(key="debug.int_0003", mode=0o644, handler="proc_dointvec", length=4)
>>> r = proc_dointvec(Request(spec, (4, 3, 2, 1), 0, b"100 101", 7, env))
>>> r.value, r.count
((100, 101, 2, 1), 7)
>>> proc_dointvec(Request(spec, r.value, 0, None, 100, env)).output
b'100\\t101\\t2\\t1\\n'
"""

from __future__ import annotations

import enum
import errno
import re
from collections.abc import Callable

from fakeproc.handlers._text import (
    WSPACE_SEP,
    first_pos_non_zero_ignore,
    get_long,
    put_signed,
    skip_spaces,
    to_int,
    to_uint,
    to_ulong,
)
from fakeproc.handlers.base import PAGE_SIZE, HandlerEnv, Request, Result, TmpTable, Value
from fakeproc.handlers.domain import Unit, ints, unmodelled
from fakeproc.handlers.legacy import (
    DOULONGVEC_SKIP_NEGATIVE,
    DOULONGVEC_SKIP_OUT_OF_RANGE,
    JIFFIES_LONG_MAX_BOUND,
    MINMAX_NO_INT_CHECK,
)
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import INT_MAX, INT_MIN, LONG_MAX, U8_MAX, UINT_MAX, ULONG_MAX, Bound, SysctlSpec

__all__ = [
    "SKIP",
    "ReadConv",
    "WriteConv",
    "bounds",
    "clock_t_to_jiffies",
    "do_uint_vector",
    "do_vector",
    "jiffies_to_clock_t",
    "jiffies_to_msecs",
    "msecs_to_jiffies",
    "parse_plain",
    "parse_vector",
    "proc_dobool",
    "proc_dointvec",
    "proc_dointvec_jiffies",
    "proc_dointvec_minmax",
    "proc_dointvec_ms_jiffies",
    "proc_dointvec_ms_jiffies_minmax",
    "proc_dointvec_userhz_jiffies",
    "proc_dou8vec_minmax",
    "proc_douintvec",
    "proc_douintvec_minmax",
    "proc_doulongvec_minmax",
    "proc_doulongvec_ms_jiffies_minmax",
    "vector_value",
]


#: ``proc_skip_spaces`` as one regex (the kernel's ``isspace`` set, 0xA0 included).
_SPACES = re.compile(rb"[ \t\n\v\f\r\xa0]*")
#: The common token: a plain decimal of at most 18 digits followed by an allowed trailer
#: or the end of the window. It can neither overflow nor reach the 21-byte limit, so
#: ``get_long`` would accept it with the same value; anything else goes to ``get_long``.
_SIMPLE_DECIMAL = re.compile(rb"(-?)([1-9][0-9]{0,17}|0)(?=[ \t\n]|$)")


_MINUS = ord("-")

#: A whole write made only of such tokens separated by blanks: the common case, parsed in one go.
_ALL_SIMPLE = re.compile(rb"[ \t\n]*-?(?:[1-9][0-9]{0,17}|0)(?:[ \t\n]+-?(?:[1-9][0-9]{0,17}|0))*[ \t\n]*")


class _Skip(enum.Enum):
    SKIP = "skip"


#: A converter result meaning "leave this element as it is and go on" (old doulongvec).
SKIP = _Skip.SKIP

#: Write converter: (negative, magnitude) -> stored value, None for EINVAL, or SKIP.
WriteConv = Callable[[bool, int], "int | None | _Skip"]
#: Read converter: stored value -> (negative, magnitude) as printed.
ReadConv = Callable[[int], "tuple[bool, int]"]

#: ``MAX_JIFFY_OFFSET`` (include/linux/jiffies.h) on 64-bit.
MAX_JIFFY_OFFSET = (LONG_MAX >> 1) - 1


def vector_value(value: Value, length: int) -> tuple[int, ...]:
    """The stored vector, padded with zeros to ``length`` if a profile gave fewer elements."""
    if not isinstance(value, tuple):
        raise TypeError(f"numeric handler given a non-vector value {value!r}")
    if len(value) < length:
        return value + (0,) * (length - len(value))
    return value


def _first_bound(bound: Bound) -> int | None:
    # kernel/sysctl.c dereferences extra1/extra2 without advancing them: every
    # element of a vector is checked against the first bound (the same in v4.15).
    if isinstance(bound, tuple):
        return bound[0] if bound else None
    return bound


# --------------------------------------------------------------------------- loops


def do_vector(req: Request, write_conv: WriteConv, read_conv: ReadConv) -> Result:
    """``__do_proc_dointvec`` / ``__do_proc_doulongvec_minmax``: the shared vector loop.

    Writes are parsed element by element and stored as they go: a bad element k
    fails with EINVAL and leaves elements 0..k-1 written. Surplus input makes a
    short write; nothing parsed at all is EINVAL. Reads print TAB-separated
    numbers and a final newline when it fits, and return EOF at ``pos != 0``.

    Returns:
        The handler result; ``errno`` is EINVAL for any parse or conversion failure.
    """
    spec = req.spec
    length = spec.length
    data = req.data
    if data is not None and not req.pos and 0 < length and len(data) < PAGE_SIZE and _ALL_SIMPLE.fullmatch(data):
        tokens = data.split()
        # The common write: the loop below would parse exactly these tokens and consume
        # every byte. One number into a one-element entry is the commonest of all.
        if length == 1 and len(tokens) == 1:
            token = tokens[0]
            neg = token[0] == _MINUS
            stored = write_conv(neg, -int(token) if neg else int(token))
            if stored is None:
                return Result(req.value, b"", 0, 0, errno.EINVAL)
            return Result(vector_value(req.value, 1) if stored is SKIP else (stored,), b"", len(data), len(data))
        if len(tokens) <= length:
            current = req.value
            if not isinstance(current, tuple) or len(current) < length:  # vector_value, inline
                current = vector_value(current, length)
            values: list[int] = []
            if write_conv is _int_conv:
                # proc_dointvec's conversion inline: a call per element would cost more than
                # the range check (the tokens are plain decimals, "-0" included, so int() is exact).
                for token in tokens:
                    number = int(token)
                    if number > INT_MAX or number < INT_MIN:
                        return Result((*values, *current[len(values):]), b"", 0, 0, errno.EINVAL)
                    values.append(number)
                return Result((*values, *current[len(values):]), b"", len(data), len(data))
            for token in tokens:
                neg = token[0] == _MINUS
                stored = write_conv(neg, -int(token) if neg else int(token))
                if stored is None:
                    return Result((*values, *current[len(values):]), b"", 0, 0, errno.EINVAL)
                values.append(current[len(values)] if stored is SKIP else stored)
            return Result((*values, *current[len(values):]), b"", len(data), len(data))
    current = vector_value(req.value, length)
    if length <= 0 or req.size == 0 or (req.pos and data is None):
        return Result(value=req.value, pos=req.pos)
    if data is None:
        return _vector_read(req, current, read_conv)
    if req.pos and first_pos_non_zero_ignore(req):
        return Result(value=req.value, count=len(data), pos=req.pos + len(data))
    end = min(len(data), PAGE_SIZE - 1)
    values = list(current)
    legacy = req.env.legacy
    p = 0
    i = 0
    first = True
    err = 0
    while p < end and i < length:
        p = _SPACES.match(data, p, end).end()  # type: ignore[union-attr]
        if p >= end:
            break
        simple = _SIMPLE_DECIMAL.match(data, p, end)
        if simple is not None:
            neg, magnitude, p = simple.group(1) == b"-", int(simple.group(2)), simple.end()
        else:
            err, magnitude, neg, p = get_long(data, p, end, WSPACE_SEP, legacy)
            if err:
                break
        stored = write_conv(neg, magnitude)
        if stored is None:
            err = errno.EINVAL
            break
        if stored is not SKIP:
            values[i] = stored
        i += 1
        first = False
    new_value = tuple(values)
    if err:
        return Result(value=new_value, pos=req.pos, errno=err)
    p = skip_spaces(data, p, end)
    if first:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    # *lenp -= left: only the unparsed bytes of the (at most 4095-byte) window
    # are given back, so bytes beyond the window count as consumed.
    count = len(data) - (end - p)
    return Result(value=new_value, count=count, pos=req.pos + count)


def _vector_read(req: Request, current: tuple[int, ...], read_conv: ReadConv) -> Result:
    left = req.size
    out = bytearray()
    first = True
    for stored in current[: req.spec.length]:
        if not left:
            break
        neg, magnitude = read_conv(stored)
        if not first:
            out += b"\t"
            left -= 1
        piece = put_signed(neg, magnitude, left)
        out += piece
        left -= len(piece)
        first = False
    if not first and left:
        out += b"\n"
    return Result(value=req.value, output=bytes(out), count=len(out), pos=req.pos + len(out))


def do_uint_vector(req: Request, write_conv: Callable[[int], int | None]) -> Result:
    """``__do_proc_douintvec``: one unsigned value (arrays are refused with EINVAL).

    A write parses one number (no sign, not even ``-0``), ignores anything after
    it, reports the full count and leaves the file position where it was. Every
    failure, range failures included, is EINVAL.
    """
    if req.size == 0 or (req.pos and req.data is None):
        return Result(value=req.value, pos=req.pos)
    if req.spec.length != 1:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    current = vector_value(req.value, 1)
    if req.data is None:
        text = put_signed(False, current[0], req.size)
        out = text + b"\n" if len(text) < req.size else text
        return Result(value=req.value, output=out, count=len(out), pos=req.pos + len(out))
    data = req.data
    if first_pos_non_zero_ignore(req):
        return Result(value=req.value, count=len(data), pos=req.pos + len(data))
    end = min(len(data), PAGE_SIZE - 1)
    p = skip_spaces(data, 0, end)
    if p >= end:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    err, magnitude, neg, p = get_long(data, p, end, WSPACE_SEP, req.env.legacy)
    if err or neg:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    stored = write_conv(magnitude)
    if stored is None:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    # do_proc_douintvec_w returns without touching *ppos or *lenp.
    return Result(value=(stored,), count=len(data), pos=req.pos)


# ----------------------------------------------------------------- time units


def clock_t_to_jiffies(x: int, hz: int, user_hz: int) -> int:
    """``clock_t_to_jiffies`` (kernel/time/time.c) on an ``unsigned long``."""
    x = to_ulong(x)
    if hz % user_hz == 0:
        if x >= ULONG_MAX // (hz // user_hz):
            return ULONG_MAX
        return x * (hz // user_hz)
    if x >= ULONG_MAX // hz * user_hz:
        return ULONG_MAX
    return to_ulong(x * hz) // user_hz


def jiffies_to_clock_t(x: int, hz: int, user_hz: int) -> int:
    """``jiffies_to_clock_t`` (kernel/time/time.c)."""
    tick_nsec = (10**9 + hz // 2) // hz
    per_tick = 10**9 // user_hz
    if tick_nsec % per_tick == 0:
        return x * (user_hz // hz) if hz < user_hz else x // (hz // user_hz)
    return to_ulong(x * tick_nsec) // per_tick


def msecs_to_jiffies(m: int, hz: int) -> int:
    """``msecs_to_jiffies`` (include/linux/jiffies.h) on an ``unsigned int``: rounds up."""
    m = to_uint(m)
    if m & 0x80000000:
        return MAX_JIFFY_OFFSET
    if 1000 % hz == 0:
        step = 1000 // hz
        return (m + step - 1) // step
    if hz % 1000 == 0:
        return m * (hz // 1000)
    # Divergence (checked against 6.18): the kernel uses a 32-bit multiply/shift
    # approximation for HZ values that do not divide 1000 (e.g. 300); exact ceil here.
    return -(-m * hz // 1000)


def jiffies_to_msecs(j: int, hz: int) -> int:
    """``jiffies_to_msecs`` (kernel/time/time.c), an ``unsigned int``."""
    if 1000 % hz == 0:
        return to_uint((1000 // hz) * j)
    if hz % 1000 == 0:
        step = hz // 1000
        return to_uint((j + step - 1) // step)
    return to_uint(j * 1000 // hz)


# ----------------------------------------------------------------- converters


def _read_signed(stored: int) -> tuple[bool, int]:
    return stored < 0, abs(stored)


def _read_unsigned(stored: int) -> tuple[bool, int]:
    return False, stored


def _int_conv(neg: bool, magnitude: int) -> int | None:
    """``do_proc_dointvec_conv``: the INT range, nothing else."""
    if neg:
        return None if magnitude > INT_MAX + 1 else -magnitude
    return None if magnitude > INT_MAX else magnitude


def bounds(spec: SysctlSpec, env: HandlerEnv) -> tuple[int | None, int | None]:
    """``extra1``/``extra2`` as the handler sees them now: the static bounds, or the current
    value of the entry ``min_key``/``max_key`` names (a bound that points at another sysctl's data)."""
    lo, hi = _first_bound(spec.min), _first_bound(spec.max)
    if spec.min_key is not None:
        lo = _first_bound(_as_bound(env.lookup(spec.min_key)))
    if spec.max_key is not None:
        hi = _first_bound(_as_bound(env.lookup(spec.max_key)))
    return lo, hi


def _as_bound(value: Value) -> Bound:
    return value if isinstance(value, tuple) else None


#: Memo of :func:`_minmax_conv` for entries with static bounds: id(spec) -> (spec, the legacy
#: set it was made under, converter). A cache, not state: the converter depends only on the
#: spec and the legacy set (a profile's, the same object for every call).
_MINMAX_CONVS: dict[int, tuple[SysctlSpec, frozenset[str], WriteConv]] = {}


def _minmax_conv(spec: SysctlSpec, env: HandlerEnv) -> WriteConv:
    """``do_proc_dointvec_minmax_conv``: the INT range, then ``[extra1, extra2]``."""
    legacy = env.legacy
    hit = _MINMAX_CONVS.get(id(spec))
    if hit is not None and hit[0] is spec and hit[1] is legacy:
        return hit[2]
    no_int_check = MINMAX_NO_INT_CHECK in legacy
    static = spec.min_key is None and spec.max_key is None
    lo, hi = bounds(spec, env)

    def conv(neg: bool, magnitude: int) -> int | None:
        if no_int_check:
            tmp: int | None = to_int(-magnitude if neg else magnitude)
            if tmp is None:
                return None
        elif magnitude > INT_MAX + neg:  # _int_conv, inline: this runs for every element
            return None
        else:
            tmp = -magnitude if neg else magnitude
        if (lo is not None and lo > tmp) or (hi is not None and hi < tmp):
            return None
        return tmp

    if static:
        _MINMAX_CONVS[id(spec)] = (spec, legacy, conv)
    return conv


def _jiffies_conv(env: HandlerEnv) -> WriteConv:
    """``do_proc_dointvec_jiffies_conv``: seconds, at most INT_MAX/HZ."""
    hz = env.hz
    bound = (LONG_MAX if JIFFIES_LONG_MAX_BOUND in env.legacy else INT_MAX) // hz

    def conv(neg: bool, magnitude: int) -> int | None:
        if magnitude > bound:
            return None
        return to_int(-magnitude * hz if neg else magnitude * hz)

    return conv


def _userhz_conv(env: HandlerEnv) -> WriteConv:
    """``do_proc_dointvec_userhz_jiffies_conv``: 1/USER_HZ seconds."""
    hz, user_hz = env.hz, env.user_hz

    def conv(neg: bool, magnitude: int) -> int | None:
        if user_hz < hz and magnitude > (LONG_MAX // hz) * user_hz:
            return None
        return to_int(clock_t_to_jiffies(-magnitude if neg else magnitude, hz, user_hz))

    return conv


def _ms_conv(env: HandlerEnv, lo: int | None = None, hi: int | None = None) -> WriteConv:
    """``do_proc_dointvec_ms_jiffies_conv`` (and ``_minmax_conv`` on the jiffies value)."""
    hz = env.hz

    def conv(neg: bool, magnitude: int) -> int | None:
        # msecs_to_jiffies takes an unsigned int: -1 becomes 0xffffffff and
        # maps to MAX_JIFFY_OFFSET, which fails the INT_MAX test.
        jif = msecs_to_jiffies(-magnitude if neg else magnitude, hz)
        if jif > INT_MAX or (lo is not None and lo > jif) or (hi is not None and hi < jif):
            return None
        return jif

    return conv


def _ulong_conv(spec: SysctlSpec, env: HandlerEnv, mul: int, div: int) -> WriteConv:
    """The per-element step of ``__do_proc_doulongvec_minmax``: no sign, scale, range."""
    lo, hi = bounds(spec, env)
    skip_neg = DOULONGVEC_SKIP_NEGATIVE in env.legacy
    skip_range = DOULONGVEC_SKIP_OUT_OF_RANGE in env.legacy

    def conv(neg: bool, magnitude: int) -> int | None | _Skip:
        if neg:
            return SKIP if skip_neg else None
        value = to_ulong(mul * magnitude) // div
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            return SKIP if skip_range else None
        return value

    return conv


def _uint_minmax_conv(lo: int | None, hi: int | None) -> Callable[[int], int | None]:
    """``do_proc_douintvec_minmax_conv``; its -ERANGE reaches userspace as EINVAL."""

    def conv(magnitude: int) -> int | None:
        if magnitude > UINT_MAX or (lo is not None and lo > magnitude) or (hi is not None and hi < magnitude):
            return None
        return magnitude

    return conv


# ------------------------------------------------------------ default loading


def parse_vector(spec: SysctlSpec, text: str, unit: Callable[[int], int]) -> tuple[int, ...]:
    """Turn a read-back text (``"4096\\t16384\\t4194304"``) into a stored vector.

    ``unit`` converts one user-visible number to kernel units; no bounds are
    checked. Missing elements become 0 and extra ones are dropped.
    """
    numbers = [unit(int(token, 0)) for token in text.split()]
    length = max(spec.length, 1)
    numbers = numbers[:length] + [0] * (length - len(numbers))
    return tuple(numbers)


def _signed(fn: Callable[[int], int]) -> Callable[[int], int]:
    return lambda v: -fn(-v) if v < 0 else fn(v)


def parse_plain(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    """A vector default in the stored units themselves (no conversion)."""
    return parse_vector(spec, text, lambda v: v)


def _parse_jiffies(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return parse_vector(spec, text, lambda v: v * env.hz)


def _parse_userhz(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return parse_vector(spec, text, _signed(lambda v: clock_t_to_jiffies(v, env.hz, env.user_hz)))


def _parse_ms(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return parse_vector(spec, text, _signed(lambda v: msecs_to_jiffies(v, env.hz)))


def _parse_ulong_ms(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return parse_vector(spec, text, lambda v: v * env.hz // 1000)


def _parse_bool(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return tuple(1 if v else 0 for v in parse_vector(spec, text, lambda v: v))


# ------------------------------------------------------------------- handlers


@proc_handler(parse=parse_plain, kind="vector", domain=ints())
def proc_dointvec(req: Request) -> Result:
    """``proc_dointvec``: a vector of ints, any value in the INT range.

    Returns:
        Result with errno EINVAL on a parse error, a value outside
        [INT_MIN, INT_MAX] or an empty write.
    """
    return do_vector(req, _int_conv, _read_signed)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True))
def proc_dointvec_minmax(req: Request) -> Result:
    """``proc_dointvec_minmax``: ints within ``[spec.min, spec.max]``.

    Returns:
        Result with errno EINVAL (never ERANGE) for a value outside the bounds
        or the INT range, and for any parse error.
    """
    spec = req.spec
    hit = _MINMAX_CONVS.get(id(spec))  # _minmax_conv's memo, looked up inline
    if hit is not None and hit[0] is spec and hit[1] is req.env.legacy:
        return do_vector(req, hit[2], _read_signed)
    return do_vector(req, _minmax_conv(spec, req.env), _read_signed)


@proc_handler(parse=_parse_jiffies, kind="vector",
              domain=ints(lo=-INT_MAX, hi=INT_MAX, unit=Unit.JIFFIES))
def proc_dointvec_jiffies(req: Request) -> Result:
    """``proc_dointvec_jiffies``: seconds in userspace, jiffies stored.

    Returns:
        Result with errno EINVAL above INT_MAX/HZ seconds or on parse errors.
    """
    hz = req.env.hz
    return do_vector(req, _jiffies_conv(req.env), lambda v: (v < 0, abs(v) // hz))


@proc_handler(parse=_parse_userhz, kind="vector",
              domain=ints(lo=0, hi=INT_MAX, type_lo=0, unit=Unit.USER_HZ, overflow_hi=None))
def proc_dointvec_userhz_jiffies(req: Request) -> Result:
    """``proc_dointvec_userhz_jiffies``: 1/USER_HZ seconds in userspace, jiffies stored.

    Returns:
        Result with errno EINVAL above (LONG_MAX/HZ)*USER_HZ or on parse errors.
    """
    hz, user_hz = req.env.hz, req.env.user_hz
    return do_vector(req, _userhz_conv(req.env), lambda v: (v < 0, jiffies_to_clock_t(abs(v), hz, user_hz)))


def _ms_read(env: HandlerEnv) -> ReadConv:
    hz = env.hz
    return lambda v: (v < 0, jiffies_to_msecs(abs(v), hz))


@proc_handler(parse=_parse_ms, kind="vector", domain=ints(type_lo=0, overflow_hi=UINT_MAX))
def proc_dointvec_ms_jiffies(req: Request) -> Result:
    """``proc_dointvec_ms_jiffies``: milliseconds in userspace (rounded up to jiffies).

    Returns:
        Result with errno EINVAL when the jiffies value exceeds INT_MAX (any
        negative number) or on parse errors.
    """
    return do_vector(req, _ms_conv(req.env), _ms_read(req.env))


@proc_handler(parse=_parse_ms, kind="vector",
              domain=unmodelled("bounds are checked in jiffies after a rounding millisecond conversion"))
def proc_dointvec_ms_jiffies_minmax(req: Request) -> Result:
    """``proc_dointvec_ms_jiffies_minmax``: like ms_jiffies, bounds checked in jiffies.

    Returns:
        Result with errno EINVAL outside ``[spec.min, spec.max]`` (jiffies).
    """
    conv = _ms_conv(req.env, *bounds(req.spec, req.env))
    return do_vector(req, conv, _ms_read(req.env))


@proc_handler(parse=parse_plain, kind="vector",
              domain=ints(minmax=True, type_lo=0, type_hi=ULONG_MAX, unsigned=True, ulong=True))
def proc_doulongvec_minmax(req: Request) -> Result:
    """``proc_doulongvec_minmax``: unsigned longs within ``[spec.min, spec.max]``.

    Returns:
        Result with errno EINVAL for a negative element, a value outside the
        bounds or above ULONG_MAX, and parse errors (see LEGACY_BEHAVIOURS for
        the v4.15 skip rules).
    """
    return do_vector(req, _ulong_conv(req.spec, req.env, 1, 1), _read_unsigned)


@proc_handler(parse=_parse_ulong_ms, kind="vector",
              domain=unmodelled("bounds are checked in jiffies after a HZ/1000 conversion"))
def proc_doulongvec_ms_jiffies_minmax(req: Request) -> Result:
    """``proc_doulongvec_ms_jiffies_minmax``: milliseconds, stored as ``HZ*ms/1000``.

    Returns:
        Result with errno EINVAL as for :func:`proc_doulongvec_minmax`.
    """
    hz = req.env.hz
    return do_vector(
        req, _ulong_conv(req.spec, req.env, hz, 1000), lambda v: (False, to_ulong(1000 * v) // hz)
    )


@proc_handler(parse=parse_plain, kind="vector",
              domain=ints(type_lo=0, type_hi=UINT_MAX, unsigned=True, scalar=True))
def proc_douintvec(req: Request) -> Result:
    """``proc_douintvec``: one unsigned int.

    Returns:
        Result with errno EINVAL for a sign, a value above UINT_MAX, a parse
        error, an empty write, or a vector entry (length != 1).
    """
    return do_uint_vector(req, _uint_minmax_conv(None, None))


@proc_handler(parse=parse_plain, kind="vector",
              domain=ints(minmax=True, type_lo=0, type_hi=UINT_MAX, unsigned=True, scalar=True))
def proc_douintvec_minmax(req: Request) -> Result:
    """``proc_douintvec_minmax``: one unsigned int within ``[spec.min, spec.max]``.

    Returns:
        Result with errno EINVAL for any failure, range failures included
        (the kernel's internal ERANGE is masked by ``do_proc_douintvec_w``).
    """
    lo, hi = bounds(req.spec, req.env)
    return do_uint_vector(req, _uint_minmax_conv(lo, hi))


@proc_handler(parse=parse_plain, kind="vector", since=(5, 13),
              domain=ints(minmax=True, lo=0, hi=U8_MAX, type_lo=0, type_hi=UINT_MAX, unsigned=True, scalar=True))
def proc_dou8vec_minmax(req: Request) -> Result:
    """``proc_dou8vec_minmax`` (5.13+): one u8 within ``[spec.min or 0, spec.max or 255]``.

    Returns:
        Result with errno EINVAL for any failure (256 included).
    """
    lo, hi = bounds(req.spec, req.env)
    conv = _uint_minmax_conv(0 if lo is None else lo, U8_MAX if hi is None else hi)
    return do_uint_vector(req, conv)


_BOOL_AS_INT_TABLE = TmpTable(length=1)


@proc_handler(parse=_parse_bool, kind="vector", since=(5, 17), domain=ints(scalar=True))
def proc_dobool(req: Request) -> Result:
    """``proc_dobool`` (6.3 form): ``proc_dointvec`` on an int copy, stored as a C bool.

    Any int is accepted (``-7`` stores true); reads show 0 or 1.

    Returns:
        Result with errno EINVAL for INT overflow or parse errors.
    """
    # Divergence: 5.17-6.2 ran the loop with maxlen = sizeof(bool), i.e. zero
    # ints (every write EINVAL, reads empty); fakeproc always uses the 6.3 form.
    current = vector_value(req.value, 1)
    tmp = req._replace(spec=_BOOL_AS_INT_TABLE(req.spec), value=(1 if current[0] else 0,))
    res = proc_dointvec(tmp)
    if res.errno:
        return res._replace(value=req.value)
    if req.data is not None:
        stored = res.value[0] if isinstance(res.value, tuple) else 0
        return res._replace(value=(1 if stored else 0,))
    return res._replace(value=req.value)
