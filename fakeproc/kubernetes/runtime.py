"""Stage 4: the CRI runtime and runc: which sysctls reach the sandbox, and which are refused.

The kubelet passes the (normalised) sysctls to the runtime as a map, so order
is lost and the last duplicate wins. containerd 2 adds two defaults to pods
off the host network; CRI-O drops sysctls its own table refuses, with a
warning; runc's validator then refuses what no separate namespace holds.

>>> from fakeproc.kubernetes.manifests import pod
>>> from fakeproc.kubernetes.versions import KubeVersion
>>> plan = plan_sandbox(pod("p", {"kernel.sem": "1 2 3 4"}).pod, Runtime.CONTAINERD_2, KubeVersion(1, 30))
>>> plan.sysctls
{'kernel.sem': '1 2 3 4', 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647'}
>>> runc_validate({"kernel.hostname": "x"}, new_ipc=True, new_net=True, new_uts=True)
'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from fakeproc.kubernetes._names import go_quote, normalize_name
from fakeproc.kubernetes.manifests import PodSpec
from fakeproc.kubernetes.versions import (
    IPC_SYSCTLS,
    KUBELET_NORMALIZES,
    LEGACY_NAMESPACE_RULE,
    KubeVersion,
    pick,
)

__all__ = [
    "POD_INTERFACE",
    "RUNC_IPC_SYSCTLS",
    "RUNTIMES",
    "Runtime",
    "RuntimeProfile",
    "SandboxPlan",
    "crio_validate",
    "plan_sandbox",
    "runc_validate",
    "sandbox_error_event",
    "sandbox_id",
    "sysctl_path",
]


class Runtime(enum.Enum):
    """Container runtimes fakeproc models (all with runc as the OCI runtime)."""

    CONTAINERD_1_7 = "containerd-1.7"
    CONTAINERD_2 = "containerd-2"
    CRIO = "cri-o"


@dataclass(frozen=True)
class RuntimeProfile:
    """How one runtime treats pod sysctls.

    Attributes:
        defaults: Sysctls added to pods not on the host network unless the pod sets them.
        filters_invalid: Whether invalid sysctls are skipped with a warning (CRI-O) instead of
            reaching runc.
        error_format: ``FailedCreatePodSandBox`` event text; ``{id}`` is the sandbox id and
            ``{detail}`` the OCI runtime's error.
        writer: Who writes the values: ``runc`` (path from key with ``.`` -> ``/``) or ``pinns``.
        network_first: Whether the CNI plugin has set up the pod network (``eth0``) before the
            sysctls are written, so ``net.ipv4.conf.eth0.*`` exists then.
    """

    defaults: Mapping[str, str] = field(default_factory=dict)
    filters_invalid: bool = False
    error_format: str = ""
    writer: str = "runc"
    network_first: bool = True


_CRI = "Failed to create pod sandbox: rpc error: code = Unknown desc = "
_SHIM = "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: "

#: The interface the CNI plugin adds to a pod's network namespace.
POD_INTERFACE = "eth0"

# Order of network setup and sysctls, per runtime:
# - containerd (internal/cri/server/podsandbox/sandbox_run.go, 1.6+ and 2.x): the netns is created
#   and CNI set up ("setupPodNetwork") before the sandbox container is created and started; runc
#   writes the sysctls during that container's init, so eth0 exists by then.
# - CRI-O (server/sandbox_run_linux.go, RunPodSandbox): pinns creates the pinned namespaces and
#   writes the sysctls ("pinns -s"); only then "now that we have the namespaces, we should create the
#   network" (s.networkStart), so eth0 does not exist yet when pinns writes.
# Divergence: containerd 1.7's path for pods with their own user namespace (hostUsers: false)
# runs CNI after the task is created; fakeproc models the usual path only.
RUNTIMES: dict[Runtime, RuntimeProfile] = {
    # enable_unprivileged_ports/icmp default to false in containerd 1.6 and 1.7.
    Runtime.CONTAINERD_1_7: RuntimeProfile(error_format=_CRI + _SHIM + "{detail}: unknown"),
    # containerd 2.0 turns both on: added to the sandbox spec when the pod does not set them.
    Runtime.CONTAINERD_2: RuntimeProfile(
        defaults={"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"},
        error_format=_CRI + 'failed to start sandbox "{id}": ' + _SHIM + "{detail}: unknown",
    ),
    # Divergence: the wrapping of a pinns failure in CRI-O's RunPodSandbox error is not
    # verified; fakeproc prints the CRI prefix and pinns' error.
    Runtime.CRIO: RuntimeProfile(filters_invalid=True, error_format=_CRI + "{detail}", writer="pinns",
                                 network_first=False),
}

#: runc validator.go ``validSysctlMap``: exact IPC names (no kernel.shm_next_id, kernel.msg_next_id).
RUNC_IPC_SYSCTLS = frozenset(IPC_SYSCTLS)


@dataclass(frozen=True)
class SandboxPlan:
    """What the runtime will try to apply to a pod sandbox.

    Attributes:
        sysctls: Key -> value, in the order they will be written.
        warnings: Runtime log warnings (CRI-O skipping invalid sysctls).
        new_ipc: Whether the sandbox gets its own IPC namespace.
        new_net: ... its own network namespace.
        new_uts: ... its own UTS namespace (containerd ties it to the network one).
    """

    sysctls: dict[str, str]
    warnings: tuple[str, ...]
    new_ipc: bool
    new_net: bool
    new_uts: bool


def sandbox_id(namespace: str, name: str, attempt: int = 0) -> str:
    """A stable 64-hex stand-in for the sandbox container id."""
    return hashlib.sha256(f"{namespace}/{name}/{attempt}".encode()).hexdigest()


def crio_validate(key: str, host_net: bool, host_ipc: bool) -> str | None:
    """CRI-O's ``Sysctl.Validate``: None if valid, else its error text."""
    ns = LEGACY_NAMESPACE_RULE.classify(key)
    if ns is None:
        return f"{go_quote(key)} not whitelisted"
    if (ns == "ipc" and host_ipc) or (ns == "net" and host_net):
        return f"{go_quote(key)} not allowed with host {ns} enabled"
    return None


def plan_sandbox(pod: PodSpec, runtime: Runtime, version: KubeVersion) -> SandboxPlan:
    """The sysctl map the runtime applies: kubelet normalisation, map collapse, runtime defaults."""
    profile = RUNTIMES[runtime]
    normalizes = pick(KUBELET_NORMALIZES, version)
    sysctls: dict[str, str] = {}
    for s in pod.sysctls:
        sysctls[normalize_name(s.name) if normalizes else s.name] = s.value
    if not pod.host_network:
        for key, value in profile.defaults.items():
            sysctls.setdefault(key, value)
    warnings: list[str] = []
    if profile.filters_invalid:
        kept: dict[str, str] = {}
        for key, value in sysctls.items():
            err = crio_validate(key, pod.host_network, pod.host_ipc)
            if err is None:
                kept[key] = value
            else:
                # Divergence: CRI-O formats the *Sysctl with %s; rendered here as &{key value}.
                warnings.append(f"Skipping invalid sysctl specified over CRI &{{{key} {value}}}: {err}")
        sysctls = kept
    return SandboxPlan(sysctls, tuple(warnings), new_ipc=not pod.host_ipc, new_net=not pod.host_network,
                       new_uts=not pod.host_network)


def runc_validate(sysctls: Mapping[str, str], *, new_ipc: bool, new_net: bool, new_uts: bool,
                  new_user: bool = False) -> str | None:
    """runc's config validator (v1.1+ messages): None if every key is allowed, else the first error.

    Divergence: Go iterates the map in random order; fakeproc checks in plan order.
    """
    for raw in sysctls:
        s = normalize_name(raw)
        if s in RUNC_IPC_SYSCTLS or s.startswith("fs.mqueue."):
            if new_ipc:
                continue
            return f"sysctl {go_quote(s)} is not allowed in the hosts ipc namespace"
        if s.startswith("net."):
            if new_net:
                continue
            return f"sysctl {go_quote(s)} not allowed in host network namespace"
        if new_uts and s == "kernel.domainname":
            continue
        if new_uts and s == "kernel.hostname":
            return f'sysctl {go_quote(s)} is not allowed as it conflicts with the OCI "hostname" field'
        if s.startswith("user."):
            if new_user:
                continue
            return f"setting ucounts without a user namespace not allowed: {s}"
        return f"sysctl {go_quote(s)} is not in a separate kernel namespace"
    return None


def sysctl_path(key: str, writer: str = "runc") -> str:
    """The file the writer opens: ``/proc/sys/`` + the key with every ``.`` made ``/``.

    Neither runc nor pinns undoes the kubelet's ``/``<->``.`` swap, so a VLAN key
    ``net.ipv4.conf.eno2/100.rp_filter`` is written to ``.../eno2/100/rp_filter``.

    >>> sysctl_path("net.ipv4.conf.eno2/100.rp_filter")
    '/proc/sys/net/ipv4/conf/eno2/100/rp_filter'
    """
    return "/proc/sys/" + key.replace(".", "/")


def sandbox_error_event(runtime: Runtime, detail: str, sandbox: str) -> str:
    """The ``FailedCreatePodSandBox`` event message for an OCI/runtime error ``detail``."""
    return RUNTIMES[runtime].error_format.format(id=sandbox, detail=detail)

