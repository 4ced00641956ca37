"""The contract between the kernel model and a handler.

A handler is fakeproc's ``proc_handler``: one call per ``read(2)`` or
``write(2)``, given the entry, its current value, the bytes and the file
position, answering with the new value, the bytes produced or consumed, the
new position and an errno. Handlers are pure: no I/O, no global state.

Values are stored in the kernel's own units (jiffies, not seconds):

* numeric vectors (every ``proc_do*vec*`` handler): ``tuple[int, ...]``
* strings (``proc_dostring`` and friends): ``bytes`` without the NUL
* bitmaps (``proc_do_large_bitmap``): ``int`` used as a bit set
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple, Protocol

from fakeproc.handlers.domain import ValueDomain
from fakeproc.spec import NamespaceType, SysctlSpec

__all__ = [
    "PAGE_SIZE",
    "Handler",
    "HandlerEnv",
    "HandlerFn",
    "Request",
    "Result",
    "TmpTable",
    "Value",
    "derive",
]

#: A stored value; see the module docstring.
Value = tuple[int, ...] | bytes | int

PAGE_SIZE = 4096


class HandlerEnv(Protocol):
    """What a handler may ask the kernel around it (``current``, other sysctls)."""

    @property
    def hz(self) -> int:
        """CONFIG_HZ of the emulated kernel."""
        ...

    @property
    def user_hz(self) -> int:
        """USER_HZ (100 on every architecture fakeproc emulates)."""
        ...

    @property
    def writes_strict(self) -> int:
        """Current ``kernel.sysctl_writes_strict`` (-1 legacy, 0 warn, 1 strict)."""
        ...

    def constant(self, name: str) -> int:
        """A compile-time constant of the emulated kernel, by its kernel name
        (``TAINT_FLAGS_COUNT``): profile data, never a version comparison.

        Raises:
            KeyError: the profile does not state ``name``.
        """
        ...

    @property
    def legacy(self) -> frozenset[str]:
        """Names of older-kernel behaviours the profile turns on (empty: 6.18 behaviour).

        See ``fakeproc.handlers.LEGACY_BEHAVIOURS`` for the names and what each changes.
        """
        ...

    def lookup(self, key: str) -> Value:
        """Current value of another entry, in the caller's namespaces."""
        ...

    def capable(self, capability: str) -> bool:
        """Whether the caller holds ``capability`` (e.g. ``CAP_SYS_ADMIN``) over the entry's namespace."""
        ...

    def ancestor_values(self) -> list[Value]:
        """The entry's value in each ancestor of the caller's namespace that holds it, nearest
        first (empty in an initial namespace): ``pid_ns->parent`` and up."""
        ...

    def make_kgid(self, gid: int) -> int | None:
        """The kernel gid of ``gid`` as the caller's user namespace maps it (``make_kgid``);
        None when it is not mapped there (the kernel's INVALID_GID)."""
        ...

    def from_kgid(self, kgid: int) -> int | None:
        """The gid kernel gid ``kgid`` has in the caller's user namespace (``from_kgid``);
        None when it is not mapped there (a read shows ``overflowgid`` then)."""
        ...

    def initial_namespace(self, type: NamespaceType) -> bool:
        """Whether the caller's namespace of ``type`` is the initial one (``net_eq(net, &init_net)``).

        Always True for :attr:`NamespaceType.GLOBAL`.
        """
        ...

    def log(self, message: str) -> None:
        """Emit a kernel log line (``pr_warn_once`` and friends)."""
        ...


class Request(NamedTuple):
    """One handler call: a read when ``data`` is None, else a write of ``data``.

    Attributes:
        spec: The entry.
        value: Its current value in the caller's namespace.
        pos: The file position (``*ppos``).
        data: Bytes written, or None for a read.
        size: Bytes asked for by a read (``*lenp``); ``len(data)`` for a write.
        env: The surrounding kernel.
        key: The concrete key accessed (for per-device templates, the device's own
            key, e.g. ``net.ipv6.conf.eth0.addr_gen_mode``); empty when unknown.
    """

    spec: SysctlSpec
    value: Value
    pos: int
    data: bytes | None
    size: int
    env: HandlerEnv
    key: str = ""

    @property
    def write(self) -> bool:
        return self.data is not None


class Result(NamedTuple):
    """A handler's answer.

    Attributes:
        value: The value after the call. With a non-zero ``errno`` it may still
            differ from the old one: the kernel's vector handlers store element
            by element, so leading elements stay written.
        output: Bytes produced by a read (empty for a write).
        count: Bytes consumed by a write (may be less than written: a short
            write) or ``len(output)`` for a read.
        pos: The new file position.
        errno: 0 on success, else the kernel's errno.
    """

    value: Value
    output: bytes = b""
    count: int = 0  # type: ignore[assignment]  # shadows tuple.count on purpose
    pos: int = 0
    errno: int = 0


HandlerFn = Callable[[Request], Result]


@dataclass(frozen=True, slots=True)
class Handler:
    """A registered handler: its call, how to load a default from text, and the values it
    accepts. Built by the :func:`fakeproc.handlers.registry.proc_handler` decorator.

    Attributes:
        name: The kernel function name (``proc_dointvec_minmax``).
        call: The handler itself.
        parse: Turns an entry's default text (as a read shows it, without the
            newline) into a stored value, without bounds checks.
        kind: ``"vector"``, ``"string"`` or ``"bitmap"``: the stored value's type.
        domain: The values it accepts (6.18 behaviour), as data.
        legacy_domains: (legacy behaviour, domain) pairs: the domain an older kernel's
            behaviour (``HandlerEnv.legacy``) gives instead.
        since: First kernel (major, minor) that has this handler, if it matters.
        cacheable: Whether a complete read at offset 0 depends only on the stored
            value (so the model may reuse its output). False when the read
            depends on the caller (``ipv4_ping_group_range`` maps gids through
            the reader's user namespace) or on something else that changes.
    """

    name: str
    call: HandlerFn
    parse: Callable[[SysctlSpec, str, HandlerEnv], Value]
    kind: str
    domain: ValueDomain
    legacy_domains: tuple[tuple[str, ValueDomain], ...] = ()
    since: tuple[int, int] | None = None
    cacheable: bool = True

    def domain_for(self, legacy: frozenset[str]) -> ValueDomain:
        """The domain under a profile's ``legacy`` behaviours (the last matching pair wins)."""
        domain = self.domain
        for behaviour, changed in self.legacy_domains:
            if behaviour in legacy:
                domain = changed
        return domain


#: Memo of :func:`derive` (a cache, not state: the same arguments always give an equal spec).
_DERIVED: dict[tuple[int, tuple[tuple[str, object], ...]], tuple[SysctlSpec, SysctlSpec]] = {}


def derive(spec: SysctlSpec, **changes: object) -> SysctlSpec:
    """``spec`` with some handler arguments changed: the temporary ``ctl_table`` a special
    handler builds around a generic one (``struct ctl_table tmp = { .extra1 = ... }``).

    Building a frozen spec is slow next to a handler call, so the result is memoised.
    Where the changes are constants, a module-level :class:`TmpTable` is cheaper still.
    """
    key = (id(spec), tuple(changes.items()))  # keyword order is fixed per call site
    hit = _DERIVED.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    derived = replace(spec, **changes)  # type: ignore[arg-type]
    _DERIVED[key] = (spec, derived)
    return derived


class TmpTable:
    """A fixed :func:`derive`: the same argument changes for every entry it is applied to,
    declared once beside the handler that uses it (``ipv4_local_port_range``'s two-int
    table with bounds 1 and 65535). Calling it with an entry gives the derived spec."""

    __slots__ = ("_changes", "_memo")

    def __init__(self, **changes: object) -> None:
        self._changes = changes
        self._memo: dict[int, tuple[SysctlSpec, SysctlSpec]] = {}

    def __call__(self, spec: SysctlSpec) -> SysctlSpec:
        hit = self._memo.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1]
        derived = derive(spec, **self._changes)
        self._memo[id(spec)] = (spec, derived)
        return derived

    def __repr__(self) -> str:
        return f"TmpTable({', '.join(f'{k}={v!r}' for k, v in self._changes.items())})"
