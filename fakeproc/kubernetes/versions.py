"""What changes between Kubernetes versions, as data: safe lists, kernel gates, messages.

Every version-dependent fact of the pod-sysctl pipeline is a row here, keyed by
the first Kubernetes minor version that has it. Stage modules ask
:func:`pick` for the row that applies; none of them compares versions itself.

>>> v = KubeVersion.parse("v1.21.3")
>>> v, str(v)
(KubeVersion(major=1, minor=21), '1.21')
>>> pick(KUBELET_NOT_LISTED, v) % '"kernel.sem"'
'"kernel.sem" not whitelisted'
>>> [s.name for s in safe_sysctls(KubeVersion(1, 16), (5, 15))]
['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from fakeproc.errors import UsageError

__all__ = [
    "API_DUPLICATE_CHECK",
    "API_HOST_NAMESPACE_CHECK",
    "API_SYSCTL_NAME",
    "DEFAULT_VERSION",
    "EVENT_FROM_KUBELET",
    "EVENT_SCALED_UP",
    "IPC_SYSCTLS",
    "KUBELET_NAMESPACES",
    "KUBELET_NORMALIZES",
    "KUBELET_NOT_LISTED",
    "KUBELET_PATTERN",
    "KUBELET_STARTUP_UNKNOWN",
    "KUBELET_STATUS_PREFIX",
    "LEGACY_NAMESPACE_RULE",
    "OLDEST_VERSION",
    "POD_UPDATABLE_FIELDS",
    "PSA_ALLOWED_SYSCTLS",
    "PSA_INTRODUCED",
    "PSP_REMOVED",
    "SAFE_SYSCTLS",
    "KubeVersion",
    "NamespaceRule",
    "NamespaceTable",
    "NewestVersion",
    "SafeSysctl",
    "StartupMessages",
    "SysctlNameFormat",
    "kernel_version",
    "pick",
    "safe_sysctls",
]

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class KubeVersion:
    """A Kubernetes minor version (patch releases do not change sysctl behaviour).

    Attributes:
        major: Always 1 so far.
        minor: The minor version.
    """

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str | KubeVersion) -> KubeVersion:
        """``"1.29"``, ``"v1.29.3"`` or ``"1.29.0-rc.1"`` -> ``KubeVersion(1, 29)``.

        Raises:
            UsageError: not a version, or outside the versions fakeproc models.
        """
        if isinstance(text, KubeVersion):
            version = text
        else:
            m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?", text.strip())
            if not m:
                raise UsageError(f"not a Kubernetes version: {text!r} (expected e.g. 1.29)")
            version = cls(int(m.group(1)), int(m.group(2)))
        if not OLDEST_VERSION <= version <= NewestVersion:
            raise UsageError(
                f"Kubernetes {version} is not modelled: fakeproc covers {OLDEST_VERSION} to {NewestVersion}"
            )
        return version

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def _v(minor: int) -> KubeVersion:
    return KubeVersion(1, minor)


#: The oldest version modelled (the era of the seed article and the original design docs).
OLDEST_VERSION = _v(16)
#: The newest version modelled; 1.37 was in its alpha cycle when the reference was written.
NewestVersion = _v(37)
#: The default: the newest *released* version the reference covers.
DEFAULT_VERSION = _v(36)


def pick(table: Sequence[tuple[KubeVersion, T]], version: KubeVersion) -> T:
    """The value of the last row of ``table`` whose version is at most ``version``.

    Rows are ``(first version with this value, value)``, oldest first.
    """
    chosen: T | None = None
    found = False
    for since, value in table:
        if since <= version:
            chosen, found = value, True
    if not found:
        raise UsageError(f"no data for Kubernetes {version}")
    return chosen  # type: ignore[return-value]


def kernel_version(osrelease: str) -> tuple[int, ...] | None:
    """The node kernel's version as the kubelet reads it (``version.ParseGeneric``).

    ``"5.15.0-75-generic"`` -> ``(5, 15, 0)``; None if it cannot be parsed,
    in which case the kubelet keeps only the safe sysctls without a kernel gate.

    >>> kernel_version("6.18.44\\n"), kernel_version("3.18.0-957.27.2.el7.x86_64"), kernel_version("x")
    ((6, 18, 44), (3, 18, 0), None)
    """
    m = re.match(r"\s*v?(\d+(?:\.\d+)+)", osrelease)
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split("."))


# ---------------------------------------------------------------------------- kubelet safe list


@dataclass(frozen=True)
class SafeSysctl:
    """One row of the kubelet's safe list (pkg/kubelet/sysctl/safe_sysctls.go).

    Attributes:
        name: The sysctl.
        since: First Kubernetes version that lists it.
        kernel: Minimum node kernel (the kubelet drops it on older kernels), or None.
    """

    name: str
    since: KubeVersion
    kernel: tuple[int, ...] | None = None


SAFE_SYSCTLS: tuple[SafeSysctl, ...] = (
    SafeSysctl("kernel.shm_rmid_forced", _v(4)),
    SafeSysctl("net.ipv4.ip_local_port_range", _v(4)),
    SafeSysctl("net.ipv4.tcp_syncookies", _v(4)),
    SafeSysctl("net.ipv4.ping_group_range", _v(18)),
    SafeSysctl("net.ipv4.ip_unprivileged_port_start", _v(22)),
    SafeSysctl("net.ipv4.ip_local_reserved_ports", _v(27), (3, 16)),
    SafeSysctl("net.ipv4.tcp_keepalive_time", _v(29), (4, 5)),
    SafeSysctl("net.ipv4.tcp_fin_timeout", _v(29), (4, 6)),
    SafeSysctl("net.ipv4.tcp_keepalive_intvl", _v(29), (4, 5)),
    SafeSysctl("net.ipv4.tcp_keepalive_probes", _v(29), (4, 5)),
    # Divergence: one upstream copy of safe_sysctls.go lists tcp_rmem/tcp_wmem without a kernel
    # field; the 1.32 release note, the docs and pkg/util/kernel/constants.go say 4.15.
    SafeSysctl("net.ipv4.tcp_rmem", _v(32), (4, 15)),
    SafeSysctl("net.ipv4.tcp_wmem", _v(32), (4, 15)),
    SafeSysctl("net.ipv4.tcp_slow_start_after_idle", _v(37), (4, 15)),
    SafeSysctl("net.ipv4.tcp_notsent_lowat", _v(37), (4, 6)),
)


def safe_sysctls(version: KubeVersion, kernel: tuple[int, ...] | None) -> list[SafeSysctl]:
    """The kubelet's safe list on a node: rows of ``version`` whose kernel gate ``kernel`` passes.

    An unknown kernel (None) keeps only the rows without a gate, as the kubelet does.
    """
    rows = [s for s in SAFE_SYSCTLS if s.since <= version]
    return [s for s in rows if s.kernel is None or (kernel is not None and kernel >= s.kernel)]


# ---------------------------------------------------------------------------- namespace classification


@dataclass(frozen=True)
class NamespaceRule:
    """How the kubelet decides which namespace a sysctl (or pattern prefix) belongs to.

    Attributes:
        exact: Names matched exactly, with their namespace.
        prefixes: Prefixes with their namespace.
        prefix_needs_dot: ``True``: a prefix ``p`` matches ``p + "."`` (component-helpers,
            1.29+); ``False``: a plain string prefix (the kubelet's own table, 1.28 and earlier).
    """

    exact: tuple[tuple[str, str], ...]
    prefixes: tuple[tuple[str, str], ...]
    prefix_needs_dot: bool

    def classify(self, name: str) -> str | None:
        """The namespace (``"ipc"``/``"net"``/...) of ``name``, None if not known to be namespaced."""
        for exact, ns in self.exact:
            if name == exact:
                return ns
        for prefix, ns in self.prefixes:
            if name.startswith(prefix + "." if self.prefix_needs_dot else prefix):
                return ns
        return None


NamespaceTable = NamespaceRule

#: The IPC sysctls known by exact name: runc's ``validSysctlMap`` (libcontainer/configs/validate)
#: and component-helpers' ``namespaces`` map (1.29+) list the same eight.
IPC_SYSCTLS: tuple[str, ...] = (
    "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
)
# component-helpers also maps the bare prefixes, so that the patterns kernel.shm* and kernel.msg* resolve.
_IPC_NAMES_1_29 = tuple((n, "ipc") for n in (*IPC_SYSCTLS, "kernel.shm", "kernel.msg"))

#: The kubelet's own table before 1.29 (pkg/kubelet/sysctl/namespace.go); CRI-O's
#: ``Sysctl.Validate`` (internal/config/sysctl) still classifies with this same table.
LEGACY_NAMESPACE_RULE = NamespaceRule(
    exact=(("kernel.sem", "ipc"),),
    prefixes=(("kernel.shm", "ipc"), ("kernel.msg", "ipc"), ("fs.mqueue.", "ipc"), ("net.", "net")),
    prefix_needs_dot=False,
)

#: pkg/kubelet/sysctl/namespace.go (to 1.28), component-helpers node/util/sysctl (1.29+).
KUBELET_NAMESPACES: tuple[tuple[KubeVersion, NamespaceRule], ...] = (
    (OLDEST_VERSION, LEGACY_NAMESPACE_RULE),
    (_v(29), NamespaceRule(exact=_IPC_NAMES_1_29, prefixes=(("net", "net"), ("fs.mqueue", "ipc")),
                           prefix_needs_dot=True)),
    # 1.37 (KEP-5996, component-helpers master): kernel.domainname is UTS, user.* is User.
    (_v(37), NamespaceRule(exact=_IPC_NAMES_1_29 + (("kernel.domainname", "uts"),),
                           prefixes=(("net", "net"), ("fs.mqueue", "ipc"), ("user", "user")),
                           prefix_needs_dot=True)),
)

#: How kubelet messages spell a namespace: ``Namespace`` string values, lower case before 1.29.
NAMESPACE_DISPLAY: tuple[tuple[KubeVersion, dict[str, str]], ...] = (
    (OLDEST_VERSION, {"ipc": "ipc", "net": "net"}),
    (_v(29), {"ipc": "IPC", "net": "Net", "uts": "UTS", "user": "User"}),
)

# ---------------------------------------------------------------------------- kubelet messages

#: ``validateSysctl``'s error for a name matched by no entry (whitelist.go -> allowlist.go, PR #102298).
KUBELET_NOT_LISTED: tuple[tuple[KubeVersion, str], ...] = (
    (OLDEST_VERSION, "%s not whitelisted"),
    (_v(22), "%s not allowlisted"),
)
#: ``validateSysctl``'s error for a namespaced sysctl with the host's namespace (name, namespace).
KUBELET_HOST_NS = "%s not allowed with host %s enabled"
#: ``rejectPod`` puts this before the admit message in ``status.message`` (PR #112644 in 1.26).
KUBELET_STATUS_PREFIX: tuple[tuple[KubeVersion, str], ...] = (
    (OLDEST_VERSION, "Pod "),
    (_v(26), "Pod was rejected: "),
)
#: Whether the kubelet turns slash names into dotted ones before matching (PR #102393, 1.23).
KUBELET_NORMALIZES: tuple[tuple[KubeVersion, bool], ...] = ((OLDEST_VERSION, False), (_v(23), True))


@dataclass(frozen=True)
class SysctlNameFormat:
    """A sysctl name (or pattern) syntax: the regex used and how messages print it.

    Attributes:
        regex: Anchored Python regex.
        printed: The text the upstream message shows.
    """

    regex: str
    printed: str


_SEGMENT = r"[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_PATTERN_SEGMENT = r"([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"
_DOTS = "(" + _SEGMENT + r"\.)*" + _SEGMENT
_SLASH = "(" + _SEGMENT + r"[\./])*" + _SEGMENT
_PATTERN_DOTS = "(" + _SEGMENT + r"\.)*" + _PATTERN_SEGMENT
_PATTERN_SLASH = "(" + _SEGMENT + r"[\./])*" + _PATTERN_SEGMENT

#: kubelet startup: the allowlist pattern syntax (policy validation ``IsValidSysctlPattern``),
#: printed unanchored (the message formats the constant, not the compiled regexp).
KUBELET_PATTERN: tuple[tuple[KubeVersion, SysctlNameFormat], ...] = (
    (OLDEST_VERSION, SysctlNameFormat("^" + _PATTERN_DOTS + "$", _PATTERN_DOTS)),
    (_v(23), SysctlNameFormat("^" + _PATTERN_SLASH + "$", _PATTERN_SLASH)),
)


@dataclass(frozen=True)
class StartupMessages:
    """``NewAllowlist`` errors for a pattern that is not known to be namespaced.

    Attributes:
        prefix: For ``foo*`` (formatted with the value shown).
        exact: For an exact name.
        strip_star: Whether the value shown is the prefix without its ``*`` (1.29+).
    """

    prefix: str
    exact: str
    strip_star: bool


KUBELET_STARTUP_UNKNOWN: tuple[tuple[KubeVersion, StartupMessages], ...] = (
    (OLDEST_VERSION, StartupMessages("the sysctls %s are not known to be namespaced",
                                     "the sysctl %s are not known to be namespaced", False)),
    (_v(29), StartupMessages("the sysctls %s are not known to be namespaced",
                             "the sysctls %s are not known to be namespaced", True)),
)
KUBELET_STARTUP_PATTERN = "sysctl %s must have at most 253 characters and match regex %s"

#: The ``From`` column of kubelet events in ``kubectl describe``.
# Divergence: the switch from "kubelet, <node>" to "kubelet" is dated to kubectl 1.20 by
# inference (events.k8s.io reportingController); the reference only says it varies.
EVENT_FROM_KUBELET: tuple[tuple[KubeVersion, str], ...] = (
    (OLDEST_VERSION, "kubelet, {node}"),
    (_v(20), "kubelet"),
)

#: The Deployment controller's event for the ReplicaSet it creates (pkg/controller/deployment/sync.go).
# Divergence: PR #101142 added the old count as "to N from M" in a release not pinned down (fakeproc
# keeps the original wording until then); PR #125118 (merged 2024-05, so 1.31) wrote "from M to N".
EVENT_SCALED_UP: tuple[tuple[KubeVersion, str], ...] = (
    (OLDEST_VERSION, "Scaled up replica set {rs} to {n}"),
    (_v(31), "Scaled up replica set {rs} from 0 to {n}"),
)

# ---------------------------------------------------------------------------- API server

#: ``validateSysctls`` name syntax and how its message prints the regex:
#: dots only and unanchored before 1.25; slashes allowed (PR #106834) and the compiled,
#: anchored regexp printed from 1.25.
API_SYSCTL_NAME: tuple[tuple[KubeVersion, SysctlNameFormat], ...] = (
    (OLDEST_VERSION, SysctlNameFormat("^" + _DOTS + "$", _DOTS)),
    (_v(25), SysctlNameFormat("^" + _SLASH + "$", "^" + _SLASH + "$")),
)
#: Whether the API server reports a repeated sysctl name as ``Duplicate value``.
# Divergence: the release that added the duplicate check is not pinned down; dated with the
# slash rewrite of validateSysctls (1.25) by inference.
API_DUPLICATE_CHECK: tuple[tuple[KubeVersion, bool], ...] = ((OLDEST_VERSION, False), (_v(25), True))
_UPDATABLE_POD_FIELDS = (
    "`spec.containers[*].image`", "`spec.initContainers[*].image`", "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
#: ``ValidatePodUpdate``'s list of the pod spec fields an update may change
#: (pkg/apis/core/validation/validation.go): a literal sentence at first, then
#: ``strings.Join(updatablePodSpecFields, ",")`` once terminationGracePeriodSeconds joined it.
# Divergence: the release that added terminationGracePeriodSeconds (and the "," join) is dated
# to 1.22 by inference; both texts are from the source.
POD_UPDATABLE_FIELDS: tuple[tuple[KubeVersion, str], ...] = (
    (OLDEST_VERSION, ("`spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds` "
                      "or `spec.tolerations` (only additions to existing tolerations)")),
    (_v(22), ",".join(_UPDATABLE_POD_FIELDS)),
)
#: Whether the API server refuses namespaced sysctls with hostNetwork/hostIPC (PR #118705).
API_HOST_NAMESPACE_CHECK: tuple[tuple[KubeVersion, bool], ...] = ((OLDEST_VERSION, False), (_v(29), True))

# ---------------------------------------------------------------------------- Pod Security Admission

#: The first Kubernetes version with the PodSecurity admission plugin.
PSA_INTRODUCED = _v(22)
#: The first Kubernetes version without PodSecurityPolicy (deprecated in 1.21).
PSP_REMOVED = _v(25)
_PSA_1_0 = (
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
)
_PSA_1_27 = _PSA_1_0 + ("net.ipv4.ip_local_reserved_ports",)
_PSA_1_29 = _PSA_1_27 + (
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
)
_PSA_1_32 = _PSA_1_29 + ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
_PSA_1_37 = _PSA_1_32 + ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat")

#: policy/check_sysctls.go: the exact names baseline allows, per policy version.
PSA_ALLOWED_SYSCTLS: tuple[tuple[KubeVersion, frozenset[str]], ...] = (
    (_v(0), frozenset(_PSA_1_0)),
    (_v(27), frozenset(_PSA_1_27)),
    (_v(29), frozenset(_PSA_1_29)),
    (_v(32), frozenset(_PSA_1_32)),
    (_v(37), frozenset(_PSA_1_37)),
)
