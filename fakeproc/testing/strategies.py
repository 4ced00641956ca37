"""Hypothesis strategies for sysctl names, values, sysctl.conf documents and pod specs.

Everything is derived from profile data (entries, bounds, vector lengths, HZ)
and a small table from handler name to value domain, never from lists of keys.

>>> from fakeproc.testing.strategies import sysctl_keys
>>> sysctl_keys(namespace="ipc").example().startswith(("kernel.", "fs.mqueue."))  # doctest: +SKIP
True
"""

from __future__ import annotations

import errno as errno_mod
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from fakeproc.errors import ProfileError
from fakeproc.profiles import Profile, load_profile
from fakeproc.spec import (
    DEVICE_PLACEHOLDER,
    INT_MAX,
    INT_MIN,
    UINT_MAX,
    ULONG_MAX,
    NamespaceType,
    SysctlSpec,
    key_to_path,
)
from fakeproc.sysctlconf import DIALECTS, ParsedConf, PlannedWrite, parse, plan, system_order

__all__ = [
    "INVALID_CLASSES",
    "STRATEGIES",
    "ConfDocument",
    "ConfLayout",
    "InvalidValue",
    "interface_names",
    "invalid_values",
    "pod_specs",
    "supported_handlers",
    "sysctl_conf_documents",
    "sysctl_d_layouts",
    "sysctl_entries",
    "sysctl_keys",
    "valid_values",
]

T = TypeVar("T")

#: Every public strategy, by name (drives the bad-argument test, like Hypothesis's ``_all_strategies``).
STRATEGIES: dict[str, Callable[..., SearchStrategy[Any]]] = {}


def _defines_strategy(fn: Callable[..., SearchStrategy[T]]) -> Callable[..., SearchStrategy[T]]:
    STRATEGIES[fn.__name__] = fn
    return fn


# ----------------------------------------------------------------------------- argument checks


def _check_type(expected: type | tuple[type, ...], value: object, name: str) -> None:
    if not isinstance(value, expected):
        names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
        raise InvalidArgument(f"Expected {names} for {name}, got {name}={value!r} ({type(value).__name__})")


def _check_sizes(min_size: int, max_size: int | None, *, min_name: str = "min_size",
                 max_name: str = "max_size") -> None:
    _check_type(int, min_size, min_name)
    if isinstance(min_size, bool) or min_size < 0:
        raise InvalidArgument(f"{min_name}={min_size!r} must be a non-negative int")
    if max_size is not None:
        _check_type(int, max_size, max_name)
        if max_size < min_size:
            raise InvalidArgument(f"Cannot have {max_name}={max_size!r} < {min_name}={min_size!r}")


def _profile(profile: str | Profile | None) -> Profile:
    if profile is not None and not isinstance(profile, (str, Profile)):
        raise InvalidArgument(f"profile={profile!r} must be a profile name, a Profile or None")
    try:
        return profile if isinstance(profile, Profile) else load_profile(profile)
    except ProfileError as e:
        raise InvalidArgument(f"profile={profile!r}: {e}") from None


def _namespaces(namespace: object) -> frozenset[NamespaceType] | None:
    if namespace is None:
        return None
    items = [namespace] if isinstance(namespace, (str, NamespaceType)) else namespace
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise InvalidArgument(f"namespace={namespace!r} must be a NamespaceType, a name like 'net', a sequence "
                              "of those, or None")
    out = set()
    for item in items:
        try:
            out.add(item if isinstance(item, NamespaceType) else NamespaceType(item))
        except ValueError:
            known = ", ".join(t.value for t in NamespaceType)
            raise InvalidArgument(f"namespace={namespace!r}: unknown namespace type {item!r} (known: {known})") from None
    if not out:
        raise InvalidArgument(f"namespace={namespace!r} is empty; use None for every namespace type")
    return frozenset(out)


_FORMS = ("dotted", "slash", "any")


def _check_form(form: object) -> str:
    if form not in _FORMS:
        raise InvalidArgument(f"form={form!r} must be one of {', '.join(map(repr, _FORMS))}")
    return str(form)


# ----------------------------------------------------------------------------- interface names

#: Names a device cannot take because the conf directories use them.
_RESERVED_DEVICES = frozenset({"all", "default"})


@_defines_strategy
def interface_names(*, vlan: bool | None = None, max_size: int = 15) -> SearchStrategy[str]:
    """Returns a strategy which generates Linux network interface names.

    Names follow ``dev_valid_name()``: 1 to 15 bytes, no ``/``, ``:`` or
    whitespace, not ``.`` or ``..``; ``all`` and ``default`` are left out because
    ``net.ipv4.conf`` uses them.

    Args:
        vlan: True for 802.1Q-style names with a dot (``eth0.100``), whose sysctl keys
            need the slash rule (``net.ipv4.conf.eth0/100.rp_filter``); False for
            names without a dot; None for both.
        max_size: At most this many bytes (1 to 15).

    Examples shrink towards short names without a dot, like ``a``.
    """
    if vlan is not None:
        _check_type(bool, vlan, "vlan")
    _check_type(int, max_size, "max_size")
    if not 1 <= max_size <= 15:
        raise InvalidArgument(f"max_size={max_size!r} must be between 1 and 15 (IFNAMSIZ - 1)")
    if vlan and max_size < 3:
        raise InvalidArgument(f"vlan=True needs max_size >= 3 (like 'a.1'), got max_size={max_size!r}")
    first = string.ascii_lowercase
    rest = string.ascii_lowercase + string.digits + "-_"
    base = st.builds(lambda a, b: a + b, st.sampled_from(first),
                     st.text(rest, max_size=min(max_size - 1, 9)))

    @st.composite
    def names(draw: Any) -> str:
        with_vlan = vlan if vlan is not None else (max_size >= 3 and draw(st.booleans()))
        name: str = draw(base)
        if with_vlan:
            vid = str(draw(st.integers(1, 4094)))
            name = name[: max(1, max_size - len(vid) - 1)] + "." + vid
        return name[:max_size]

    return names().filter(lambda n: n not in _RESERVED_DEVICES)


# ----------------------------------------------------------------------------- keys and entries


def _select(profile: Profile, namespaces: frozenset[NamespaceType] | None, writable: bool | None,
            handlers: frozenset[str] | None) -> list[SysctlSpec]:
    specs = []
    for spec in sorted(profile.entries.values(), key=lambda s: s.key):
        if namespaces is not None and spec.namespace not in namespaces:
            continue
        if writable is not None and bool(spec.mode & 0o200) != writable:
            continue
        if handlers is not None and spec.handler not in handlers:
            continue
        specs.append(spec)
    return specs


def _devices(devices: object, name: str = "devices") -> SearchStrategy[str]:
    if devices is None:
        return interface_names()
    if isinstance(devices, SearchStrategy):
        return devices
    if isinstance(devices, (list, tuple)) and devices and all(isinstance(d, str) for d in devices):
        return st.sampled_from(list(devices))
    raise InvalidArgument(f"{name}={devices!r} must be None, a non-empty sequence of names or a strategy")


def _instantiate(spec: SysctlSpec, dev: str) -> str:
    return spec.key.replace(DEVICE_PLACEHOLDER, dev.replace(".", "/"))


def _render(key: str, form: str, draw: Any) -> str:
    if form == "any":
        form = draw(st.sampled_from(("dotted", "slash")))
    return key_to_path(key) if form == "slash" else key


@_defines_strategy
def sysctl_entries(*, profile: str | Profile | None = None, namespace: Any = None, writable: bool | None = None,
                   handlers: Iterable[str] | None = None, devices: Any = None,
                   with_domain: bool = False) -> SearchStrategy[tuple[str, SysctlSpec]]:
    """Returns a strategy which generates ``(dotted key, spec)`` pairs of a profile.

    Args:
        profile: Profile name or object (default: the default profile).
        namespace: A :class:`~fakeproc.spec.NamespaceType`, its name (``"net"``), a
            sequence of them, or None for all.
        writable: True for entries with an owner write bit, False for read-only
            ones, None for both.
        handlers: Only entries with these handler names.
        devices: Interface names for per-device entries: a sequence, a strategy, or
            None for :func:`interface_names` (the kernel must have the device:
            ``kernel.add_device(ns, name)``).
        with_domain: Only entries whose handler has a value domain here, so that
            :func:`valid_values` and :func:`invalid_values` work for them.

    Examples shrink towards the alphabetically first entry.
    """
    prof = _profile(profile)
    namespaces = _namespaces(namespace)
    if writable is not None:
        _check_type(bool, writable, "writable")
    _check_type(bool, with_domain, "with_domain")
    wanted = None
    if handlers is not None:
        if isinstance(handlers, str):
            raise InvalidArgument(f"handlers={handlers!r} must be a collection of names, not one string")
        wanted = frozenset(handlers)
        unknown = sorted(wanted - set(_DOMAINS) - {s.handler for s in prof.entries.values()})
        if unknown:
            raise InvalidArgument(f"handlers={sorted(wanted)!r}: no entry of profile {prof.name} uses {unknown}")
    if with_domain:
        wanted = (wanted if wanted is not None else frozenset(_DOMAINS)) & frozenset(_DOMAINS)
    specs = _select(prof, namespaces, writable, wanted)
    if not specs:
        raise InvalidArgument(f"No entry of profile {prof.name} matches namespace={namespace!r}, "
                              f"writable={writable!r}, handlers={handlers!r}, with_domain={with_domain!r}")
    dev = _devices(devices)

    @st.composite
    def entries(draw: Any) -> tuple[str, SysctlSpec]:
        spec = draw(st.sampled_from(specs))
        key = _instantiate(spec, draw(dev)) if spec.is_template else spec.key
        return key, spec

    return entries()


@_defines_strategy
def sysctl_keys(*, profile: str | Profile | None = None, namespace: Any = None, form: str = "dotted",
                writable: bool | None = None, devices: Any = None) -> SearchStrategy[str]:
    """Returns a strategy which generates sysctl names of a profile.

    Args:
        profile, namespace, writable, devices: As for :func:`sysctl_entries`.
        form: ``"dotted"`` (``net.ipv4.conf.eth0/100.rp_filter``, the procps form, with
            a VLAN's dots written as ``/``), ``"slash"`` (the path under ``/proc/sys``:
            ``net/ipv4/conf/eth0.100/rp_filter``) or ``"any"``.

    Examples shrink towards the alphabetically first entry, in dotted form, with
    a short interface name.
    """
    form = _check_form(form)
    entries = sysctl_entries(profile=profile, namespace=namespace, writable=writable, devices=devices)

    @st.composite
    def keys(draw: Any) -> str:
        key, _ = draw(entries)
        return _render(key, form, draw)

    return keys()


# ----------------------------------------------------------------------------- value domains


@dataclass(frozen=True)
class _Domain:
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


def _spec_lo(default: int) -> Callable[[SysctlSpec, Profile, int], int]:
    def lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
        b = spec.bound_at(spec.min, i)
        return default if b is None else max(default, b)
    return lo


def _spec_hi(default: int) -> Callable[[SysctlSpec, Profile, int], int]:
    def hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
        b = spec.bound_at(spec.max, i)
        return default if b is None else min(default, b)
    return hi


def _const(v: int) -> Callable[[SysctlSpec, Profile, int], int]:
    return lambda spec, profile, i: v


def _default_of(profile: Profile, key: str, index: int, fallback: int) -> int:
    spec = profile.entries.get(key)
    if spec is None:
        return fallback
    try:
        return int(spec.default.split()[index])
    except (IndexError, ValueError):
        return fallback


def _int_domain(minmax: bool, **kw: Any) -> _Domain:
    lo, hi = kw.pop("type_lo", INT_MIN), kw.pop("type_hi", INT_MAX)
    if minmax:
        return _Domain("int", _spec_lo(lo), _spec_hi(hi), lo, hi, minmax=True, **kw)
    return _Domain("int", _const(lo), _const(hi), lo, hi, bounded=False, **kw)


def _jiffies_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return INT_MAX // profile.hz


def _jiffies_lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return -(INT_MAX // profile.hz)


def _userhz_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return INT_MAX * profile.user_hz // profile.hz


def _port_lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return max(1, _default_of(profile, "net.ipv4.ip_unprivileged_port_start", 0, 1024))


def _priv_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return _default_of(profile, "net.ipv4.ip_local_port_range", 0, 32768)


def _sem_lo(spec: SysctlSpec, profile: Profile, i: int) -> int:
    # SEMMSL, SEMMNS and SEMOPM are plain proc_dointvec; only SEMMNI is checked (sem_check_semmni).
    return _spec_lo(0)(spec, profile, i) if i == 3 else 0


def _sem_hi(spec: SysctlSpec, profile: Profile, i: int) -> int:
    return _spec_hi(INT_MAX)(spec, profile, i) if i == 3 else INT_MAX


#: Handler name -> value domain. Handlers missing here get no values (``with_domain=True``
#: leaves their entries out): their valid values depend on more than bounds
#: (``proc_taint``, congestion control names, IPv6 addresses...).
_DOMAINS: dict[str, _Domain] = {
    "proc_dointvec": _int_domain(False),
    "proc_ipc_dointvec": _int_domain(False),
    "proc_dointvec_minmax": _int_domain(True),
    "proc_dointvec_minmax_sysadmin": _int_domain(True),
    "proc_dointvec_minmax_coredump": _int_domain(True),
    # The pid namespace handlers, as the initial pid namespace's root sees them (no parent scope).
    "pid_ns_ctl_handler": _int_domain(True),
    "pid_mfd_noexec_dointvec_minmax": _int_domain(True),
    "proc_ipc_dointvec_minmax": _int_domain(True),
    "proc_ipc_dointvec_minmax_orphans": _int_domain(True),
    "proc_ipc_auto_msgmni": _int_domain(True),
    "proc_do_static_key": _Domain("int", _const(0), _const(1), INT_MIN, INT_MAX, scalar=True, minmax=True),
    "proc_dobool": _int_domain(False, scalar=True),
    "proc_douintvec": _int_domain(False, type_lo=0, type_hi=UINT_MAX, unsigned=True, scalar=True),
    "proc_douintvec_minmax": _int_domain(True, type_lo=0, type_hi=UINT_MAX, unsigned=True, scalar=True),
    "proc_dou8vec_minmax": _Domain("int", _spec_lo(0), _spec_hi(255), 0, UINT_MAX, unsigned=True, scalar=True,
                                   minmax=True),
    "proc_doulongvec_minmax": _int_domain(True, type_lo=0, type_hi=ULONG_MAX, unsigned=True, ulong=True),
    "proc_dointvec_jiffies": _Domain("int", _jiffies_lo, _jiffies_hi, INT_MIN, INT_MAX, bounded=False,
                                     jiffies=True),
    "proc_dointvec_ms_jiffies": _Domain("int", _const(0), _const(INT_MAX), 0, INT_MAX, bounded=False),
    "proc_dointvec_userhz_jiffies": _Domain("int", _const(0), _userhz_hi, 0, INT_MAX, bounded=False),
    "ipv4_local_port_range": _Domain("int", _port_lo, _const(65535), INT_MIN, INT_MAX, minmax=True),
    "ipv4_privileged_ports": _Domain("int", _const(0), _priv_hi, INT_MIN, INT_MAX, scalar=True, minmax=True),
    "ipv4_ping_group_range": _Domain("int", _const(0), _const(4294967294), 0, ULONG_MAX, unsigned=True,
                                     ulong=True, minmax=True),
    "proc_ipc_sem_dointvec": _Domain("int", _sem_lo, _sem_hi, INT_MIN, INT_MAX, minmax=True,
                                     range_errno=lambda i: errno_mod.ERANGE, checked=lambda i: i == 3),
    "proc_dostring": _Domain("string"),
    "proc_do_uts_string": _Domain("string"),
    "proc_do_large_bitmap": _Domain("bitmap"),
}


#: Domains an older kernel's ``legacy`` behaviour changes: (handler, behaviour) -> domain.
_LEGACY_DOMAINS: dict[tuple[str, str], _Domain] = {
    # proc_dointvec_minmax on gid_t[2] up to GID_T_MAX = INT_MAX (v4.15).
    ("ipv4_ping_group_range", "ping_group_range_int"): _Domain("int", _const(0), _const(INT_MAX), INT_MIN, INT_MAX,
                                                               minmax=True),
}


def supported_handlers() -> frozenset[str]:
    """Handler names :func:`valid_values` and :func:`invalid_values` know a domain for."""
    return frozenset(_DOMAINS)


def _domain(spec: object, name: str = "spec", profile: Profile | None = None) -> _Domain:
    _check_type(SysctlSpec, spec, name)
    assert isinstance(spec, SysctlSpec)
    d = _DOMAINS.get(spec.handler)
    if d is None:
        raise InvalidArgument(f"{name}={spec.key!r} uses handler {spec.handler!r}, which has no value domain "
                              f"(known: {', '.join(sorted(_DOMAINS))}); use sysctl_entries(with_domain=True)")
    for behaviour in profile.legacy if profile is not None else ():
        d = _LEGACY_DOMAINS.get((spec.handler, behaviour), d)
    return d


def _length(spec: SysctlSpec, d: _Domain) -> int:
    return 1 if d.scalar else max(1, spec.length)


def _bounds(spec: SysctlSpec, prof: Profile, d: _Domain, i: int) -> tuple[int, int]:
    assert d.lo is not None and d.hi is not None
    lo, hi = d.lo(spec, prof, i), d.hi(spec, prof, i)
    # A bound that points at another entry (min_key/max_key) is that entry's value: in a kernel
    # fresh from the profile, its boot value.
    if spec.min_key is not None:
        lo = max(lo, _default_of(prof, spec.min_key, 0, lo))
    if spec.max_key is not None:
        hi = min(hi, _default_of(prof, spec.max_key, 0, hi))
    return lo, hi


def _ints(spec: SysctlSpec, prof: Profile, d: _Domain, i: int) -> SearchStrategy[int]:
    lo, hi = _bounds(spec, prof, d, i)
    if lo > hi:
        return st.nothing()
    return st.integers(lo, hi)


@_defines_strategy
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
    prof = _profile(profile)
    d = _domain(spec, profile=prof)
    _check_type(str, separators, "separators")
    if not separators or set(separators) - set(" \t\n"):
        raise InvalidArgument(f"separators={separators!r} must be non-empty and only contain ' ', '\\t', '\\n'")
    if d.kind == "string":
        limit = max(0, spec.maxlen - 1)
        return st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=limit)
    if d.kind == "bitmap":
        return _bitmaps(spec.maxlen)
    n = _length(spec, d)
    sep = st.sampled_from(list(separators))

    @st.composite
    def vectors(draw: Any) -> str:
        nums: list[int] = []
        for i in range(n):
            lo, hi = _bounds(spec, prof, d, i)
            if spec.handler == "ipv4_local_port_range" and i == 1 or spec.handler == "ipv4_ping_group_range" and i == 1:
                lo = max(lo, nums[0])
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


def _invalid_classes(spec: SysctlSpec, prof: Profile, d: _Domain) -> dict[str, Callable[[], SearchStrategy[InvalidValue]]]:
    legacy = prof.legacy
    einval = errno_mod.EINVAL
    out: dict[str, Callable[[], SearchStrategy[InvalidValue]]] = {}
    if d.kind == "string":
        return out
    if d.kind == "bitmap":
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
    n = _length(spec, d)

    def first_valid() -> SearchStrategy[int]:
        return _ints(spec, prof, d, 0)

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
    if type_hi is not None and not (d.minmax and "minmax_no_int_check" in legacy and not d.unsigned):
        if d.jiffies:
            if "jiffies_long_max_bound" not in legacy:
                overflow.append(st.integers(INT_MAX // prof.hz + 1, ULONG_MAX))
        elif spec.handler in ("proc_dointvec_ms_jiffies",):
            overflow.append(st.integers(INT_MAX + 1, UINT_MAX))
        elif spec.handler != "proc_dointvec_userhz_jiffies":
            overflow.append(st.integers(type_hi + 1, ULONG_MAX))
    if overflow:
        out["overflow"] = lambda: st.one_of(overflow).map(
            lambda v: InvalidValue(str(v).encode(), "overflow", einval, "beyond the element type"))
    ranges: list[tuple[int, int, int]] = []  # (index, lo, hi) of out-of-range values
    skip_range = d.ulong and "doulongvec_skip_out_of_range" in legacy
    if d.bounded and not skip_range:
        for i in range(n):
            if not d.checked(i):
                continue
            lo, hi = _bounds(spec, prof, d, i)
            if lo > d.type_lo:
                ranges.append((i, max(d.type_lo, 0 if d.unsigned else INT_MIN), lo - 1))
            if hi < d.type_hi:
                ranges.append((i, hi + 1, d.type_hi if not d.ulong else ULONG_MAX))
    if ranges:
        @st.composite
        def out_of_range(draw: Any) -> InvalidValue:
            i, lo, hi = draw(st.sampled_from(ranges))
            nums = [draw(_ints(spec, prof, d, j)) if j != i else draw(st.integers(lo, hi)) for j in range(i + 1)]
            if spec.handler == "ipv4_local_port_range" and i == 0:
                nums = [nums[0]]
            return InvalidValue(" ".join(map(str, nums)).encode(), "out_of_range", d.range_errno(i),
                                f"element {i} outside [{_bounds(spec, prof, d, i)[0]}, {_bounds(spec, prof, d, i)[1]}]")
        out["out_of_range"] = out_of_range
    out["empty"] = lambda: st.sampled_from([b"\n", b" ", b"\t", b"  \n", b"\n\n"]).map(
        lambda b: InvalidValue(b, "empty", einval, "only whitespace: no number"))
    out["too_long"] = lambda: st.integers(21, 40).map(
        lambda k: InvalidValue(("0" * (k - 1) + "1").encode(), "too_long", einval,
                               "a number token of 21 or more characters"))
    return out


@_defines_strategy
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
    prof = _profile(profile)
    d = _domain(spec, profile=prof)
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


# ----------------------------------------------------------------------------- sysctl.conf documents


@dataclass(frozen=True)
class ConfDocument:
    """A generated sysctl.conf / sysctl.d document and what each tool makes of it.

    Attributes:
        text: The document.
        keys: The existing keys the expectations were computed against (a profile's
            boot keys); globs expand against them.
        features: What the generator put in (``"crlf"``, ``"inline_hash"``,
            ``"ignore_failure"``, ``"glob"``, ``"exclusion"``, ``"duplicate"``,
            ``"vlan"``, ``"semicolon_comment"``, ...), to label examples.
    """

    text: str
    keys: tuple[str, ...] = field(repr=False)
    features: frozenset[str] = frozenset()
    filename: str = field(default="/etc/sysctl.conf", repr=False)

    def __repr__(self) -> str:
        return f"ConfDocument(text={self.text!r}, features={sorted(self.features)!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # Hypothesis's failure report
        p.text(repr(self))

    def parsed(self, dialect: str = "procps") -> ParsedConf:
        """The document as ``dialect`` parses it."""
        return parse(self.text, dialect, filename=self.filename)

    def writes(self, dialect: str = "procps") -> list[PlannedWrite]:
        """What ``sysctl -p`` (procps), ``sysctl --system`` (the same writes) or
        ``systemd-sysctl`` would write, in order."""
        return plan(self.parsed(dialect), self.keys)

    def applied(self, dialect: str = "procps") -> list[tuple[str, str]]:
        """``(dotted key, value)`` of :meth:`writes`, in order."""
        return [(w.key, w.value) for w in self.writes(dialect)]

    def final(self, dialect: str = "procps") -> dict[str, str]:
        """The last value written to each key (what a read shows afterwards, modulo
        the kernel's formatting)."""
        return dict(self.applied(dialect))


_BOOT_KEYS: dict[int, tuple[Profile, tuple[str, ...]]] = {}


def _boot_keys(profile: Profile) -> tuple[str, ...]:
    """The keys of a freshly booted kernel of ``profile`` (cached per profile object)."""
    hit = _BOOT_KEYS.get(id(profile))
    if hit is None or hit[0] is not profile:
        from fakeproc.model import Kernel

        hit = _BOOT_KEYS[id(profile)] = (profile, tuple(Kernel(profile).keys()))
    return hit[1]


def _conf_value(spec: SysctlSpec, prof: Profile) -> SearchStrategy[str]:
    if spec.handler in _DOMAINS:
        return valid_values(spec, profile=prof).filter(lambda v: "\n" not in v and v == v.strip())
    return st.just(spec.default.split("\n")[0].strip() or "0")


@_defines_strategy
def sysctl_conf_documents(*, profile: str | Profile | None = None, min_size: int = 0, max_size: int = 12,
                          features: Iterable[str] | None = None,
                          devices: Sequence[str] | None = None) -> SearchStrategy[ConfDocument]:
    """Returns a strategy which generates sysctl.conf / sysctl.d documents with
    what procps ``sysctl -p``, ``sysctl --system`` and ``systemd-sysctl`` apply.

    Lines mix assignments (dotted or slash keys, VLAN interfaces, valid values
    that may contain spaces or tabs), ``#`` and ``;`` comments (also indented),
    blank and whitespace-only lines, whitespace around ``=``, values with an
    inline ``#`` (which is part of the value), ``-`` prefixes, globs with
    ``-key`` exclusions, duplicate keys, lines without ``=``, and CRLF or a
    missing final newline. Each document's expectations come from
    :mod:`fakeproc.sysctlconf` evaluated against the profile's boot keys.

    Args:
        profile: Keys and values come from this profile.
        min_size, max_size: Number of lines.
        features: Restrict the generator to these features (default: all). Known:
            ``assignment`` (always on), ``comment``, ``semicolon_comment``, ``blank``,
            ``whitespace``, ``inline_hash``, ``ignore_failure``, ``glob``,
            ``exclusion``, ``duplicate``, ``invalid_line``, ``crlf``, ``slash``,
            ``vlan``, ``no_final_newline``.
        devices: Interface names for per-device keys (default: the profile's boot
            devices plus, with ``vlan``, a VLAN device that the expectations assume
            exists: ``eth0.100``).

    Examples shrink towards short documents of plain ``key = value`` lines.
    """
    prof = _profile(profile)
    _check_sizes(min_size, max_size)
    feats = _FEATURES if features is None else frozenset(features) | {"assignment"}
    if features is not None:
        if isinstance(features, str):
            raise InvalidArgument(f"features={features!r} must be a collection of names, not one string")
        unknown = sorted(set(features) - _FEATURES)
        if unknown:
            raise InvalidArgument(f"features={sorted(features)!r}: unknown {unknown} (known: {sorted(_FEATURES)})")
    if devices is not None and (isinstance(devices, str) or not all(isinstance(x, str) for x in devices)):
        raise InvalidArgument(f"devices={devices!r} must be a sequence of interface names")
    devs = list(devices) if devices is not None else list(prof.init_devices)
    if "vlan" in feats and devices is None:
        devs.append("eth0.100")
    boot = set(_boot_keys(prof))
    keys = set(boot)
    specs = [s for s in _select(prof, None, True, None) if s.handler != "proc_taint"]
    for spec in specs:
        if spec.is_template:
            keys.update(_instantiate(spec, dv) for dv in devs)
    all_keys = tuple(sorted(keys))
    plain = [s for s in specs if not s.is_template and s.key in boot]
    templ = [s for s in specs if s.is_template]

    # Strings keep an inline "#" (numbers stop at the first token), so they are the entries
    # where an inline "#" tells parsers apart.
    strings = [s for s in plain if "string" in s.handler]

    @st.composite
    def key_and_value(draw: Any, prefer_string: bool = False) -> tuple[str, str, SysctlSpec, set[str]]:
        used: set[str] = set()
        if prefer_string and strings:
            spec = draw(st.sampled_from(strings))
            key = spec.key
        elif templ and devs and draw(st.booleans()):
            spec = draw(st.sampled_from(templ))
            dev = draw(st.sampled_from(devs))
            if "." in dev:
                used.add("vlan")
            key = _instantiate(spec, dev)
        else:
            spec = draw(st.sampled_from(plain))
            key = spec.key
        if "slash" in feats and draw(st.booleans()):
            key = key_to_path(key)
            used.add("slash")
        return key, draw(_conf_value(spec, prof)), spec, used

    ws = st.sampled_from(["", " ", "  ", "\t"])

    @st.composite
    def line(draw: Any, earlier: list[tuple[str, str]]) -> tuple[str, set[str], tuple[str, str] | None]:
        kinds = ["assignment"] + sorted(k for k in ("comment", "semicolon_comment", "blank", "glob", "exclusion",
                                                     "invalid_line", "duplicate") if k in feats)
        if "duplicate" in kinds and not earlier:
            kinds.remove("duplicate")
        kind = draw(st.sampled_from(kinds))
        if kind == "comment":
            return draw(ws) + "#" + draw(st.text(string.ascii_letters + " =.", max_size=12)), {"comment"}, None
        if kind == "semicolon_comment":
            return draw(ws) + ";" + draw(st.text(string.ascii_letters + " =.", max_size=12)), {"semicolon_comment"}, None
        if kind == "blank":
            return draw(st.sampled_from(["", " ", "\t", "  \t"])), {"blank"}, None
        if kind == "invalid_line":
            return draw(st.text(string.ascii_lowercase + ".", min_size=2, max_size=12)), {"invalid_line"}, None
        if kind in ("glob", "exclusion") and templ:
            spec = draw(st.sampled_from(templ))
            glob_key = spec.key.replace(DEVICE_PLACEHOLDER, "*")
            if kind == "glob":
                return f"{glob_key} = {draw(_conf_value(spec, prof))}", {"glob"}, None
            dev = draw(st.sampled_from(devs))
            return "-" + _instantiate(spec, dev), {"exclusion"}, None
        if kind == "duplicate":
            key, _ = draw(st.sampled_from(earlier))
            spec_key = key
            value = draw(st.sampled_from(["0", "1", "2"]))
            return f"{spec_key} = {value}", {"duplicate"}, (key, value)
        hashed = "inline_hash" in feats and draw(st.integers(0, 3)) == 0
        key, value, spec, used = draw(key_and_value(prefer_string=hashed and draw(st.booleans())))
        prefix = ""
        if "ignore_failure" in feats and draw(st.booleans()):
            prefix = "-"
            used.add("ignore_failure")
        if hashed:
            value = value + " # " + draw(st.text(string.ascii_letters, max_size=6))
            used.add("inline_hash")
        if "whitespace" in feats:
            text = draw(ws) + prefix + key + draw(ws) + "=" + draw(ws) + value + draw(ws)
            used.add("whitespace")
        else:
            text = f"{prefix}{key} = {value}"
        return text, used, (key, value)

    @st.composite
    def documents(draw: Any) -> ConfDocument:
        n = draw(st.integers(min_size, max_size))
        lines: list[str] = []
        used: set[str] = set()
        earlier: list[tuple[str, str]] = []
        for _ in range(n):
            text, u, kv = draw(line(earlier))
            lines.append(text)
            used |= u
            if kv is not None:
                earlier.append(kv)
        eol = "\n"
        if "crlf" in feats and draw(st.booleans()):
            eol = "\r\n"
            used.add("crlf")
        text = eol.join(lines)
        if lines and not ("no_final_newline" in feats and draw(st.booleans())):
            text += eol
        elif lines:
            used.add("no_final_newline")
        return ConfDocument(text, all_keys, frozenset(used))

    return documents()


_FEATURES = frozenset({"assignment", "comment", "semicolon_comment", "blank", "whitespace", "inline_hash",
                       "ignore_failure", "glob", "exclusion", "duplicate", "invalid_line", "crlf", "slash", "vlan",
                       "no_final_newline"})


@dataclass(frozen=True)
class ConfLayout:
    """Configuration directories for ``--system``, with what each tool reads and applies.

    Attributes:
        files: ``{directory: {file name: document text}}``, highest precedence first.
        keys: The existing keys the expectations were computed against.
        etc_sysctl_conf: Text of ``/etc/sysctl.conf``, if the layout has one (procps
            reads it last; systemd-sysctl never reads it).
    """

    files: dict[str, dict[str, str]]
    keys: tuple[str, ...] = field(repr=False)
    etc_sysctl_conf: str | None = None

    def __repr__(self) -> str:
        return f"ConfLayout(files={self.files!r}, etc_sysctl_conf={self.etc_sysctl_conf!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def order(self, dialect: str = "procps") -> list[str]:
        """The paths read, in order."""
        return [f.path for f in system_order({d: list(n) for d, n in self.files.items()}, dialect,
                                             etc_sysctl_conf=self.etc_sysctl_conf is not None)]

    def parsed(self, dialect: str = "procps") -> list[ParsedConf]:
        """Each file read, parsed, in reading order."""
        texts = {f"{d.rstrip('/')}/{n}": t for d, names in self.files.items() for n, t in names.items()}
        if self.etc_sysctl_conf is not None:
            texts["/etc/sysctl.conf"] = self.etc_sysctl_conf
        return [parse(texts[p], dialect, filename=p) for p in self.order(dialect)]

    def writes(self, dialect: str = "procps") -> list[PlannedWrite]:
        """What ``sysctl --system`` (procps) or ``systemd-sysctl`` writes, in order."""
        return plan(self.parsed(dialect), self.keys, dialect=dialect)

    def applied(self, dialect: str = "procps") -> list[tuple[str, str]]:
        """``(dotted key, value)`` of :meth:`writes`."""
        return [(w.key, w.value) for w in self.writes(dialect)]


@_defines_strategy
def sysctl_d_layouts(*, profile: str | Profile | None = None, dialect: str = "procps", max_files: int = 6,
                     documents: SearchStrategy[ConfDocument] | None = None) -> SearchStrategy[ConfLayout]:
    """Returns a strategy which generates sysctl.d directory trees for ``--system``.

    File names repeat across directories (so higher directories shadow lower
    ones), include names that sort in surprising byte order (``10-a.conf``,
    ``9-b.conf``, ``Z.conf``), non-``.conf`` files that are never read, and for
    procps sometimes ``/etc/sysctl.conf``.

    Args:
        profile: Profile the documents come from.
        dialect: Which tool's directory list to use (``procps`` has ``/lib/sysctl.d``).
        max_files: Total number of files at most.
        documents: Strategy for file contents (default :func:`sysctl_conf_documents`
            with up to 4 lines).

    Examples shrink towards a single file in ``/etc/sysctl.d``.
    """
    from fakeproc.sysctlconf import system_dirs

    prof = _profile(profile)
    if dialect not in DIALECTS:
        raise InvalidArgument(f"dialect={dialect!r} must be one of {', '.join(DIALECTS)}")
    _check_type(int, max_files, "max_files")
    if max_files < 1:
        raise InvalidArgument(f"max_files={max_files!r} must be at least 1")
    if documents is not None and not isinstance(documents, SearchStrategy):
        raise InvalidArgument(f"documents={documents!r} must be a strategy of ConfDocument")
    docs = documents if documents is not None else sysctl_conf_documents(profile=prof, max_size=4)
    dirs = list(system_dirs(dialect))
    names = st.sampled_from(["50-default.conf", "99-sysctl.conf", "10-a.conf", "9-b.conf", "Z.conf",
                             "a.conf", "notes.txt", "90-net.conf"])

    @st.composite
    def layouts(draw: Any) -> ConfLayout:
        n = draw(st.integers(1, max_files))
        files: dict[str, dict[str, str]] = {}
        keys: tuple[str, ...] = ()
        for _ in range(n):
            d = draw(st.sampled_from(dirs))
            doc = draw(docs)
            keys = doc.keys
            files.setdefault(d, {})[draw(names)] = doc.text
        ordered = {d: files[d] for d in dirs if d in files}
        etc = None
        if dialect == "procps" and draw(st.booleans()):
            doc = draw(docs)
            etc, keys = doc.text, doc.keys
        return ConfLayout(ordered, keys or _boot_keys(prof), etc)

    return layouts()


# ----------------------------------------------------------------------------- pod specs


@_defines_strategy
def pod_specs(*, profile: str | Profile | None = None, min_size: int = 0, max_size: int = 4,
              namespaced_only: bool = True) -> SearchStrategy[dict[str, Any]]:
    """Returns a strategy which generates Pod manifests with ``spec.securityContext.sysctls``.

    Names come from the profile's namespaced entries (IPC, net, UTS; dotted or
    slash form, as the API accepts both), values from :func:`valid_values` where a
    domain is known. The manifests are plain dicts, ready for the Kubernetes
    pipeline; whether a sysctl is safe, allowed or admitted is for the pipeline
    to decide.

    Args:
        profile: Names and values come from this profile.
        min_size, max_size: Number of sysctls in the pod.
        namespaced_only: Only namespaced entries (a pod cannot set others).

    Examples shrink towards a pod without sysctls.
    """
    prof = _profile(profile)
    _check_sizes(min_size, max_size)
    _check_type(bool, namespaced_only, "namespaced_only")
    ns = ("ipc", "net", "uts") if namespaced_only else None
    entries = sysctl_entries(profile=prof, namespace=ns, writable=True, devices=["eth0", "lo"])

    @st.composite
    def one(draw: Any) -> dict[str, str]:
        key, spec = draw(entries)
        name = key_to_path(key) if draw(st.integers(0, 5)) == 0 else key
        value = draw(_conf_value(spec, prof))
        return {"name": name, "value": value}

    names = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12).map(lambda s: "p" + s)

    @st.composite
    def pods(draw: Any) -> dict[str, Any]:
        sysctls = draw(st.lists(one(), min_size=min_size, max_size=max_size, unique_by=lambda s: s["name"]))
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": draw(names), "namespace": "default"},
            "spec": {
                "securityContext": {"sysctls": sysctls},
                "containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}],
            },
        }

    return pods()
