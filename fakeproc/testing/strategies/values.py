"""Strategies for values: what the kernel accepts for an entry, and what it refuses (with the errno)."""

from __future__ import annotations

import errno as errno_mod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from fakeproc.handlers.domain import Unit, ValueDomain, ValueKind
from fakeproc.profiles import Profile
from fakeproc.spec import (
    INT_MAX,
    INT_MIN,
    UINT_MAX,
    ULONG_MAX,
    SysctlSpec,
)
from fakeproc.testing.strategies._common import check_type, defines_strategy, resolve_profile
from fakeproc.testing.strategies._domains import (
    domain_of,
    element_bounds,
    element_ints,
    supported_handlers,
    vector_length,
)

__all__ = [
    "INVALID_CLASSES",
    "InvalidValue",
    "invalid_values",
    "supported_handlers",
    "valid_values",
]

@defines_strategy
def valid_values(spec: SysctlSpec, *, profile: str | Profile | None = None,
                 separators: str = " \t") -> SearchStrategy[str]:
    """Returns a strategy which generates values the kernel accepts for ``spec``.

    Numbers stay within the handler's type and the entry's bounds (``extra1``/
    ``extra2``, per element), a vector gets exactly ``spec.length`` numbers, and
    state-dependent handlers use the profile's boot values (the port range low
    bound stays at or above ``ip_unprivileged_port_start``). Strings have at most
    ``maxlen - 1`` printable ASCII bytes; bitmaps are lists of bits and ranges.
    Values are written without a newline (``Kernel.write``); ``value + "\\n"`` is
    what ``echo`` writes and is accepted too.

    Args:
        spec: The entry (``kernel.spec(key)`` or from :func:`sysctl_entries`).
        profile: The kernel's profile: HZ for ``*_jiffies`` and boot values.
        separators: Characters that may separate vector elements.

    Examples shrink towards the lowest allowed number in each element, the empty
    string, and the empty bitmap.
    """
    prof = resolve_profile(profile)
    d = domain_of(spec, profile=prof)
    check_type(str, separators, "separators")
    if not separators or set(separators) - set(" \t\n"):
        raise InvalidArgument(f"separators={separators!r} must be non-empty and only contain ' ', '\\t', '\\n'")
    if d.kind is ValueKind.STRING:
        limit = max(0, spec.maxlen - 1)
        return st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=limit)
    if d.kind is ValueKind.BITMAP:
        return _bitmaps(spec.maxlen)
    n = vector_length(spec, d)
    sep = st.sampled_from(list(separators))

    @st.composite
    def vectors(draw: Any) -> str:
        nums: list[int] = []
        for i in range(n):
            lo, hi = element_bounds(spec, prof, d, i)
            if d.ascending and i > 0:
                lo = max(lo, nums[-1])
            nums.append(draw(st.integers(lo, hi)))
        out = str(nums[0])
        for x in nums[1:]:
            out += draw(sep) + str(x)
        return out

    return vectors()


def _bitmaps(nbits: int) -> SearchStrategy[str]:
    if nbits <= 0:
        return st.just("")
    bits = st.integers(0, nbits - 1)
    item = st.one_of(bits.map(str), st.tuples(bits, bits).map(lambda t: f"{min(t)}-{max(t)}"))
    return st.lists(item, max_size=8).map(",".join)


# ----------------------------------------------------------------------------- invalid values

#: The classes of bad input :func:`invalid_values` knows (``kernel-sysctl.md`` 1.1, 1.9).
INVALID_CLASSES = ("garbage_trailer", "crlf", "bad_sign", "overflow", "out_of_range", "empty", "too_long")


@dataclass(frozen=True)
class InvalidValue:
    """A write the kernel refuses, and how.

    Attributes:
        data: The exact bytes of one ``write(2)`` at offset 0.
        kind: One of :data:`INVALID_CLASSES`.
        errno: The errno the write fails with.
        note: What makes it invalid, for failure messages.
    """

    data: bytes
    kind: str
    errno: int
    note: str = field(default="", compare=False)


_GARBAGE = "abcz.,;:!#/_=%"


def _invalid_classes(spec: SysctlSpec, prof: Profile, d: ValueDomain) -> dict[str, Callable[[], SearchStrategy[InvalidValue]]]:
    legacy = prof.legacy
    einval = errno_mod.EINVAL
    out: dict[str, Callable[[], SearchStrategy[InvalidValue]]] = {}
    if d.kind is ValueKind.STRING:
        return out
    if d.kind is ValueKind.BITMAP:
        nbits = spec.maxlen
        if nbits <= 0:
            return out
        bit = st.integers(0, nbits - 1)
        out["garbage_trailer"] = lambda: st.tuples(bit, st.sampled_from(_GARBAGE.replace(",", ""))).map(
            lambda t: InvalidValue(f"{t[0]}{t[1]}".encode(), "garbage_trailer", einval, "bad character after a bit"))
        out["crlf"] = lambda: bit.map(lambda b: InvalidValue(f"{b}\r\n".encode(), "crlf", einval, "CR after a bit"))
        out["bad_sign"] = lambda: st.one_of(
            bit.map(lambda b: f"-{b + 1}"), bit.map(lambda b: f"+{b}")).map(
            lambda s: InvalidValue(s.encode(), "bad_sign", einval, "bits cannot be signed"))
        out["out_of_range"] = lambda: st.one_of(
            st.integers(nbits, nbits + 10**6).map(str),
            st.tuples(bit, bit).filter(lambda t: t[0] != t[1]).map(lambda t: f"{max(t)}-{min(t)}")).map(
            lambda s: InvalidValue(s.encode(), "out_of_range", einval, f"bit >= {nbits} or a reversed range"))
        out["too_long"] = lambda: st.integers(21, 30).map(
            lambda n: InvalidValue(("0" * (n - 1) + "1").encode(), "too_long", einval, "a 21+ character number"))
        return out
    n = vector_length(spec, d)

    def first_valid() -> SearchStrategy[int]:
        return element_ints(spec, prof, d, 0)

    def rest_valid(prefix: str) -> SearchStrategy[str]:
        return st.just(prefix)

    out["garbage_trailer"] = lambda: st.tuples(first_valid(), st.sampled_from(_GARBAGE)).map(
        lambda t: InvalidValue(f"{t[0]}{t[1]}".encode(), "garbage_trailer", einval,
                               "a byte other than space, TAB or newline right after the number"))
    out["crlf"] = lambda: first_valid().map(
        lambda v: InvalidValue(f"{v}\r\n".encode(), "crlf", einval, "CR is not an allowed trailer"))
    signs = [st.integers(0, 10**6).map(lambda v: f"+{v}"), st.integers(0, 10**6).map(lambda v: f"- {v}"),
             st.integers(0, 10**6).map(lambda v: f"--{v}"), st.just("-")]
    skip_negative = d.ulong and "doulongvec_skip_negative" in legacy
    if d.unsigned and not skip_negative:
        signs.append(st.integers(1, 10**6).map(lambda v: f"-{v}"))
    out["bad_sign"] = lambda: st.one_of(signs).map(
        lambda s: InvalidValue(s.encode(), "bad_sign", einval, "only a '-' directly before a digit is a sign"))
    overflow: list[SearchStrategy[int]] = []
    if "simple_strtoul" not in legacy:
        overflow.append(st.integers(ULONG_MAX + 1, 10**20 - 1))
    type_hi = UINT_MAX if d.unsigned and not d.ulong else (None if d.ulong else INT_MAX)
    if (type_hi is not None and d.overflow_hi is not None
            and not (d.minmax and "minmax_no_int_check" in legacy and not d.unsigned)
            and not (d.unit is Unit.JIFFIES and "jiffies_long_max_bound" in legacy)):
        overflow.append(st.integers(d.unit.shown(type_hi, prof.hz, prof.user_hz) + 1, d.overflow_hi))
    if overflow:
        out["overflow"] = lambda: st.one_of(overflow).map(
            lambda v: InvalidValue(str(v).encode(), "overflow", einval, "beyond the element type"))
    ranges: list[tuple[int, int, int]] = []  # (index, lo, hi) of out-of-range values
    skip_range = d.ulong and "doulongvec_skip_out_of_range" in legacy
    if d.bounded and not skip_range:
        for i in range(n):
            if not d.checked(i):
                continue
            lo, hi = element_bounds(spec, prof, d, i)
            if lo > d.type_lo:
                ranges.append((i, max(d.type_lo, 0 if d.unsigned else INT_MIN), lo - 1))
            if hi < d.type_hi:
                ranges.append((i, hi + 1, d.type_hi if not d.ulong else ULONG_MAX))
    if ranges:
        @st.composite
        def out_of_range(draw: Any) -> InvalidValue:
            i, lo, hi = draw(st.sampled_from(ranges))
            nums = [draw(element_ints(spec, prof, d, j)) if j != i else draw(st.integers(lo, hi)) for j in range(i + 1)]
            return InvalidValue(" ".join(map(str, nums)).encode(), "out_of_range", d.range_errno,
                                f"element {i} outside [{element_bounds(spec, prof, d, i)[0]}, {element_bounds(spec, prof, d, i)[1]}]")
        out["out_of_range"] = out_of_range
    out["empty"] = lambda: st.sampled_from([b"\n", b" ", b"\t", b"  \n", b"\n\n"]).map(
        lambda b: InvalidValue(b, "empty", einval, "only whitespace: no number"))
    out["too_long"] = lambda: st.integers(21, 40).map(
        lambda k: InvalidValue(("0" * (k - 1) + "1").encode(), "too_long", einval,
                               "a number token of 21 or more characters"))
    return out


@defines_strategy
def invalid_values(spec: SysctlSpec, *, profile: str | Profile | None = None,
                   classes: Sequence[str] | None = None) -> SearchStrategy[InvalidValue]:
    """Returns a strategy which generates writes the kernel refuses for ``spec``, each
    labelled with its class and the errno the kernel gives.

    Classes (see :data:`INVALID_CLASSES`): ``garbage_trailer`` (``12abc``),
    ``crlf`` (``12\\r\\n``: a DOS line ending), ``bad_sign`` (``+5``, ``- 5``,
    ``--5``, a lone ``-``, and ``-5`` for unsigned handlers), ``overflow`` (beyond
    the element type or ``unsigned long``), ``out_of_range`` (outside the entry's
    bounds; ``kernel.sem``'s SEMMNI gives ERANGE), ``empty`` (only whitespace) and
    ``too_long`` (a 21-character number token). Classes the profile's kernel
    does not refuse (its ``legacy`` behaviours) are left out. Strings have no
    invalid values: the kernel stores or truncates whatever it gets.

    Args:
        spec: The entry.
        profile: The kernel's profile (HZ, legacy behaviours, boot values).
        classes: Only these classes (default: every class that applies).

    Examples shrink towards the first class given and small numbers.
    """
    prof = resolve_profile(profile)
    d = domain_of(spec, profile=prof)
    available = _invalid_classes(spec, prof, d)
    if classes is not None:
        if isinstance(classes, str):
            raise InvalidArgument(f"classes={classes!r} must be a sequence of class names, not one string")
        unknown = [c for c in classes if c not in INVALID_CLASSES]
        if unknown:
            raise InvalidArgument(f"classes={list(classes)!r}: unknown {unknown} (known: {', '.join(INVALID_CLASSES)})")
        chosen = [c for c in classes if c in available]
    else:
        chosen = [c for c in INVALID_CLASSES if c in available]
    if not chosen:
        raise InvalidArgument(f"No invalid-value class applies to {spec.key!r} (handler {spec.handler}) with "
                              f"classes={classes!r} on profile {prof.name}; applicable: {sorted(available)}")
    return st.one_of([available[c]() for c in chosen])


