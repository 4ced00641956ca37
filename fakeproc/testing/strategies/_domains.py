"""Value domains as the strategies use them: read from the handlers, never kept here.

Each handler declares its domain where it registers (``@proc_handler(domain=...)``,
:mod:`fakeproc.handlers.domain`); this module looks it up for an entry, applies the
profile's legacy behaviours and the entry's bounds, and turns element bounds into
integer strategies. It is read by :mod:`.names` (``with_domain``), :mod:`.values` and
:mod:`.documents`.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from fakeproc.handlers import HANDLERS
from fakeproc.handlers.domain import ValueDomain
from fakeproc.profiles import Profile
from fakeproc.spec import SysctlSpec
from fakeproc.testing.strategies._common import check_type

__all__ = [
    "default_of",
    "domain_of",
    "element_bounds",
    "element_ints",
    "has_domain",
    "supported_handlers",
    "vector_length",
]


def supported_handlers() -> frozenset[str]:
    """Handler names :func:`valid_values` and :func:`invalid_values` know a domain for:
    every registered handler whose domain is modelled (the others depend on more than
    bounds: ``proc_taint``, congestion control names, IPv6 addresses...)."""
    return frozenset(name for name, handler in HANDLERS.items() if handler.domain.modelled)


def has_domain(handler: str) -> bool:
    """Whether the strategies can generate values for entries of ``handler``."""
    found = HANDLERS.get(handler)
    return found is not None and found.domain.modelled


def default_of(profile: Profile, key: str, index: int, fallback: int) -> int:
    """Element ``index`` of ``key``'s boot value in ``profile`` (``fallback`` if absent)."""
    spec = profile.entries.get(key)
    if spec is None:
        return fallback
    try:
        return int(spec.default.split()[index])
    except (IndexError, ValueError):
        return fallback


def domain_of(spec: object, name: str = "spec", profile: Profile | None = None) -> ValueDomain:
    """The domain of ``spec``'s handler, under ``profile``'s legacy behaviours."""
    check_type(SysctlSpec, spec, name)
    assert isinstance(spec, SysctlSpec)
    if not has_domain(spec.handler):
        raise InvalidArgument(f"{name}={spec.key!r} uses handler {spec.handler!r}, which has no value domain "
                              f"(known: {', '.join(sorted(supported_handlers()))}); "
                              f"use sysctl_entries(with_domain=True)")
    handler = HANDLERS[spec.handler]
    return handler.domain_for(profile.legacy) if profile is not None else handler.domain


def vector_length(spec: SysctlSpec, d: ValueDomain) -> int:
    return 1 if d.scalar else max(1, spec.length)


def element_bounds(spec: SysctlSpec, prof: Profile, d: ValueDomain, i: int) -> tuple[int, int]:
    lo, hi = d.element_bounds(spec.bound_at(spec.min, i), spec.bound_at(spec.max, i), prof.hz, prof.user_hz, i)
    # A bound that points at another entry (min_key/max_key) is that entry's value: in a kernel
    # fresh from the profile, its boot value.
    if spec.min_key is not None:
        lo = max(lo, default_of(prof, spec.min_key, 0, lo))
    if spec.max_key is not None:
        hi = min(hi, default_of(prof, spec.max_key, 0, hi))
    return lo, hi


def element_ints(spec: SysctlSpec, prof: Profile, d: ValueDomain, i: int) -> SearchStrategy[int]:
    lo, hi = element_bounds(spec, prof, d, i)
    if lo > hi:
        return st.nothing()
    return st.integers(lo, hi)
