"""Value domains: which values a handler accepts, as plain data declared where it registers.

A domain says what the handler's conversion allows before any entry's own bounds
(``extra1``/``extra2``): the element type, whether a sign is refused, whether the
entry's bounds are checked and with which errno, and in which unit the numbers are
shown. It is data about the kernel's handler, like its name and its parse function,
so it lives here beside the handler. Turning it into generated values
(hypothesis strategies) is the testing toolkit's job (:mod:`fakeproc.testing.strategies`),
which reads it from :data:`fakeproc.handlers.HANDLERS`; nothing here knows about testing.

>>> d = ints(minmax=True)
>>> d.element_bounds(min_bound=0, max_bound=100, hz=250, user_hz=100)
(0, 100)
>>> ints(lo=-INT_MAX, hi=INT_MAX, unit=Unit.JIFFIES).element_bounds(None, None, hz=250, user_hz=100)
(-8589934, 8589934)
"""

from __future__ import annotations

import enum
import errno
from dataclasses import dataclass

from fakeproc.spec import INT_MAX, INT_MIN, ULONG_MAX

__all__ = [
    "BITMAP",
    "STRING",
    "Unit",
    "ValueDomain",
    "ValueKind",
    "ints",
    "unmodelled",
]


class ValueKind(str, enum.Enum):
    """What a handler's written text is made of."""

    INT = "int"  #: numbers, one per element of a vector
    STRING = "string"  #: text stored as bytes (truncated, never refused)
    BITMAP = "bitmap"  #: a list of bits and ranges (``proc_do_large_bitmap``)
    UNMODELLED = "unmodelled"  #: valid values depend on more than a type and bounds


class Unit(enum.Enum):
    """How the stored number relates to the one a reader sees; bounds stated in the stored
    unit are shown truncated towards zero in the reader's."""

    PLAIN = "plain"  #: shown as stored
    JIFFIES = "jiffies"  #: stored in jiffies, shown in seconds (``proc_dointvec_jiffies``)
    USER_HZ = "user_hz"  #: stored in jiffies, shown in USER_HZ ticks (``proc_dointvec_userhz_jiffies``)

    def shown(self, stored: int, hz: int, user_hz: int) -> int:
        """``stored`` (a bound in the stored unit) as the reader's number, truncated towards zero."""
        if self is Unit.PLAIN:
            return stored
        magnitude = abs(stored) // hz if self is Unit.JIFFIES else abs(stored) * user_hz // hz
        return -magnitude if stored < 0 else magnitude


@dataclass(frozen=True, slots=True)
class ValueDomain:
    """The values a handler accepts, before and with the entry's own bounds.

    Attributes:
        kind: What the text is made of (:class:`ValueKind`).
        lo: Lowest element the conversion lets through, in the stored unit (``unit``).
        hi: Highest element the conversion lets through, in the stored unit.
        type_lo: Lowest value of the C element type (``INT_MIN``, 0 for unsigned types).
        type_hi: Highest value of the C element type.
        unsigned: Any ``-`` is EINVAL (douintvec, doulongvec, bitmaps).
        scalar: One element whatever the entry's length.
        bounded: The entry's ``min``/``max`` are checked (an element outside is refused).
        ulong: Elements are ``unsigned long`` (``proc_doulongvec_minmax``'s loop).
        minmax: The handler is a ``*_minmax`` one (the 4.15 int truncation applies).
        unit: The stored unit (bounds and the overflow limit are shown in the reader's).
        ascending: Each element is at least the one before (a descending pair is refused or
            reset, so it is not a plain valid value).
        range_errno: The errno of an element outside the entry's bounds.
        checked_element: The only element whose bounds are checked (``kernel.sem``: SEMMNI,
            index 3); None when every element is.
        overflow_hi: Top of the numbers refused as an overflow of the element type (from
            ``type_hi + 1``, shown in the reader's unit); None when the conversion has no
            overflow check of its own.
        note: For :attr:`ValueKind.UNMODELLED`, why (what the valid values depend on).
    """

    kind: ValueKind
    lo: int = INT_MIN
    hi: int = INT_MAX
    type_lo: int = INT_MIN
    type_hi: int = INT_MAX
    unsigned: bool = False
    scalar: bool = False
    bounded: bool = True
    ulong: bool = False
    minmax: bool = False
    unit: Unit = Unit.PLAIN
    ascending: bool = False
    range_errno: int = errno.EINVAL
    checked_element: int | None = None
    overflow_hi: int | None = ULONG_MAX
    note: str = ""

    @property
    def modelled(self) -> bool:
        """Whether the testing toolkit can generate values from this domain."""
        return self.kind is not ValueKind.UNMODELLED

    def checked(self, index: int) -> bool:
        """Whether the handler range-checks element ``index`` against the entry's bounds."""
        return self.checked_element is None or index == self.checked_element

    def element_bounds(self, min_bound: int | None, max_bound: int | None, hz: int,
                       user_hz: int, index: int = 0) -> tuple[int, int]:
        """The reader's lowest and highest accepted number for element ``index``, given the
        entry's own bounds of that element (``spec.bound_at``; None: no bound)."""
        lo, hi = self.unit.shown(self.lo, hz, user_hz), self.unit.shown(self.hi, hz, user_hz)
        if self.bounded and self.checked(index):
            if min_bound is not None:
                lo = max(lo, min_bound)
            if max_bound is not None:
                hi = min(hi, max_bound)
        return lo, hi


def ints(*, minmax: bool = False, lo: int | None = None, hi: int | None = None, type_lo: int = INT_MIN,
         type_hi: int = INT_MAX, **flags: object) -> ValueDomain:
    """A numeric domain. ``minmax`` handlers check the entry's bounds; the others accept any
    number of the type (``lo``/``hi`` default to the type's range)."""
    flags.setdefault("bounded", minmax)
    return ValueDomain(ValueKind.INT, type_lo if lo is None else lo, type_hi if hi is None else hi,
                       type_lo, type_hi, minmax=minmax, **flags)  # type: ignore[arg-type]


def unmodelled(note: str) -> ValueDomain:
    """A domain the toolkit generates no values for, saying why."""
    return ValueDomain(ValueKind.UNMODELLED, note=note)


#: Any text (the kernel stores or truncates it).
STRING = ValueDomain(ValueKind.STRING)
#: Bit lists and ranges below ``maxlen``.
BITMAP = ValueDomain(ValueKind.BITMAP)
