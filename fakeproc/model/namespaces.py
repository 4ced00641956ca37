"""Namespace instances: the places sysctl values live.

A :class:`Namespace` holds only what differs from its type's static values:
``values`` (written at run time) over ``base`` (captured when it was created,
e.g. a UTS hostname copied from the parent). Everything else reads the profile
default, so an untouched namespace costs a few hundred bytes.

>>> from fakeproc.spec import NamespaceType
>>> ns = Namespace(NamespaceType.IPC, 7)
>>> (ns.type.value, ns.is_init, ns.values)
('ipc', True, {})
"""

from __future__ import annotations

from fakeproc.handlers.base import Value
from fakeproc.spec import NAMESPACE_TYPES, NamespaceType

__all__ = ["IdMap", "Namespace", "NamespaceSet"]

_GLOBAL, _NET = NamespaceType.GLOBAL, NamespaceType.NET
#: Attribute names of a set's members, in NAMESPACE_TYPES order.
_NAMES = tuple(t.value for t in NAMESPACE_TYPES)

#: A uid or gid map of a user namespace: (first inside id, first outside id, count) ranges.
IdMap = tuple[tuple[int, int, int], ...]

#: The map of the initial user namespace: every id maps to itself.
IDENTITY_MAP: IdMap = ((0, 0, 2**32 - 1),)


class Namespace:
    """One instance of a namespace type (or the single global one).

    Attributes:
        type: Its namespace type.
        id: Unique within the kernel; stable across snapshots.
        parent: The namespace it was created from (None for initial ones).
        owner: The user namespace that owns it (None: the initial user namespace).
        label: Optional name given by the creator (``pod/default/web``).
        values: Values written at run time, by key.
        base: Values fixed at creation that differ from the static defaults.
        devices: Network devices (net namespaces only), in registration order.
        uid_map: User namespaces only: how inside uids map to kernel uids.
        gid_map: User namespaces only: the same for gids.
        owner_uid: User namespaces only: the kernel uid of the creator.
        is_init: Whether this is the initial namespace of its type (kept with ``parent``;
            a plain attribute because every read and write asks it).
    """

    __slots__ = (
        "_parent",
        "base",
        "devices",
        "gid_map",
        "id",
        "is_init",
        "label",
        "owner",
        "owner_uid",
        "type",
        "uid_map",
        "values",
    )

    def __init__(
        self,
        type: NamespaceType,
        id: int,
        parent: Namespace | None = None,
        owner: Namespace | None = None,
        label: str | None = None,
    ) -> None:
        self.type = type
        self.id = id
        self.parent = parent  # sets is_init
        self.owner = owner
        self.label = label
        self.values: dict[str, Value] = {}
        self.base: dict[str, Value] = {}
        self.devices: list[str] = []
        self.uid_map: IdMap = IDENTITY_MAP
        self.gid_map: IdMap = IDENTITY_MAP
        self.owner_uid = 0

    @property
    def parent(self) -> Namespace | None:
        """The namespace this one was created from (None: the initial namespace of its type)."""
        return self._parent

    @parent.setter
    def parent(self, parent: Namespace | None) -> None:
        self._parent = parent
        self.is_init = parent is None

    def map_uid(self, inside: int) -> int | None:
        """Kernel uid of ``inside`` in this user namespace (``make_kuid``), None if unmapped."""
        return _map_id(self.uid_map, inside)

    def map_gid(self, inside: int) -> int | None:
        """Kernel gid of ``inside`` in this user namespace (``make_kgid``), None if unmapped."""
        return _map_id(self.gid_map, inside)

    def uid_inside(self, kuid: int) -> int | None:
        """The uid kernel uid ``kuid`` has inside this user namespace (``from_kuid``), None if
        it is not mapped here."""
        for first, lower, count in self.uid_map:
            if lower <= kuid < lower + count:
                return first + (kuid - lower)
        return None

    def gid_inside(self, kgid: int) -> int | None:
        """The gid kernel gid ``kgid`` has inside this user namespace (``from_kgid``), None if
        it is not mapped here."""
        for first, lower, count in self.gid_map:
            if lower <= kgid < lower + count:
                return first + (kgid - lower)
        return None

    def __repr__(self) -> str:
        extra = f" {self.label!r}" if self.label else ""
        return f"<Namespace {self.type.value}:{self.id}{extra}>"


def _map_id(idmap: IdMap, inside: int) -> int | None:
    for first, lower, count in idmap:
        if first <= inside < first + count:
            return lower + (inside - first)
    return None


class NamespaceSet:
    """The namespaces a process lives in, one per type of :data:`~fakeproc.spec.NAMESPACE_TYPES`
    (an ``nsproxy`` plus the user namespace).

    Built with one keyword per type (``NamespaceSet(ipc=..., net=..., uts=..., user=..., pid=...)``);
    each member is an attribute named after its type. Immutable, compared by member ids.
    """

    __slots__ = (*(t.value for t in NAMESPACE_TYPES), "id_tuple")

    # Typing only: the attributes are set from NAMESPACE_TYPES in __init__.
    ipc: Namespace
    net: Namespace
    uts: Namespace
    user: Namespace
    pid: Namespace
    #: Member ids in :data:`NAMESPACE_TYPES` order (kept once: every logged write asks for them).
    id_tuple: tuple[int, ...]

    def __init__(self, **members: Namespace) -> None:
        missing = [t.value for t in NAMESPACE_TYPES if t.value not in members]
        extra = sorted(set(members) - {t.value for t in NAMESPACE_TYPES})
        if missing or extra:
            raise TypeError(f"NamespaceSet needs exactly {', '.join(_NAMES)} (missing {missing}, unknown {extra})")
        for name in _NAMES:
            object.__setattr__(self, name, members[name])
        object.__setattr__(self, "id_tuple", tuple(members[name].id for name in _NAMES))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a NamespaceSet is immutable")

    def get(self, type: NamespaceType) -> Namespace | None:
        """The member of type ``type`` (None for ``GLOBAL``)."""
        # Module-level aliases: an enum member looked up on its class costs a descriptor call.
        if type is _NET:
            return self.net
        if type is _GLOBAL:
            return None
        member: Namespace = getattr(self, type.value)
        return member

    @staticmethod
    def types() -> tuple[NamespaceType, ...]:
        """The namespace types a set has one member of, in ``id_tuple`` order."""
        return NAMESPACE_TYPES

    def members(self) -> dict[NamespaceType, Namespace]:
        """``{type: member}`` in :data:`NAMESPACE_TYPES` order (a fresh dict each call)."""
        return {t: getattr(self, t.value) for t in NAMESPACE_TYPES}

    def replace(self, **members: Namespace) -> NamespaceSet:
        """A set with some members replaced (``nsset.replace(net=new_net)``)."""
        current = {name: getattr(self, name) for name in _NAMES}
        current.update(members)
        return NamespaceSet(**current)

    def ids(self) -> dict[str, int]:
        """``{"ipc": id, "net": id, "uts": id, "user": id, "pid": id}`` (a fresh dict each call)."""
        return dict(zip(_NAMES, self.id_tuple))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamespaceSet) and self.id_tuple == other.id_tuple

    def __hash__(self) -> int:
        return hash(self.id_tuple)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in _NAMES)
        return f"NamespaceSet({inner})"
