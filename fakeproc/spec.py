"""The vocabulary every layer shares: what a sysctl entry *is*.

A :class:`SysctlSpec` is fakeproc's ``struct ctl_table``: it describes one file
under ``/proc/sys`` (its key, mode, the kernel handler that parses and formats
it and that handler's arguments), plus what the kernel's table does not say
explicitly but an emulator must know: which namespace type owns the value, the
value it holds at boot, and how a new namespace obtains its own copy.

>>> spec = SysctlSpec(key="kernel.shmmni", mode=0o644, handler="proc_dointvec_minmax",
...                   namespace=NamespaceType.IPC, default="4096", min=0, max=32768)
>>> spec.path
'kernel/shmmni'
>>> key_to_path("net.ipv4.conf.eth0/100.rp_filter")
'net/ipv4/conf/eth0.100/rp_filter'
>>> SysctlSpec(key="net.ipv6.conf.all.stable_secret", mode=0o600, handler="x").devconf
<DevconfScope.ALL: 'all'>
>>> devconf_key("net.ipv6.conf.eth0.addr_gen_mode", "stable_secret", DevconfScope.DEFAULT)
'net.ipv6.conf.default.stable_secret'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "DEVICE_PLACEHOLDER",
    "INT_MAX",
    "INT_MIN",
    "LONG_MAX",
    "NAMESPACE_TYPES",
    "NEW_NAMESPACE_DEVICES",
    "U8_MAX",
    "UINT_MAX",
    "ULONG_MAX",
    "Bound",
    "CreationRule",
    "DevconfScope",
    "NamespaceType",
    "Provenance",
    "SysctlSpec",
    "devconf_key",
    "key_to_path",
    "path_to_key",
]

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)
UINT_MAX = 2**32 - 1
LONG_MAX = 2**63 - 1
ULONG_MAX = 2**64 - 1
U8_MAX = 255

#: Placeholder for the interface name in per-device template keys,
#: e.g. ``net.ipv4.conf.<dev>.rp_filter``.
DEVICE_PLACEHOLDER = "<dev>"

#: A handler bound: one value for every element, or one value per element
#: (``proc_doulongvec_minmax`` walks ``extra1``/``extra2`` as arrays).
Bound = int | tuple[int, ...] | None


class NamespaceType(enum.Enum):
    """The namespace whose instance holds an entry's value."""

    GLOBAL = "global"
    IPC = "ipc"
    NET = "net"
    UTS = "uts"
    USER = "user"
    PID = "pid"


#: The namespace types a process has one instance of each (an ``nsproxy`` plus its user
#: namespace), in the order namespace sets, write logs and snapshots list them. This is the
#: one list: a namespace set, namespace creation and snapshots are generic over it. PID came
#: last, so the ids of the older types keep their positions in write-log tuples. The PID
#: member is the caller's *active* pid namespace (``task_active_pid_ns``), the one the
#: kernel/pid_namespace.c and kernel/pid_sysctl.h handlers use.
NAMESPACE_TYPES: tuple[NamespaceType, ...] = (NamespaceType.IPC, NamespaceType.NET, NamespaceType.UTS,
                                              NamespaceType.USER, NamespaceType.PID)

#: Network devices every new namespace of a type registers when it is created: a new net
#: namespace has only ``lo`` (``loopback_net_init``, drivers/net/loopback.c).
NEW_NAMESPACE_DEVICES: dict[NamespaceType, tuple[str, ...]] = {NamespaceType.NET: ("lo",)}


class CreationRule(enum.Enum):
    """Where a new namespace's value of an entry comes from."""

    #: The compiled-in default (``create_ipc_ns`` -> ``sem_init_ns``): ``ns_default`` or ``default``.
    COMPILE_DEFAULT = "compile_default"
    #: A copy of the creating namespace's current value (``clone_uts_ns``).
    COPY_PARENT = "copy_parent"
    #: A copy of the initial namespace's current value (``tcp_sk_init`` for tcp_rmem).
    COPY_INIT = "copy_init"
    #: Registered with ``&init_net`` only: the file does not exist in other namespaces.
    ABSENT = "absent"
    #: IPv4 ``conf/all`` and ``conf/default``: chosen by ``net.core.devconf_inherit_init_net``
    #: (``devinet_init_net`` in ``net/ipv4/devinet.c``).
    DEVCONF_IPV4 = "devconf_ipv4"
    #: IPv6 ``conf/all`` and ``conf/default`` (``addrconf_init_net`` in ``net/ipv6/addrconf.c``).
    DEVCONF_IPV6 = "devconf_ipv6"
    #: The largest value the creating namespace or any of its ancestors holds: a new pid
    #: namespace's ``memfd_noexec_scope`` is ``pidns_memfd_noexec_scope(parent)``
    #: (``create_pid_namespace``, kernel/pid_namespace.c; include/linux/pid_namespace.h).
    COPY_PARENT_MAX = "copy_parent_max"
    #: A per-device entry copied from ``device_source`` in the same namespace when the device
    #: registers (``conf/<dev>`` from ``conf/default``); see :attr:`SysctlSpec.device_source`.
    COPY_DEVICE_SOURCE = "copy_device_source"


class DevconfScope(enum.Enum):
    """Which per-interface configuration of an address family a ``conf`` row belongs to.

    The kernel registers one copy of the devconf table per configuration, under
    ``net/ipv4/conf/<name>`` and ``net/ipv6/conf/<name>``, each row's data pointing into
    that configuration; handlers tell them apart by that pointer (``addrconf_sysctl_stable_secret``
    compares ``ctl->data`` with ``&net->ipv6.devconf_all->stable_secret``). In fakeproc the
    directory name is the configuration, so the scope follows from the row's key.
    """

    ALL = "all"  #: ``net->ipv6.devconf_all`` / ``net->ipv4.devconf_all``
    DEFAULT = "default"  #: ``devconf_dflt``: what a new device copies
    DEVICE = "device"  #: a device's own (``idev->cnf``, ``in_dev->cnf``); template rows


#: Components of a devconf key: ``net.<family>.conf.<configuration>.<procname>``.
_DEVCONF_PARTS = 5


class Provenance(enum.Enum):
    """How we know an entry's facts."""

    SOURCE = "source"  # read in kernel source
    OBSERVED = "observed"  # captured from a real kernel
    INFERRED = "inferred"  # deduced from the value's shape; not verified


@dataclass(frozen=True, slots=True)
class SysctlSpec:
    """One ``/proc/sys`` file: a ``ctl_table`` row plus its namespace facts.

    Attributes:
        key: Canonical dotted key. Per-device templates contain ``<dev>``.
        mode: Permission bits as registered (``0o644``, ``0o444``, ``0o200``...).
        handler: Kernel handler name, a key of ``fakeproc.handlers.HANDLERS``.
        namespace: The namespace type that owns the value.
        default: Boot value in the initial namespace, as a read returns it
            without the final newline (numbers TAB-separated).
        creation: How a new namespace of ``namespace`` gets its value.
        ns_default: Value of a new namespace under ``COMPILE_DEFAULT`` when it
            differs from ``default`` (e.g. ``user.max_*`` = INT_MAX).
        length: Number of elements of a numeric vector (``maxlen / sizeof``).
        maxlen: Buffer size for strings (max length + 1) or bit count for bitmaps.
        min: Lower bound (``extra1``); ``None`` means unbounded.
        max: Upper bound (``extra2``); ``None`` means unbounded.
        device_source: For per-device templates, the template key the value is
            copied from when a device registers (``net.ipv4.conf.default.<leaf>``).
        loopback_default: Value ``lo`` gets instead of the copied one, where the
            loopback driver changes it (``disable_policy`` = 1).
        provenance: How the entry's semantics are known.
        source: Where, e.g. ``ipc/ipc_sysctl.c`` or ``observed 6.18.44``.
        registered_in: The namespace type whose sysctl table registers the
            file, when that differs from where the value lives: ``net.core.rmem_max``
            is one global value shown in every netns (``netns_core_table``).
            ``None`` means ``namespace``.
        child_mode: The file's mode in a non-initial namespace of
            ``registered_in`` when the kernel changes it there (``0o444`` for
            ``net.core.rmem_max`` and ``nf_conntrack_max`` in a child netns).
        alias_of: Another key whose storage this file shares (``net.ipv4.ip_forward``
            is ``net.ipv4.conf.all.forwarding``).
        on_write: Name of a side effect run after a write changed the value
            (``fakeproc.model.effects.EFFECTS``), e.g. ``devinet_forward``.
        min_key: The lower bound is the current value of this entry in the same
            namespaces (the kernel's ``extra1`` points at its data:
            ``ipfrag_high_thresh`` >= ``ipfrag_low_thresh``); ``min`` is its boot value.
        max_key: The same for the upper bound (``tcp_reordering`` <= ``tcp_max_reordering``).
        mode_if_capable: ``(capability, mode)``: the mode every caller sees while it holds
            ``capability`` over the namespace's owning user namespace. In 6.x
            ``ipc_permissions`` opens the ``*_next_id`` files (registered 0444) as 0666 to
            CAP_CHECKPOINT_RESTORE holders, so that CRIU can restore IPC object ids.
        init_user_ns_only: The file exists only in namespaces of its table's type that the
            initial user namespace owns: a table registered with ``procname = NULL`` (or size 0)
            "to not export sysctls to unprivileged users" when ``net->user_ns !=
            &init_user_ns`` (``net/xfrm/xfrm_sysctl.c``, ``net/ipv6/route.c``). A netns made by
            ``unshare -r -n`` lacks it.
    """

    key: str
    mode: int
    handler: str
    namespace: NamespaceType = NamespaceType.GLOBAL
    default: str = ""
    creation: CreationRule = CreationRule.COMPILE_DEFAULT
    ns_default: str | None = None
    length: int = 1
    maxlen: int = 0
    min: Bound = None
    max: Bound = None
    device_source: str | None = None
    loopback_default: str | None = None
    provenance: Provenance = Provenance.INFERRED
    source: str = ""
    registered_in: NamespaceType | None = None
    child_mode: int | None = None
    alias_of: str | None = None
    on_write: str | None = None
    min_key: str | None = None
    max_key: str | None = None
    mode_if_capable: tuple[str, int] | None = None
    init_user_ns_only: bool = False
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def path(self) -> str:
        """The slash path relative to ``/proc/sys``."""
        return key_to_path(self.key)

    @property
    def is_template(self) -> bool:
        """Whether this is a per-device template (``<dev>`` in the key)."""
        return DEVICE_PLACEHOLDER in self.key

    @property
    def table_namespace(self) -> NamespaceType:
        """The namespace type whose table registers the file (visibility and ``child_mode``)."""
        return self.registered_in or self.namespace

    @property
    def procname(self) -> str:
        """The file's own name (the ``ctl_table``'s ``procname``): the key's last component."""
        return self.key.rpartition(".")[2]

    @property
    def devconf(self) -> DevconfScope | None:
        """The configuration a ``net.ipv4.conf``/``net.ipv6.conf`` row belongs to; None for
        any other row."""
        parts = self.key.split(".")
        if len(parts) != _DEVCONF_PARTS or parts[0] != "net" or parts[2] != "conf":
            return None
        for scope in (DevconfScope.ALL, DevconfScope.DEFAULT):
            if parts[3] == scope.value:
                return scope
        return DevconfScope.DEVICE

    def bound_at(self, bound: Bound, index: int) -> int | None:
        """The bound that applies to element ``index``."""
        if isinstance(bound, tuple):
            return bound[index] if index < len(bound) else bound[-1]
        return bound


def devconf_key(key: str, procname: str, scope: DevconfScope | None = None) -> str:
    """The key of ``procname`` in the configuration of devconf key ``key`` (the same
    device), or, given ``scope`` ``ALL`` or ``DEFAULT``, in that configuration of the same
    family: where a handler finds a sibling row of the same ``ipv6_devconf``.

    Raises:
        ValueError: ``key`` is not a devconf key, or ``scope`` is ``DEVICE``.
    """
    parts = key.split(".")
    if len(parts) != _DEVCONF_PARTS or parts[0] != "net" or parts[2] != "conf" or scope is DevconfScope.DEVICE:
        raise ValueError(f"no devconf sibling {procname!r} of {key!r} in scope {scope}")
    return ".".join((*parts[:3], parts[3] if scope is None else scope.value, procname))


def key_to_path(key: str) -> str:
    """Convert a dotted key to a ``/proc/sys``-relative path, as procps does.

    Dots separate components; a slash inside a key stands for a dot in a
    component (VLAN interfaces: ``eth0/100`` is the directory ``eth0.100``).
    """
    return "/".join(part.replace("/", ".") for part in key.split("."))


def path_to_key(path: str) -> str:
    """Convert a ``/proc/sys``-relative (or absolute) path to the dotted key."""
    rel = path
    for prefix in ("/proc/sys/", "/"):
        rel = rel.removeprefix(prefix)
    return ".".join(part.replace(".", "/") for part in rel.strip("/").split("/") if part)
