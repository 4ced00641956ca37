"""The bounds probe: find the smallest and largest values an integer sysctl accepts.

Standard library only: :mod:`fakeproc.profiles.nsworker` imports this file on the real kernel
(under the system Python, inside throwaway namespaces) and the model side (tests and :mod:`fakeproc.profiles.probe`)
runs the very same code on the model, so both sides make the same decisions.

>>> accepted = lambda x: 0 <= x <= 5
>>> def write(data: bytes) -> tuple[object, str | None]:
...     x = int(data.split()[0])
...     return ("ok", f"{x}\\n") if accepted(x) else (22, None)
>>> r = probe(write, lambda: "3\\n")
>>> r["positions"][0]["min_ok"], r["positions"][0]["max_ok"], r["positions"][0]["rejects"]
(0, 5, [22])

How it works, for each element position of the entry (one for a scalar; the number of tokens
its first read-back shows for a vector, the other elements kept at their fresh values):

1. Write each of :data:`ANCHORS` (the int/long limits and their neighbours, ``-2 .. 2`` and
   every ``±2**k``) and the element's fresh value: the outcome is ``"ok"`` (the full count came
   back), ``"short:N"`` (a short count) or the errno number.
2. Between every two neighbouring anchors whose outcomes differ, bisect to the exact point where
   the outcome changes (at most 64 writes per boundary).

Every step is one ``write(2)`` at offset 0 followed by a read-back. The summary of a position
lists the outcome (and read-back when accepted) at every anchor and at both sides of every flip,
the smallest and largest accepted value found, and the errnos of rejected writes. The probe
restores nothing: its namespace is thrown away afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

__all__ = ["ANCHORS", "probe"]

ANCHORS: tuple[int, ...] = tuple(sorted({
    -(2**63), -(2**32), -(2**31) - 1, -(2**31), -2, -1, 0, 1, 2,
    2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
    *(2**k for k in range(2, 63)), *(-(2**k) for k in range(2, 63)),
}))

# An outcome: "ok", "short:N", an errno number, or "open:ERRNO" (open(2) failed).
Outcome = Any
Writer = Callable[[bytes], "tuple[Outcome, str | None]"]


def _tokens(initial: str | None) -> list[str] | None:
    """The integer tokens of a fresh read-back, or None if it is not a list of integers."""
    if initial is None:
        return ["0"]  # write-only entry (mode 0200): probe it as a scalar
    tokens = initial.split()
    if not tokens:
        return None
    for tok in tokens:
        try:
            int(tok)
        except ValueError:
            return None
    return tokens


def _probe_position(write: Writer, tokens: list[str], pos: int) -> dict[str, Any]:
    """Anchors plus bisection for one element position."""
    seen: dict[int, tuple[Outcome, str | None]] = {}

    def attempt(x: int) -> tuple[Outcome, str | None]:
        if x not in seen:
            vals = list(tokens)
            vals[pos] = str(x)
            seen[x] = write(("\t".join(vals) + "\n").encode("ascii"))
        return seen[x]

    points = sorted({*ANCHORS, int(tokens[pos])})
    anchors = [[x, *attempt(x)] for x in points]
    flips = []
    for (a, oa, _), (b, ob, _) in pairwise(anchors):
        if oa == ob:
            continue
        lo, hi = a, b
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if attempt(mid)[0] == oa:
                lo = mid
            else:
                hi = mid
        flips.append([lo, *attempt(lo), hi, *attempt(hi)])
    ok = sorted(x for x, (o, _) in seen.items() if o == "ok")
    rejects = sorted({o for o, _ in seen.values() if o != "ok"}, key=str)
    return {
        "anchors": anchors,
        "flips": flips,
        "min_ok": ok[0] if ok else None,
        "max_ok": ok[-1] if ok else None,
        "rejects": rejects,
        "writes": len(seen),
    }


def probe(write: Writer, read: Callable[[], str | None]) -> dict[str, Any]:
    """Probe one entry in a fresh namespace set.

    Args:
        write: Writes the given bytes at offset 0 (one ``write(2)``) and reads the entry back;
            returns ``(outcome, read-back or None)``.
        read: Reads the entry (None if it cannot be read, e.g. mode 0200).

    Returns:
        ``{"initial": ..., "positions": [summary per element]}`` or, for a value that is not a
        list of integers, ``{"initial": ..., "skipped": reason}``.
    """
    initial = read()
    tokens = _tokens(initial)
    if tokens is None:
        return {"initial": initial, "skipped": "not a list of integers"}
    return {"initial": initial, "positions": [_probe_position(write, tokens, i) for i in range(len(tokens))]}
