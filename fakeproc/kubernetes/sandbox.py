"""Stage 5: the pod sandbox in the kernel model: new ipc/net/uts namespaces, sysctls written.

The values are written through the kernel model exactly as runc writes them
(open ``/proc/sys/<key with . -> />`` write-only, one ``write(2)`` of the value
as given), so a bad value fails the way the kernel fails it. Every container of
the pod shares these namespaces; a hostNetwork or hostIPC pod shares the node's.

The runtime's order is kept: containerd sets up the pod network (CNI adds
``eth0``) before runc writes the sysctls; CRI-O's pinns writes them before the
network exists (see :data:`~fakeproc.kubernetes.runtime.RUNTIMES`).

>>> from fakeproc.model import Kernel
>>> from fakeproc.kubernetes.manifests import pod
>>> from fakeproc.kubernetes.runtime import plan_sandbox
>>> from fakeproc.kubernetes.versions import KubeVersion
>>> p = pod("web", {"net.ipv4.conf.eth0.rp_filter": "2"}).pod
>>> k = Kernel("6.18")
>>> create_sandbox(k, p, plan_sandbox(p, Runtime.CONTAINERD_2, KubeVersion(1, 30)), Runtime.CONTAINERD_2).ok
True
>>> create_sandbox(k, p, plan_sandbox(p, Runtime.CRIO, KubeVersion(1, 30)), Runtime.CRIO).detail
'open /proc/sys/net/ipv4/conf/eth0/rp_filter: no such file or directory'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakeproc.kubernetes.manifests import PodSpec
from fakeproc.kubernetes.runtime import (
    POD_INTERFACE,
    RUNTIMES,
    Runtime,
    SandboxPlan,
    runc_validate,
    sysctl_path,
)

if TYPE_CHECKING:
    from fakeproc.model import Kernel, NamespaceSet

__all__ = ["RUNC_INIT_PREFIX", "SandboxOutcome", "create_sandbox", "destroy_sandbox", "pod_label"]

#: runc (1.1 to 1.4) wraps errors from the container's init process with this.
RUNC_INIT_PREFIX = "unable to start container process: error during container init: "


@dataclass(frozen=True)
class SandboxOutcome:
    """The result of trying to start a pod sandbox.

    Attributes:
        ok: Whether the sandbox runs.
        detail: The OCI runtime's error (None on success).
        label: Label of the pod's namespaces in the kernel model (None: it uses the node's).
        values: Each applied key and the value read back in the pod's namespaces.
        failed_at: ``"runtime"`` (a validator refused the config) or ``"sandbox"`` (the kernel
            refused a write), None on success.
    """

    ok: bool
    detail: str | None = None
    label: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    failed_at: str | None = None


def pod_label(namespace: str, name: str) -> str:
    """The kernel-model label of a pod's namespaces (``pod/default/web``)."""
    return f"pod/{namespace}/{name}"


def _go_errno(e: OSError) -> str:
    return (e.strerror or os.strerror(e.errno or 0)).lower()


def _write_all(kernel: Kernel, nsset: NamespaceSet, sysctls: Mapping[str, str], writer: str) -> str | None:
    """Write each value as runc or pinns does; the first failure's text, or None."""
    for key, value in sysctls.items():
        path = sysctl_path(key, writer)
        if writer == "pinns" and value == "":
            return "sysctl must be in the form of 'key=value'; value is empty"
        try:
            f = kernel.open(path, os.O_WRONLY | os.O_TRUNC, nsset)
        except OSError as e:
            return f"open {path}: {_go_errno(e)}"
        try:
            f.write(value.encode("utf-8", "surrogateescape"), 0)
        except OSError as e:
            return f"write {path}: {_go_errno(e)}"
    return None


def destroy_sandbox(kernel: Kernel, label: str) -> None:
    """Drop the namespaces labelled ``label`` (the pod is gone), if any."""
    nsset = kernel.namespace_by_label(label)
    if nsset is not None:
        kernel.drop_namespaces(nsset)


def _network_up(kernel: Kernel, nsset: NamespaceSet) -> None:
    """The CNI plugin's ADD: the pod's interface appears in its network namespace."""
    if POD_INTERFACE not in nsset.net.devices:
        kernel.add_device(nsset, POD_INTERFACE)


def create_sandbox(kernel: Kernel, pod: PodSpec, plan: SandboxPlan, runtime: Runtime) -> SandboxOutcome:
    """Create the pod's namespaces in ``kernel`` and apply ``plan``; undone again on failure.

    Args:
        kernel: A :class:`fakeproc.Kernel`.
        pod: The pod.
        plan: What the runtime applies (:func:`~fakeproc.kubernetes.runtime.plan_sandbox`).
        runtime: The runtime (decides who writes: runc or pinns).
    """
    label = pod_label(pod.namespace, pod.name)
    destroy_sandbox(kernel, label)
    profile = RUNTIMES[runtime]
    writer = profile.writer
    if writer == "runc":
        err = runc_validate(plan.sysctls, new_ipc=plan.new_ipc, new_net=plan.new_net, new_uts=plan.new_uts)
        if err is not None:
            return SandboxOutcome(False, err, failed_at="runtime")
    any_new = plan.new_ipc or plan.new_net or plan.new_uts
    nsset = kernel.unshare(kernel.init_ns, ipc=plan.new_ipc, net=plan.new_net, uts=plan.new_uts,
                           label=label) if any_new else kernel.init_ns
    if plan.new_uts:
        # The OCI "hostname" field: the pod's hostname, set by runc before the sysctls.
        try:
            kernel.write("kernel.hostname", (pod.hostname or pod.name)[:63], ns=nsset)
        except OSError:  # pragma: no cover - a profile without kernel.hostname
            pass
    if plan.new_net and profile.network_first:
        _network_up(kernel, nsset)
    failed_at = "sandbox"
    err = _write_all(kernel, nsset, plan.sysctls, writer)
    if err is None and plan.new_net and not profile.network_first:
        _network_up(kernel, nsset)
    if err is None and writer == "pinns":
        # CRI-O also hands the sysctls to runc in the infra container's spec.
        err = runc_validate(plan.sysctls, new_ipc=plan.new_ipc, new_net=plan.new_net, new_uts=plan.new_uts)
        failed_at = "runtime"
    elif err is not None and writer == "runc":
        err = RUNC_INIT_PREFIX + err
    if err is not None:
        if any_new:
            kernel.drop_namespaces(nsset)
        return SandboxOutcome(False, err, failed_at=failed_at)
    values = {}
    for key in plan.sysctls:
        try:
            values[key] = kernel.read(sysctl_path(key, writer), ns=nsset).rstrip("\n")
        except OSError:  # write-only entries
            values[key] = ""
    return SandboxOutcome(True, None, label if any_new else None, values)
