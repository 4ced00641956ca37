"""Value domains: how each handler's values look (type, bounds, vector length, errno).

A table from handler name to domain, read by :mod:`.names` (``with_domain``) and
:mod:`.values`. Divergence from the intended design: the domain belongs with the
handler (issue 17 point 4); once handlers carry their domain this table is
built from them."""

from __future__ import annotations

import errno as errno_mod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from fakeproc.profiles import Profile
from fakeproc.spec import (
    INT_MAX,
    INT_MIN,
    UINT_MAX,
    ULONG_MAX,
    SysctlSpec,
)
from fakeproc.testing.strategies._common import check_type

__all__ = [
    "DOMAINS",
    "LEGACY_DOMAINS",
    "Domain",
    "const",
    "default_of",
    "domain_of",
    "element_bounds",
    "element_ints",
    "int_domain",
    "spec_hi",
    "spec_lo",
    "supported_handlers",
    "vector_length",
]

# ----------------------------------------------------------------------------- value domains


@dataclass(frozen=True)
class Domain:
    """How a handler's values look: element bounds in user units and how it parses."""

    kind: str  # "int", "string" or "bitmap"
    lo: Callable[[SysctlSpec, Profile, int], int] | None = None
    hi: Callable[[SysctlSpec, Profile, int], int] | None = None
    type_lo: int = INT_MIN
    type_hi: int = INT_MAX
    unsigned: bool = False  # any '-' is EINVAL (douintvec, doulongvec, bitmap)
    scalar: bool = False
    bounded: bool = True  # min/max of the spec apply
    ulong: bool = False
    minmax: bool = False
    jiffies: bool = False
    range_errno: Callable[[int], int] = lambda index: errno_mod.EINVAL
    checked: Callable[[int], bool] = lambda index: True  # which elements the handler range-checks


def spec_lo(default: int) -> Callable[[SysctlSpec, Profile, int], int]:
    def lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
        b = spec.bound_at(spec.min, i)
        return default if b is None else max(default, b)
    return lo


def spec_hi(default: int) -> Callable[[SysctlSpec, Profile, int], int]:
    def hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
        b = spec.bound_at(spec.max, i)
        return default if b is None else min(default, b)
    return hi


def const(v: int) -> Callable[[SysctlSpec, Profile, int], int]:
    return lambda spec, profile, i: v


def default_of(profile: Profile, key: str, index: int, fallback: int) -> int:
    spec = profile.entries.get(key)
    if spec is None:
        return fallback
    try:
        return int(spec.default.split()[index])
    except (IndexError, ValueError):
        return fallback


def int_domain(minmax: bool, **kw: Any) -> Domain:
    lo, hi = kw.pop("type_lo", INT_MIN), kw.pop("type_hi", INT_MAX)
    if minmax:
        return Domain("int", spec_lo(lo), spec_hi(hi), lo, hi, minmax=True, **kw)
    return Domain("int", const(lo), const(hi), lo, hi, bounded=False, **kw)


def _jiffies_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return INT_MAX // profile.hz


def _jiffies_lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return -(INT_MAX // profile.hz)


def _userhz_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return INT_MAX * profile.user_hz // profile.hz


def _port_lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return max(1, default_of(profile, "net.ipv4.ip_unprivileged_port_start", 0, 1024))


def _priv_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return default_of(profile, "net.ipv4.ip_local_port_range", 0, 32768)


def _sem_lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
    # SEMMSL, SEMMNS and SEMOPM are plain proc_dointvec; only SEMMNI is checked (sem_check_semmni).
    return spec_lo(0)(spec, profile, i) if i == 3 else 0


def _sem_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return spec_hi(INT_MAX)(spec, profile, i) if i == 3 else INT_MAX


#: Handler name -> value domain. Handlers missing here get no values (``with_domain=True``
#: leaves their entries out): their valid values depend on more than bounds
#: (``proc_taint``, congestion control names, IPv6 addresses...).
DOMAINS: dict[str, Domain] = {
    "proc_dointvec": int_domain(False),
    "proc_ipc_dointvec": int_domain(False),
    "proc_dointvec_minmax": int_domain(True),
    "proc_dointvec_minmax_sysadmin": int_domain(True),
    "proc_dointvec_minmax_coredump": int_domain(True),
    # The pid namespace handlers, as the initial pid namespace's root sees them (no parent scope).
    "pid_ns_ctl_handler": int_domain(True),
    "pid_mfd_noexec_dointvec_minmax": int_domain(True),
    "proc_ipc_dointvec_minmax": int_domain(True),
    "proc_ipc_dointvec_minmax_orphans": int_domain(True),
    "proc_ipc_auto_msgmni": int_domain(True),
    "proc_do_static_key": Domain("int", const(0), const(1), INT_MIN, INT_MAX, scalar=True, minmax=True),
    "proc_dobool": int_domain(False, scalar=True),
    "proc_douintvec": int_domain(False, type_lo=0, type_hi=UINT_MAX, unsigned=True, scalar=True),
    "proc_douintvec_minmax": int_domain(True, type_lo=0, type_hi=UINT_MAX, unsigned=True, scalar=True),
    "proc_dou8vec_minmax": Domain("int", spec_lo(0), spec_hi(255), 0, UINT_MAX, unsigned=True, scalar=True,
                                   minmax=True),
    "proc_doulongvec_minmax": int_domain(True, type_lo=0, type_hi=ULONG_MAX, unsigned=True, ulong=True),
    "proc_dointvec_jiffies": Domain("int", _jiffies_lo, _jiffies_hi, INT_MIN, INT_MAX, bounded=False,
                                     jiffies=True),
    "proc_dointvec_ms_jiffies": Domain("int", const(0), const(INT_MAX), 0, INT_MAX, bounded=False),
    "proc_dointvec_userhz_jiffies": Domain("int", const(0), _userhz_hi, 0, INT_MAX, bounded=False),
    "ipv4_local_port_range": Domain("int", _port_lo, const(65535), INT_MIN, INT_MAX, minmax=True),
    "ipv4_privileged_ports": Domain("int", const(0), _priv_hi, INT_MIN, INT_MAX, scalar=True, minmax=True),
    "ipv4_ping_group_range": Domain("int", const(0), const(4294967294), 0, ULONG_MAX, unsigned=True,
                                     ulong=True, minmax=True),
    "proc_ipc_sem_dointvec": Domain("int", _sem_lo, _sem_hi, INT_MIN, INT_MAX, minmax=True,
                                     range_errno=lambda i: errno_mod.ERANGE, checked=lambda i: i == 3),
    "proc_dostring": Domain("string"),
    "proc_do_uts_string": Domain("string"),
    "proc_do_large_bitmap": Domain("bitmap"),
}


#: Domains an older kernel's ``legacy`` behaviour changes: (handler, behaviour) -> domain.
LEGACY_DOMAINS: dict[tuple[str, str], Domain] = {
    # proc_dointvec_minmax on gid_t[2] up to GID_T_MAX = INT_MAX (v4.15).
    ("ipv4_ping_group_range", "ping_group_range_int"): Domain("int", const(0), const(INT_MAX), INT_MIN, INT_MAX,
                                                               minmax=True),
}


def supported_handlers() -> frozenset[str]:
    """Handler names :func:`valid_values` and :func:`invalid_values` know a domain for."""
    return frozenset(DOMAINS)


def domain_of(spec: object, name: str = "spec", profile: Profile | None = None) -> Domain:
    check_type(SysctlSpec, spec, name)
    assert isinstance(spec, SysctlSpec)
    d = DOMAINS.get(spec.handler)
    if d is None:
        raise InvalidArgument(f"{name}={spec.key!r} uses handler {spec.handler!r}, which has no value domain "
                              f"(known: {', '.join(sorted(DOMAINS))}); use sysctl_entries(with_domain=True)")
    for behaviour in profile.legacy if profile is not None else ():
        d = LEGACY_DOMAINS.get((spec.handler, behaviour), d)
    return d


def vector_length(spec: SysctlSpec, d: Domain) -> int:
    return 1 if d.scalar else max(1, spec.length)


def element_bounds(spec: SysctlSpec, prof: Profile, d: Domain, i: int) -> tuple[int, int]:
    assert d.lo is not None and d.hi is not None
    lo, hi = d.lo(spec, prof, i), d.hi(spec, prof, i)
    # A bound that points at another entry (min_key/max_key) is that entry's value: in a kernel
    # fresh from the profile, its boot value.
    if spec.min_key is not None:
        lo = max(lo, default_of(prof, spec.min_key, 0, lo))
    if spec.max_key is not None:
        hi = min(hi, default_of(prof, spec.max_key, 0, hi))
    return lo, hi


def element_ints(spec: SysctlSpec, prof: Profile, d: Domain, i: int) -> SearchStrategy[int]:
    lo, hi = element_bounds(spec, prof, d, i)
    if lo > hi:
        return st.nothing()
    return st.integers(lo, hi)


