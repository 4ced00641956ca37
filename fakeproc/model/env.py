"""The handler environment: the kernel as one handler call sees it (``current`` and friends).

>>> from fakeproc.model.kernel import Kernel
>>> from fakeproc.model.permissions import ROOT
>>> k = Kernel("6.18")
>>> env = CallEnv(k, k.init_ns, ROOT, k.spec("kernel.sem"))
>>> (env.hz, env.writes_strict, env.lookup("vm.swappiness"))
(250, 1, (60,))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeproc.handlers import Value
from fakeproc.model.namespaces import NamespaceSet
from fakeproc.model.permissions import Caller, ns_capable
from fakeproc.spec import NamespaceType, SysctlSpec

if TYPE_CHECKING:
    from fakeproc.model.kernel import Kernel

__all__ = ["CallEnv"]

#: ``(gid_t)-1``: never a valid id, not even in the initial user namespace.
_INVALID_ID = 2**32 - 1


class CallEnv:
    """The :class:`~fakeproc.handlers.HandlerEnv` of one call: what a handler may ask the
    kernel around it (clock rates, ``sysctl_writes_strict``, other entries in the caller's
    namespaces, the caller's capabilities and id maps, the kernel log)."""

    __slots__ = ("_caller", "_kernel", "_nsset", "_spec")

    def __init__(self, kernel: Kernel, nsset: NamespaceSet, caller: Caller, spec: SysctlSpec) -> None:
        self._kernel = kernel
        self._nsset = nsset
        self._caller = caller
        self._spec = spec

    @property
    def hz(self) -> int:
        return self._kernel.profile.hz

    @property
    def user_hz(self) -> int:
        return self._kernel.profile.user_hz

    @property
    def writes_strict(self) -> int:
        return self._kernel._writes_strict()

    def constant(self, name: str) -> int:
        return self._kernel.profile.constants[name]

    @property
    def legacy(self) -> frozenset[str]:
        return self._kernel.profile.legacy

    def lookup(self, key: str) -> Value:
        return self._kernel._value_of(key, self._nsset)

    def capable(self, capability: str) -> bool:
        ns = self._kernel._instance(self._spec, self._nsset)
        owner = None
        if ns is not None:
            owner = ns if ns.type is NamespaceType.USER else ns.owner
        return ns_capable(self._caller, owner, capability)

    def ancestor_values(self) -> list[Value]:
        ns = self._kernel._instance(self._spec, self._nsset)
        if ns is None or ns.parent is None:
            return []
        return self._kernel.ancestry_values(self._spec, ns.parent)

    def make_kgid(self, gid: int) -> int | None:
        user_ns = self._caller.user_ns
        return (gid if 0 <= gid < _INVALID_ID else None) if user_ns is None else user_ns.map_gid(gid)

    def from_kgid(self, kgid: int) -> int | None:
        user_ns = self._caller.user_ns
        return kgid if user_ns is None else user_ns.gid_inside(kgid)

    def initial_namespace(self, type: NamespaceType) -> bool:
        ns = self._nsset.get(type)
        return ns is None or ns.is_init

    def log(self, message: str) -> None:
        self._kernel.dmesg.append(message)
