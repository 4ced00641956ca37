"""Strategies for sysctl names: interface names, ``(key, spec)`` entries and keys.

>>> from fakeproc.testing.strategies.names import sysctl_keys
>>> sysctl_keys(namespace="ipc").example().startswith(("kernel.", "fs.mqueue."))  # doctest: +SKIP
True"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from fakeproc.profiles import Profile
from fakeproc.spec import (
    DEVICE_PLACEHOLDER,
    NamespaceType,
    SysctlSpec,
    key_to_path,
)
from fakeproc.testing.strategies._common import (
    check_form,
    check_namespaces,
    check_type,
    defines_strategy,
    resolve_profile,
)
from fakeproc.testing.strategies._domains import supported_handlers

__all__ = ["interface_names", "sysctl_entries", "sysctl_keys"]

# ----------------------------------------------------------------------------- interface names

#: Names a device cannot take because the conf directories use them.
_RESERVED_DEVICES = frozenset({"all", "default"})


@defines_strategy
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
        check_type(bool, vlan, "vlan")
    check_type(int, max_size, "max_size")
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


def select_specs(profile: Profile, namespaces: frozenset[NamespaceType] | None, writable: bool | None,
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


def instantiate(spec: SysctlSpec, dev: str) -> str:
    return spec.key.replace(DEVICE_PLACEHOLDER, dev.replace(".", "/"))


def _render(key: str, form: str, draw: Any) -> str:
    if form == "any":
        form = draw(st.sampled_from(("dotted", "slash")))
    return key_to_path(key) if form == "slash" else key


@defines_strategy
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
    prof = resolve_profile(profile)
    namespaces = check_namespaces(namespace)
    if writable is not None:
        check_type(bool, writable, "writable")
    check_type(bool, with_domain, "with_domain")
    wanted = None
    if handlers is not None:
        if isinstance(handlers, str):
            raise InvalidArgument(f"handlers={handlers!r} must be a collection of names, not one string")
        wanted = frozenset(handlers)
        unknown = sorted(wanted - supported_handlers() - {s.handler for s in prof.entries.values()})
        if unknown:
            raise InvalidArgument(f"handlers={sorted(wanted)!r}: no entry of profile {prof.name} uses {unknown}")
    if with_domain:
        wanted = (wanted if wanted is not None else supported_handlers()) & supported_handlers()
    specs = select_specs(prof, namespaces, writable, wanted)
    if not specs:
        raise InvalidArgument(f"No entry of profile {prof.name} matches namespace={namespace!r}, "
                              f"writable={writable!r}, handlers={handlers!r}, with_domain={with_domain!r}")
    dev = _devices(devices)

    @st.composite
    def entries(draw: Any) -> tuple[str, SysctlSpec]:
        spec = draw(st.sampled_from(specs))
        key = instantiate(spec, draw(dev)) if spec.is_template else spec.key
        return key, spec

    return entries()


@defines_strategy
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
    form = check_form(form)
    entries = sysctl_entries(profile=profile, namespace=namespace, writable=writable, devices=devices)

    @st.composite
    def keys(draw: Any) -> str:
        key, _ = draw(entries)
        return _render(key, form, draw)

    return keys()

