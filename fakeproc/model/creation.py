"""Namespace creation: booting the initial namespaces, ``unshare(2)``, devices, and the
values a new namespace copies from elsewhere when it is created (its creation rules).

A mixin of :class:`~fakeproc.model.kernel.Kernel`: the kernel's state lives there; this
module is the job of making namespaces, kept apart from storing and calling handlers.

>>> from fakeproc.model.kernel import Kernel
>>> k = Kernel("6.18")
>>> pod = k.unshare(net=True)
>>> pod.net.devices
['lo']
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fakeproc.errors import UsageError
from fakeproc.handlers import Value
from fakeproc.model.namespaces import Namespace, NamespaceSet
from fakeproc.model.tree import Tree
from fakeproc.profiles import Profile
from fakeproc.spec import (
    DEVICE_PLACEHOLDER,
    NAMESPACE_TYPES,
    NEW_NAMESPACE_DEVICES,
    CreationRule,
    NamespaceType,
    SysctlSpec,
)

__all__ = ["NamespaceCreation", "first_int"]

_DEVCONF_KEY = "net.core.devconf_inherit_init_net"
#: ``net_inherit_devconf()`` value -> where a new netns's conf/all and conf/default come from
#: (net/ipv4/devinet.c ``devinet_init_net``, net/ipv6/addrconf.c ``addrconf_init_net``).
_DEVCONF_SOURCE: dict[CreationRule, dict[int, CreationRule]] = {
    CreationRule.DEVCONF_IPV4: {
        0: CreationRule.COPY_INIT,
        1: CreationRule.COPY_INIT,
        2: CreationRule.COMPILE_DEFAULT,
        3: CreationRule.COPY_PARENT,
    },
    CreationRule.DEVCONF_IPV6: {
        0: CreationRule.COMPILE_DEFAULT,
        1: CreationRule.COPY_INIT,
        2: CreationRule.COMPILE_DEFAULT,
        3: CreationRule.COPY_PARENT,
    },
}
#: The types a process can unshare besides its user namespace, which is created first (it
#: owns the others) and has its own rules (id maps).
_OWNED_TYPES = tuple(t for t in NAMESPACE_TYPES if t is not NamespaceType.USER)


#: Types the model gained after state files and documented outputs named namespace ids: the
#: initial namespace of such a type is numbered 0, below every other id, so that each other
#: namespace keeps the id it had before (the initial pid namespace).
_LATE_TYPES = (NamespaceType.PID,)


def _owner_of(user_ns: Namespace) -> Namespace | None:
    return None if user_ns.is_init else user_ns


def first_int(value: Value) -> int:
    """The first number of a stored value (0 for a string or an empty vector)."""
    if isinstance(value, tuple):
        return value[0] if value else 0
    if isinstance(value, int):
        return value
    return 0


class NamespaceCreation:
    """The namespace-making half of the kernel (see the module docstring)."""

    # State and lookups the kernel provides (typing only).
    profile: Profile
    init_ns: NamespaceSet
    _lock: threading.RLock
    _next_id: int
    _namespaces: dict[int, Namespace]
    _global: Namespace
    _copy_specs: dict[NamespaceType, list[SysctlSpec]]
    _copy_plans: dict[NamespaceType, list[tuple[SysctlSpec, Value, Value]]]
    _plan: list[tuple[SysctlSpec, SysctlSpec | None, Value | None, Value]] | None
    _trees: dict[tuple[object, ...], Tree]

    if TYPE_CHECKING:
        def _spec(self, key: str, nsset: NamespaceSet) -> SysctlSpec | None: ...
        def _parse(self, spec: SysctlSpec, text: str | None, *, fresh: bool) -> Value: ...
        def _resolve(self, spec: SysctlSpec, key: str, ns: Namespace | None) -> Value: ...
        def _value_of(self, key: str, nsset: NamespaceSet) -> Value: ...
        def _has_spec(self, key: str) -> bool: ...

    def _boot(self) -> None:
        self._next_id = 1
        self._namespaces: dict[int, Namespace] = {}
        late = {type: Namespace(type, 0) for type in _LATE_TYPES}
        self._namespaces.update((ns.id, ns) for ns in late.values())  # oldest first means lowest id first
        self._global = self._new_ns(NamespaceType.GLOBAL, None, None)
        members = {"user": self._new_ns(NamespaceType.USER, None, None)}
        for type in _OWNED_TYPES:
            members[type.value] = late[type] if type in late else self._new_ns(type, None, None)
        self.init_ns = NamespaceSet(**members)
        self._boot_devices()

    def _boot_devices(self) -> None:
        """The initial netns's devices, with their observed boot values."""
        for dev in self.profile.init_devices:
            self._register_device(self.init_ns.net, dev)
        for dev, values in self.profile.device_values.items():
            for key, text in values.items():
                spec = self._spec(key, self.init_ns)
                if spec is not None:
                    self.init_ns.net.base[key] = self._parse(spec, text, fresh=False)

    def _new_ns(self, type: NamespaceType, parent: Namespace | None, owner: Namespace | None,
                label: str | None = None) -> Namespace:
        ns = Namespace(type, self._next_id, parent, owner, label)
        self._next_id += 1
        self._namespaces[ns.id] = ns
        return ns

    def unshare(
        self,
        parent: NamespaceSet | None = None,
        *,
        ipc: bool = False,
        net: bool = False,
        uts: bool = False,
        user: bool = False,
        pid: bool = False,
        label: str | None = None,
        owner_uid: int = 0,
        owner_gid: int = 0,
    ) -> NamespaceSet:
        """New namespaces for the chosen types, as ``unshare(2)`` makes them from ``parent``.

        Each new namespace takes its values by its entries' creation rules: an
        IPC namespace starts from the compile-time defaults, UTS copies the
        parent, a user namespace gets ``user.max_*`` = INT_MAX, a net
        namespace follows ``devconf_inherit_init_net`` and has only ``lo``, a
        pid namespace takes the largest ``vm.memfd_noexec`` of its ancestors.

        With ``pid`` the set returned is that of a child forked afterwards
        (``unshare --pid --fork``): ``unshare(2)`` leaves the caller in its own
        pid namespace and puts its next children in the new one.

        Args:
            parent: The creating process's namespaces (default: the initial ones).
            ipc, net, uts, user, pid: Which types to create anew.
            label: A name to find the set again (:meth:`namespace_by_label`).
            owner_uid, owner_gid: With ``user``: the creator's kernel uid/gid,
                mapped to root inside the new user namespace.
        """
        with self._lock:
            parent = parent or self.init_ns
            new_user = parent.user
            if user:
                new_user = self._new_ns(NamespaceType.USER, parent.user, _owner_of(parent.user), label)
                new_user.owner_uid = owner_uid
                new_user.uid_map = ((0, owner_uid, 1),)
                new_user.gid_map = ((0, owner_gid, 1),)
                self._inherit(new_user, parent)
            owner = _owner_of(new_user)
            wanted = {NamespaceType.IPC: ipc, NamespaceType.NET: net, NamespaceType.UTS: uts,
                      NamespaceType.PID: pid}
            members: dict[str, Namespace] = {"user": new_user}
            for type in _OWNED_TYPES:
                old = parent.get(type)
                assert old is not None
                if not wanted.get(type):
                    members[type.value] = old
                    continue
                ns = self._new_ns(type, old, owner, label)
                self._inherit(ns, parent)
                members[type.value] = ns
                for dev in NEW_NAMESPACE_DEVICES.get(type, ()):
                    self._register_device(ns, dev)
            return NamespaceSet(**members)

    def _inherit(self, ns: Namespace, parent: NamespaceSet) -> None:
        """Capture the values a new namespace copies from elsewhere (its ``base``)."""
        devconf = first_int(self._value_of(_DEVCONF_KEY, self.init_ns)) if self._has_spec(_DEVCONF_KEY) else 0
        from_parent = parent.get(ns.type)
        from_init = self.init_ns.get(ns.type)
        base = ns.base
        for spec, boot, fresh in self._copy_plan(ns.type):
            rule = spec.creation
            if rule in _DEVCONF_SOURCE:
                rule = _DEVCONF_SOURCE[rule].get(devconf, CreationRule.COMPILE_DEFAULT)
            if rule is CreationRule.COPY_PARENT_MAX:
                assert from_parent is not None
                largest = self._ancestor_max(spec, from_parent)
                if largest != fresh:
                    base[spec.key] = largest
                continue
            if rule is CreationRule.COPY_PARENT:
                source = from_parent
            elif rule is CreationRule.COPY_INIT:
                source = from_init
            else:
                continue
            assert source is not None
            key = spec.key
            value = source.values.get(key)
            if value is None:
                value = source.base.get(key)
                if value is None:
                    value = boot if source.is_init else fresh
            if value != fresh:
                base[key] = value

    def ancestry_values(self, spec: SysctlSpec, ns: Namespace) -> list[Value]:
        """The values ``spec`` holds in ``ns`` and each of its ancestors, nearest first."""
        values = []
        node: Namespace | None = ns
        while node is not None:
            values.append(self._resolve(spec, spec.key, node))
            node = node.parent
        return values

    def _ancestor_max(self, spec: SysctlSpec, ns: Namespace) -> Value:
        """``pidns_memfd_noexec_scope(ns)``: the largest value of ``ns`` and its ancestors."""
        return max(self.ancestry_values(spec, ns), key=first_int)

    def _copy_plan(self, type: NamespaceType) -> list[tuple[SysctlSpec, Value, Value]]:
        """(spec, boot value, new-namespace value) of the entries a new ``type`` namespace copies."""
        plan = self._copy_plans.get(type)
        if plan is None:
            plan = self._copy_plans[type] = [
                (spec, self._parse(spec, None, fresh=False), self._parse(spec, None, fresh=True))
                for spec in self._copy_specs[type]
            ]
        return plan

    def add_device(self, ns: NamespaceSet, name: str) -> None:
        """Register network device ``name`` in ``ns``'s net namespace (its conf/neigh entries appear).

        Raises:
            UsageError: the device exists already or the name is not a valid interface name.
        """
        if not name or len(name) > 15 or "/" in name or name in (".", "..") or any(c.isspace() for c in name):
            raise UsageError(f"invalid network device name {name!r}")
        with self._lock:
            if name in ns.net.devices or name in ("all", "default"):
                raise UsageError(f"network device {name!r} exists in net namespace {ns.net.id}")
            self._register_device(ns.net, name)

    def _device_plan(self) -> list[tuple[SysctlSpec, SysctlSpec | None, Value | None, Value]]:
        """Per template: (template, its device_source spec, lo's value if special, static value)."""
        if self._plan is None:
            plan = []
            for template in self.profile.templates.values():
                source = self.profile.entries.get(template.device_source) if template.device_source else None
                lo = (self._parse(template, template.loopback_default, fresh=False)
                      if template.loopback_default is not None else None)
                plan.append((template, source, lo, self._parse(template, None, fresh=False)))
            self._plan = plan
        return self._plan

    def _register_device(self, net: Namespace, name: str) -> None:
        """Copy the device's conf/neigh values from their sources, as device registration does."""
        net.devices.append(name)
        keyform = name.replace(".", "/")
        for template, source, lo_value, static in self._device_plan():
            if lo_value is not None and name == "lo":
                value = lo_value
            elif source is not None:
                store: Namespace | None = net
                if source.creation is CreationRule.ABSENT and not net.is_init:
                    store = self.init_ns.net  # neigh/default lives in init_net only
                value = self._resolve(source, source.key, store)
            else:
                continue
            if value != static:
                net.base[template.key.replace(DEVICE_PLACEHOLDER, keyform)] = value

    def drop_namespaces(self, nsset: NamespaceSet) -> None:
        """Forget the non-initial members of ``nsset`` (their processes are gone)."""
        with self._lock:
            for ns in nsset.members().values():
                if not ns.is_init:
                    self._namespaces.pop(ns.id, None)

    def namespace_by_label(self, label: str) -> NamespaceSet | None:
        """The namespaces created with ``label`` (initial ones fill the types it did not unshare)."""
        with self._lock:
            found = {ns.type: ns for ns in self._namespaces.values() if ns.label == label}
        if not found:
            return None
        return NamespaceSet(**{t.value: found.get(t) or init for t, init in self.init_ns.members().items()})

    def namespaces(self, type: NamespaceType | None = None) -> list[Namespace]:
        """Live namespaces (of one type, or all), oldest first."""
        with self._lock:
            return [ns for ns in self._namespaces.values() if type is None or ns.type is type]

    def namespace(self, id: int) -> Namespace:
        """The namespace with ``id``; ``KeyError`` if it does not exist."""
        return self._namespaces[id]
