"""How the running host's data differs from a shipped profile: printed, never a failure.

>>> from fakeproc.profiles.loader import load_profile
>>> drift_rows(load_profile("6.18"), load_profile("6.18"))
[]
"""

from __future__ import annotations

from fakeproc.profiles.loader import Profile
from fakeproc.spec import SysctlSpec

__all__ = ["DRIFT_FIELDS", "drift_rows", "format_drift"]

#: The data fields of a row compared between the two profiles (semantics come from the handler).
DRIFT_FIELDS = ("mode", "handler", "namespace", "default", "ns_default", "creation", "min", "max")


def _show(spec: SysctlSpec, name: str) -> str:
    value = getattr(spec, name)
    if name == "mode":
        return f"{value:04o}"
    return str(getattr(value, "value", value))


def drift_rows(shipped: Profile, host: Profile) -> list[tuple[str, str, str, str]]:
    """``(key, field, shipped, host)`` for every entry present in one only or with a field that differs."""
    rows: list[tuple[str, str, str, str]] = []
    for key in sorted(set(shipped.entries) | set(host.entries)):
        a, b = shipped.entries.get(key), host.entries.get(key)
        if a is None or b is None:
            rows.append((key, "present", str(a is not None).lower(), str(b is not None).lower()))
            continue
        rows.extend((key, name, _show(a, name), _show(b, name)) for name in DRIFT_FIELDS
                    if getattr(a, name) != getattr(b, name))
    return rows


def format_drift(rows: list[tuple[str, str, str, str]]) -> str:
    """The rows as an aligned text table (values cut at 40 characters)."""
    if not rows:
        return "no drift"
    cut = [(k, f, s if len(s) <= 40 else s[:37] + "...", h if len(h) <= 40 else h[:37] + "...") for k, f, s, h in rows]
    widths = [max(len(r[i]) for r in [("key", "field", "shipped", "host"), *cut]) for i in range(3)]
    lines = [f"{'key':<{widths[0]}}  {'field':<{widths[1]}}  {'shipped':<{widths[2]}}  host"]
    lines += [f"{k:<{widths[0]}}  {f:<{widths[1]}}  {s:<{widths[2]}}  {h}" for k, f, s, h in cut]
    return "\n".join(lines)
