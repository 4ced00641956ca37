"""The whole pod-sysctl pipeline as one function, with a result you can assert on.

API validation -> Pod Security Admission -> scheduling -> kubelet admission ->
runtime -> sandbox, in that order, each stage answering with the exact upstream
message of the chosen Kubernetes version.

>>> from fakeproc.kubernetes.manifests import pod
>>> node = NodeConfig.create(kubernetes_version="1.16")
>>> r = run_pod(pod("p", {"kernel.sem": "10000 1024000000 500 32000"}), None, node)
>>> (r.stage.value, r.verdict.value, r.status_message)
('kubelet', 'SysctlForbidden', 'Pod forbidden sysctl: "kernel.sem" not whitelisted')
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakeproc.kubernetes import api, kubelet, psa, psp
from fakeproc.kubernetes._names import go_quote
from fakeproc.kubernetes.manifests import Manifest
from fakeproc.kubernetes.runtime import Runtime, plan_sandbox, sandbox_error_event, sandbox_id
from fakeproc.kubernetes.sandbox import create_sandbox
from fakeproc.kubernetes.versions import (
    DEFAULT_VERSION,
    EVENT_FROM_KUBELET,
    EVENT_SCALED_UP,
    PSA_INTRODUCED,
    KubeVersion,
    kernel_version,
    pick,
)

if TYPE_CHECKING:
    from fakeproc.model import Kernel

__all__ = [
    "Event",
    "NodeConfig",
    "PodResult",
    "Stage",
    "Verdict",
    "check",
    "owner_of",
    "run_pod",
]


class Stage(enum.Enum):
    """The stage that decided a pod's fate (``SANDBOX`` for a pod that runs)."""

    API = "api"
    PSA = "psa"
    PSP = "psp"
    KUBELET = "kubelet"
    RUNTIME = "runtime"
    SANDBOX = "sandbox"


class Verdict(enum.Enum):
    """What the user sees in the end; the value is kubectl's word for it."""

    INVALID = "Invalid"  #: HTTP 422, nothing stored
    FORBIDDEN = "Forbidden"  #: HTTP 403 from Pod Security Admission, nothing stored
    SYSCTL_FORBIDDEN = "SysctlForbidden"  #: phase Failed, rejected by the kubelet
    CONTAINER_CREATING = "ContainerCreating"  #: phase Pending, sandbox creation keeps failing
    RUNNING = "Running"  #: the pod runs with its sysctls applied


@dataclass(frozen=True)
class Event:
    """A Kubernetes event as ``kubectl describe`` lists it.

    Attributes:
        type: ``Normal`` or ``Warning``.
        reason: ``Scheduled``, ``SysctlForbidden``, ``FailedCreatePodSandBox``...
        source: The ``From`` column.
        message: The message.
        object: ``kind/name`` it is about (``pod/web``, ``replicaset/web-...``).
        count: How many times it was seen.
        time: When it happened (Unix time).
    """

    type: str
    reason: str
    source: str
    message: str
    object: str = ""
    count: int = 1
    time: float = 0.0


@dataclass(frozen=True)
class NodeConfig:
    """The cluster and node a pod is run against.

    Attributes:
        kubernetes_version: API server and kubelet version.
        allowed_unsafe_sysctls: The kubelet's ``allowedUnsafeSysctls`` patterns.
        runtime: The container runtime.
        pod_security: The Pod Security labels of the pod's namespace and the admission
            configuration's exemptions.
        node_name: Node name for events (default: the kernel's ``kernel.hostname``).
        pod_security_policies: The cluster's PodSecurityPolicies (None: the admission plugin is
            off, as in clusters that never enabled it, and in 1.25+ where it is gone).
        user: Who sends the requests (``kubectl --as``); Pod Security exemptions match it.
    """

    kubernetes_version: KubeVersion = DEFAULT_VERSION
    allowed_unsafe_sysctls: tuple[str, ...] = ()
    runtime: Runtime = Runtime.CONTAINERD_2
    pod_security: psa.PodSecurity = field(default_factory=psa.PodSecurity)
    node_name: str | None = None
    pod_security_policies: tuple[psp.Policy, ...] | None = None
    user: str = "kubernetes-admin"

    @classmethod
    def create(
        cls,
        *,
        kubernetes_version: str | KubeVersion | None = None,
        allowed_unsafe_sysctls: str | Iterable[str] | None = None,
        kubelet_config: str | Path | None = None,
        runtime: str | Runtime = Runtime.CONTAINERD_2,
        pod_security: str | psa.Level | None = None,
        pod_security_warn: str | psa.Level | None = None,
        pod_security_version: str = "latest",
        node_name: str | None = None,
        pod_security_audit: str | psa.Level | None = None,
        pod_security_config: str | Path | None = None,
        pod_security_policy: str | Path | None = None,
        user: str = "kubernetes-admin",
    ) -> NodeConfig:
        """Build a config from CLI-style values (strings are parsed and checked).

        Raises:
            UsageError: an unknown version, runtime or level, or an unreadable kubelet config.
        """
        from fakeproc.errors import UsageError

        version = KubeVersion.parse(kubernetes_version) if kubernetes_version else DEFAULT_VERSION
        patterns: list[str] = []
        if kubelet_config is not None:
            patterns.extend(kubelet.load_kubelet_config(kubelet_config))
        if isinstance(allowed_unsafe_sysctls, str):
            patterns.extend(kubelet.parse_allowed_unsafe_sysctls(allowed_unsafe_sysctls))
        elif allowed_unsafe_sysctls:
            patterns.extend(allowed_unsafe_sysctls)
        defaults: dict[str, str] = {}
        exemptions = psa.Exemptions()
        if pod_security_config is not None:
            defaults, exemptions = psa.load_pod_security_config(pod_security_config)

        def level(given: str | psa.Level | None, mode: str) -> psa.Level:
            value = given or defaults.get(mode)
            return psa.Level(value) if value else psa.Level.PRIVILEGED

        def label_version(mode: str) -> str:
            return pod_security_version if pod_security_version != "latest" else defaults.get(
                f"{mode}-version", "latest")

        try:
            rt = runtime if isinstance(runtime, Runtime) else Runtime(runtime)
            levels = {mode: level(given, mode) for mode, given in (
                ("enforce", pod_security), ("warn", pod_security_warn), ("audit", pod_security_audit))}
        except ValueError as e:
            raise UsageError(str(e)) from None
        versions = {mode: label_version(mode) for mode in levels}
        for mode, label in versions.items():
            psa.policy_version(label, version)  # validate early
            if levels[mode] is not psa.Level.PRIVILEGED and version < PSA_INTRODUCED:
                raise UsageError(f"Pod Security Admission does not exist in Kubernetes {version} "
                                 f"(it was introduced in {PSA_INTRODUCED})")
        policies = psp.load_policies(pod_security_policy, version) if pod_security_policy is not None else None
        ps = psa.PodSecurity(levels["enforce"], versions["enforce"], levels["warn"], versions["warn"],
                             levels["audit"], versions["audit"], exemptions)
        return cls(version, tuple(patterns), rt, ps, node_name, policies, user)


@dataclass(frozen=True)
class PodResult:
    """What happened to one pod (or workload's first pod).

    Attributes:
        name: Pod name.
        namespace: Kubernetes namespace.
        object: The applied object (``pod/web``, ``deployment.apps/web``).
        stage: The stage that decided.
        verdict: The outcome.
        http_status: 422 or 403 when the API server refused the object, else None.
        messages: The errors as kubectl prints them (empty when the pod runs).
        warnings: ``Warning:`` lines of kubectl and runtime warnings.
        events: Events about the pod (and its controller).
        phase: ``status.phase`` (None when nothing was stored).
        reason: ``status.reason``.
        status_message: ``status.message``.
        values: Applied sysctls and their values read back in the pod's namespaces.
        ns_label: Label of the pod's namespaces in the kernel model (None: the node's).
        field_errors: The API server's field errors, as strings.
        node: Node name.
        containers: Names of the pod's regular containers.
        kubernetes_version: The version the answer is for.
        runtime: The runtime.
        created: When the pod was created (Unix time).
        restarts: How often the kubelet re-created the pod's sandbox (after a node reboot).
        sandbox: What the runtime applied (``sysctls``, ``new_ipc``, ``new_net``, ``new_uts``,
            ``hostname``, ``runtime``), kept so the kubelet can re-create the sandbox.
        action: What ``kubectl apply`` did: ``created``, ``configured`` or ``unchanged``
            (empty when the API server refused the object).
        applied: The object as last applied (``kubectl.kubernetes.io/last-applied-configuration``).
        kind: The applied object's kind (``Pod``, ``Deployment``...).
        audit: Audit annotations of the request (``pod-security.kubernetes.io/audit-violations=...``,
            ``.../exempt=namespace``...): what Pod Security's audit mode records.
    """

    name: str
    namespace: str
    object: str
    stage: Stage
    verdict: Verdict
    http_status: int | None = None
    messages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()
    phase: str | None = None
    reason: str | None = None
    status_message: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    ns_label: str | None = None
    field_errors: tuple[str, ...] = ()
    node: str = ""
    containers: tuple[str, ...] = ()
    kubernetes_version: str = ""
    runtime: str = ""
    created: float = 0.0
    restarts: int = 0
    sandbox: Mapping[str, Any] | None = None
    action: str = ""
    applied: Mapping[str, Any] | None = None
    kind: str = "Pod"
    audit: tuple[str, ...] = ()

    @property
    def started(self) -> bool:
        """Whether the pod runs."""
        return self.verdict is Verdict.RUNNING

    @property
    def stored(self) -> bool:
        """Whether the API server accepted the object (so ``pod get`` lists it)."""
        return self.phase is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (enums as their values)."""
        d = asdict(self)
        d["stage"] = self.stage.value
        d["verdict"] = self.verdict.value
        d["values"] = dict(self.values)
        d["sandbox"] = dict(self.sandbox) if self.sandbox is not None else None
        d["applied"] = dict(self.applied) if self.applied is not None else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PodResult:
        """Inverse of :meth:`to_dict`."""
        data = dict(d)
        data["stage"] = Stage(data["stage"])
        data["verdict"] = Verdict(data["verdict"])
        data["events"] = tuple(Event(**e) for e in data.get("events", ()))
        for key in ("messages", "warnings", "field_errors", "containers", "audit"):
            data[key] = tuple(data.get(key, ()))
        return cls(**data)


def _node_name(kernel: Kernel, node: NodeConfig) -> str:
    if node.node_name:
        return node.node_name
    if kernel is not None:
        try:
            name = str(kernel.read("kernel.hostname")).strip()
            return name if name and name != "(none)" else "node1"
        except OSError:
            pass
    return "node1"


@dataclass(frozen=True)
class _Admission:
    """What the validating admission plugins (PodSecurity, then PodSecurityPolicy) decided."""

    denied: str | None = None  #: the 403 message for a Pod
    failed_create: str | None = None  #: a workload controller's pod creation refused
    stage: Stage = Stage.PSA
    warnings: tuple[str, ...] = ()
    audit: tuple[str, ...] = ()


#: Workload kind -> (the object whose controller creates the pods, its event source).
_OWNERS = {
    "Deployment": ("replicaset", "replicaset-controller"), "ReplicaSet": ("replicaset", "replicaset-controller"),
    "StatefulSet": ("statefulset", "statefulset-controller"), "DaemonSet": ("daemonset", "daemonset-controller"),
    "Job": ("job", "job-controller"), "CronJob": ("job", "job-controller"),
}


def _requested_name(m: Manifest) -> str:
    """The pod name in the create request: StatefulSets name their pods; the other controllers
    send ``generateName`` (the name without its random suffix), which the API server's errors print."""
    if not m.is_workload or m.kind == "StatefulSet":
        return m.pod.name
    return m.pod.name.rsplit("-", 1)[0] + "-"


def owner_of(m: Manifest) -> str:
    """``kind/name`` of the object whose controller creates ``m``'s pod (``replicaset/web-5d4...``)."""
    kind = _OWNERS[m.kind][0]
    name = m.pod.name.rsplit("-", 1)[0] if kind in ("replicaset", "job") and m.kind != "Job" else m.name
    return f"{kind}/{name}"


def _controller_events(m: Manifest, now: float, refused: str | None, version: KubeVersion) -> list[Event]:
    """The events of a workload's controllers: the Deployment scaling its ReplicaSet, then the
    owner creating the pod (``SuccessfulCreate``) or failing to (``FailedCreate``)."""
    events = []
    owner = owner_of(m)
    if m.kind == "Deployment":
        scaled = pick(EVENT_SCALED_UP, version).format(rs=owner.split("/", 1)[1], n=1)
        events.append(Event("Normal", "ScalingReplicaSet", "deployment-controller", scaled, f"deployment/{m.name}",
                            1, now))
    if m.kind == "CronJob":
        events.append(Event("Normal", "SuccessfulCreate", "cronjob-controller",
                            f"Created job {owner.split('/', 1)[1]}", f"cronjob/{m.name}", 1, now))
    source = _OWNERS[m.kind][1]
    if m.kind == "StatefulSet":  # pkg/controller/statefulset/stateful_pod_control.go
        text = (f"create Pod {m.pod.name} in StatefulSet {m.name} failed error: {refused}" if refused
                else f"create Pod {m.pod.name} in StatefulSet {m.name} successful")
    else:
        text = f"Error creating: {refused}" if refused else f"Created pod: {m.pod.name}"
    events.append(Event("Warning" if refused else "Normal", "FailedCreate" if refused else "SuccessfulCreate",
                        source, text, owner, 1, now))
    return events


def _pod_security(m: Manifest, node: NodeConfig) -> _Admission:
    """The PodSecurity plugin: exemptions, enforce, warn and audit (ValidatePod / ValidatePodController)."""
    v = node.kubernetes_version
    ps = node.pod_security
    prefix = psa.AUDIT_ANNOTATION_PREFIX
    # The request that creates the pod: the user's for a Pod, the controller's account for a workload.
    requested = _requested_name(m)
    pod_user = psa.controller_username(m.kind) if m.is_workload else node.user
    exempt = psa.exemption(ps.exemptions, namespace=m.namespace, username=pod_user,
                           runtime_class=m.pod.runtime_class)
    object_exempt = psa.exemption(ps.exemptions, namespace=m.namespace, username=node.user,
                                  runtime_class=m.pod.runtime_class) if m.is_workload else exempt
    audit: list[str] = []
    warnings: list[str] = []
    if object_exempt is not None:
        audit.append(f"{prefix}exempt={object_exempt}")
    else:
        enforce = psa.evaluate(m.pod, ps.enforce, ps.enforce_version, v)
        if ps.enforce is not psa.Level.PRIVILEGED:
            audit.append(f"{prefix}enforce-policy={ps.enforce.value}:{ps.enforce_version}")
        if m.is_workload and not enforce.allowed:
            warnings.append(enforce.warning)  # on a workload, enforce only warns
        warn = psa.evaluate(m.pod, ps.warn, ps.warn_version, v)
        same_as_enforce = (ps.warn, ps.warn_version) == (ps.enforce, ps.enforce_version)
        if not warn.allowed and warn.warning not in warnings and not same_as_enforce:
            warnings.append(warn.warning)
        audited = psa.evaluate(m.pod, ps.audit, ps.audit_version, v)
        if not audited.allowed:
            audit.append(f"{prefix}audit-violations={audited.warning}")
    if exempt is None:
        enforce = psa.evaluate(m.pod, ps.enforce, ps.enforce_version, v)
        if not enforce.allowed:
            pod_msg = f"pods {go_quote(requested)} is forbidden: {enforce.message}"
            if m.is_workload:
                return _Admission(failed_create=pod_msg, warnings=tuple(warnings), audit=tuple(audit))
            return _Admission(denied=pod_msg, warnings=tuple(warnings), audit=tuple(audit))
    return _Admission(warnings=tuple(warnings), audit=tuple(audit))


def _admission_stage(m: Manifest, node: NodeConfig) -> _Admission:
    """PodSecurity, then PodSecurityPolicy (when the cluster has policies)."""
    result = _pod_security(m, node)
    if result.denied is not None or result.failed_create is not None or node.pod_security_policies is None:
        return result
    err = psp.admit(m.pod, node.pod_security_policies, node.kubernetes_version)
    if err is None:
        return result
    pod_msg = f"pods {go_quote(_requested_name(m))} is forbidden: {err}"
    if m.is_workload:
        return replace(result, failed_create=pod_msg, stage=Stage.PSP)
    return replace(result, denied=pod_msg, stage=Stage.PSP)


def run_pod(manifest: Manifest, kernel: Kernel | None = None, node: NodeConfig | None = None) -> PodResult:
    """Run one manifest's pod through the pipeline on ``kernel`` (the node).

    Args:
        manifest: The applied object (:func:`~fakeproc.kubernetes.manifests.load_manifests`).
        kernel: The node's :class:`fakeproc.Kernel`; its ``kernel.osrelease`` gates the safe
            list, and a running pod's namespaces are created in it. None: a fresh 6.18 kernel.
        node: Cluster and node settings.

    Raises:
        KubeletStartupError: the kubelet would not start with ``node``'s allowlist.
        UsageError: an impossible configuration (e.g. Pod Security before 1.22).
    """
    node = node or NodeConfig()
    if kernel is None:
        from fakeproc.model.kernel import Kernel

        kernel = Kernel("6.18")
    v = node.kubernetes_version
    m = manifest
    now = time.time()
    node_name = _node_name(kernel, node)
    base = PodResult(
        name=m.pod.name, namespace=m.namespace, object=m.resource, stage=Stage.API, verdict=Verdict.INVALID,
        node=node_name, containers=tuple(c.name for c in m.pod.app_containers),
        kubernetes_version=str(v), runtime=node.runtime.value, created=now, kind=m.kind,
        applied=dict(m.raw) if m.raw else None,
    )
    # 1. API server field validation.
    errs = api.validate(m, v)
    if errs:
        return replace(base, http_status=422, messages=(api.kubectl_invalid_message(m, errs),),
                       field_errors=tuple(str(e) for e in errs))
    # 2. Validating admission: Pod Security Admission, then PodSecurityPolicy.
    adm = _admission_stage(m, node)
    warnings = list(adm.warnings)
    base = replace(base, audit=adm.audit)
    if adm.denied is not None:
        src = f'"{m.source}"' if m.source else "STDIN"
        msg = f"Error from server (Forbidden): error when creating {src}: {adm.denied}"
        return replace(base, stage=adm.stage, verdict=Verdict.FORBIDDEN, http_status=403, messages=(msg,),
                       warnings=tuple(warnings))
    if adm.failed_create is not None:
        events = _controller_events(m, now, adm.failed_create, v)
        return replace(base, stage=adm.stage, verdict=Verdict.FORBIDDEN, messages=(events[-1].message,),
                       warnings=tuple(warnings), events=tuple(events))
    # 3. Scheduling (sysctls are ignored), then kubelet admission.
    pod_obj = f"pod/{m.pod.name}"
    events = _controller_events(m, now, None, v) if m.is_workload else []
    events.append(Event("Normal", "Scheduled", "default-scheduler",
                        f"Successfully assigned {m.namespace}/{m.pod.name} to {node_name}", pod_obj, 1, now))
    kubelet_from = pick(EVENT_FROM_KUBELET, v).format(node=node_name)
    allowlist = kubelet.build_allowlist(node.allowed_unsafe_sysctls, v,
                                        kernel_version(kernel.read("kernel.osrelease")))
    admission = kubelet.admit(m.pod, allowlist, v)
    if not admission.admitted:
        events.append(Event("Warning", admission.reason, kubelet_from, admission.message, pod_obj, 1, now))
        return replace(base, stage=Stage.KUBELET, verdict=Verdict.SYSCTL_FORBIDDEN,
                       messages=(admission.status_message,), warnings=tuple(warnings), events=tuple(events),
                       phase="Failed", reason=admission.reason, status_message=admission.status_message)
    # 4. Runtime and 5. sandbox.
    plan = plan_sandbox(m.pod, node.runtime, v)
    warnings.extend(plan.warnings)
    outcome = create_sandbox(kernel, m.pod, plan, node.runtime)
    if not outcome.ok:
        detail = outcome.detail or ""
        text = sandbox_error_event(node.runtime, detail, sandbox_id(m.namespace, m.pod.name))
        events.append(Event("Warning", "FailedCreatePodSandBox", kubelet_from, text, pod_obj, 1, now))
        stage = Stage.SANDBOX if outcome.failed_at == "sandbox" else Stage.RUNTIME
        return replace(base, stage=stage, verdict=Verdict.CONTAINER_CREATING, messages=(text,),
                       warnings=tuple(warnings), events=tuple(events), phase="Pending")
    for c in m.pod.containers:
        if c.init:
            continue
        events.extend([
            Event("Normal", "Pulled", kubelet_from,
                  f'Container image "{c.image}" already present on machine', pod_obj, 1, now),
            Event("Normal", "Created", kubelet_from, f"Created container {c.name}", pod_obj, 1, now),
            Event("Normal", "Started", kubelet_from, f"Started container {c.name}", pod_obj, 1, now),
        ])
    sandbox = {"sysctls": dict(plan.sysctls), "new_ipc": plan.new_ipc, "new_net": plan.new_net,
               "new_uts": plan.new_uts, "hostname": (m.pod.hostname or m.pod.name)[:63],
               "runtime": node.runtime.value}
    return replace(base, stage=Stage.SANDBOX, verdict=Verdict.RUNNING, warnings=tuple(warnings),
                   events=tuple(events), phase="Running", values=dict(outcome.values), ns_label=outcome.label,
                   sandbox=sandbox)


def check(manifests: Sequence[Manifest], node: NodeConfig | None = None,
          profile: str | Path | None = None, kernel: Kernel | None = None) -> list[PodResult]:
    """Would each manifest's pod start? Runs on a throwaway copy of ``kernel`` (or a fresh one).

    Raises:
        KubeletStartupError: see :func:`run_pod`.
    """
    from fakeproc.model.kernel import Kernel

    scratch = kernel.copy() if kernel is not None else Kernel(profile or "6.18")
    return [run_pod(m, scratch, node) for m in manifests]
