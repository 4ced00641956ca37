"""The pods kept with a kernel (the cluster's stored objects) and ``kubectl apply`` on them.

Objects live in ``Kernel.attachments["kubernetes"]``, so they are saved in the
same state file as the kernel. :func:`apply` follows ``kubectl apply``: a new
object is *created*; the same configuration again is *unchanged*; a changed
one is *configured* when the API server accepts the update, and refused with
its immutability error when it does not (a Pod's spec, a Job's template).

>>> from fakeproc.model import Kernel
>>> from fakeproc.kubernetes.manifests import pod
>>> k = Kernel("6.18")
>>> [apply(pod("web", {"kernel.shm_rmid_forced": "1"}), k).action for _ in range(2)]
['created', 'unchanged']
>>> r = apply(pod("web", {"kernel.shm_rmid_forced": "0"}), k)
>>> print(r.messages[0].splitlines()[0][:80])
The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields oth
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from fakeproc.kubernetes._names import go_quote
from fakeproc.kubernetes.manifests import Manifest, PodSpec
from fakeproc.kubernetes.pipeline import Event, NodeConfig, PodResult, Stage, Verdict, run_pod
from fakeproc.kubernetes.runtime import Runtime, SandboxPlan
from fakeproc.kubernetes.sandbox import create_sandbox, destroy_sandbox, pod_label
from fakeproc.kubernetes.versions import EVENT_FROM_KUBELET, POD_UPDATABLE_FIELDS, KubeVersion, pick

if TYPE_CHECKING:
    from fakeproc.model import Kernel

__all__ = [
    "STATE_KEY",
    "apply",
    "apply_manifests",
    "delete_pod",
    "find_workload",
    "get_pod",
    "immutability_error",
    "list_pods",
    "list_results",
    "resync",
    "workload_kind",
]

#: Where pods live in ``Kernel.attachments``.
STATE_KEY = "kubernetes"


def _store(kernel: Kernel) -> dict[str, Any]:
    data: dict[str, Any] = kernel.attachments.setdefault(STATE_KEY, {})
    pods: dict[str, Any] = data.setdefault("pods", {})
    return pods


def _key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def _keep(kernel: Kernel, key: str, result: PodResult) -> None:
    """Store ``result`` under ``key`` with the next sequence number (apply order, for listings)."""
    data: dict[str, Any] = kernel.attachments.setdefault(STATE_KEY, {})
    seq = int(data.get("next_seq", 0))
    data["next_seq"] = seq + 1
    _store(kernel)[key] = {**result.to_dict(), "seq": seq}


def _result(d: Mapping[str, Any]) -> PodResult:
    return PodResult.from_dict({k: v for k, v in d.items() if k != "seq"})


# ---------------------------------------------------------------------------- update rules


def _spec_of(doc: Mapping[str, Any], path: str) -> dict[str, Any]:
    obj: Any = doc
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, Mapping) else None
    return dict(obj) if isinstance(obj, Mapping) else {}


def _munged(spec: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """``ValidatePodUpdate``'s munging: the fields a pod update may change take the old values."""
    out = dict(spec)
    for key in ("containers", "initContainers"):
        new_list, old_list = list(out.get(key) or []), list(old.get(key) or [])
        out[key] = [{**c, "image": o.get("image")} if isinstance(c, Mapping) and isinstance(o, Mapping) else c
                    for c, o in zip(new_list, old_list)] + new_list[len(old_list):]
        if not out[key] and key not in spec:
            del out[key]
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        if key in old:
            out[key] = old[key]
        else:
            out.pop(key, None)
    return out


def _go_sysctls(items: Any) -> str:
    if not items:
        return "nil"
    body = ", ".join(f"{{Name: {go_quote(str(i.get('name', '')))}, Value: {go_quote(str(i.get('value', '')))}}}"
                     for i in items if isinstance(i, Mapping))
    return f"[]core.Sysctl{{{body}}}"


def _go_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


#: Pod spec fields shown as nested Go structs in the diff, with how their own fields print.
_NESTED: dict[str, tuple[str, dict[str, Callable[[Any], str]]]] = {
    "securityContext": ("&core.PodSecurityContext", {"sysctls": _go_sysctls}),
}


def _go_name(key: str) -> str:
    return key[:1].upper() + key[1:]


def _diff_lines(old: Mapping[str, Any], new: Mapping[str, Any], depth: int) -> list[str]:
    tabs = "\t" * depth
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        nested = _NESTED.get(key) if depth == 1 else None
        if nested is not None:
            go_type, renderers = nested
            lines.append(f"  {tabs}{_go_name(key)}: {go_type}{{")
            lines.append(f"  {tabs}\t... // unchanged fields")
            inner_old, inner_new = dict(old.get(key) or {}), dict(new.get(key) or {})
            for sub in sorted(set(inner_old) | set(inner_new)):
                if inner_old.get(sub) != inner_new.get(sub):
                    show = renderers.get(sub, _go_json)
                    lines.append(f"- {tabs}\t{_go_name(sub)}: {show(inner_old.get(sub))},")
                    lines.append(f"+ {tabs}\t{_go_name(sub)}: {show(inner_new.get(sub))},")
            lines.append(f"  {tabs}}},")
        else:
            lines.append(f"- {tabs}{_go_name(key)}: {_go_json(old.get(key))},")
            lines.append(f"+ {tabs}{_go_name(key)}: {_go_json(new.get(key))},")
    return lines


def _spec_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """A ``cmp.Diff``-shaped summary of what changed in a pod spec.

    Divergence: the API server prints go-cmp's diff of the whole internal ``core.PodSpec``
    (its exact layout is deliberately unstable); fakeproc prints the changed fields only.
    """
    return "\n".join(["  core.PodSpec{", "  \t... // unchanged fields", *_diff_lines(old, new, 1),
                      "  \t... // unchanged fields", "  }"])


def immutability_error(m: Manifest, old: Mapping[str, Any], version: KubeVersion) -> str | None:
    """The API server's refusal of an update from ``old`` to ``m`` as kubectl prints it; None if allowed.

    Pods: ``ValidatePodUpdate`` (only images, activeDeadlineSeconds, tolerations and a few
    more may change). Jobs and CronJob job templates: the pod template is immutable.
    Deployments, ReplicaSets, StatefulSets and DaemonSets accept a new template (a rollout).
    """
    old_spec, new_spec = _spec_of(old, m.spec_path), _spec_of(m.raw, m.spec_path)
    if m.kind == "Pod":
        for key in ("containers", "initContainers"):
            if len(old_spec.get(key) or []) != len(new_spec.get(key) or []):
                return f"The Pod {go_quote(m.name)} is invalid: spec.{key}: Forbidden: pod updates may not add or remove containers"
        munged = _munged(new_spec, old_spec)
        if munged == old_spec:
            return None
        fields = pick(POD_UPDATABLE_FIELDS, version)
        return (f"The Pod {go_quote(m.name)} is invalid: spec: Forbidden: pod updates may not change fields other "
                f"than {fields}\n{_spec_diff(old_spec, munged)}")
    if m.kind == "Job" and old_spec != new_spec:
        # Divergence: the API server prints the whole template with Go's %#v; fakeproc abbreviates it.
        return f"The Job {go_quote(m.name)} is invalid: spec.template: Invalid value: core.PodTemplateSpec{{...}}: field is immutable"
    return None


# ---------------------------------------------------------------------------- apply and friends


def apply(manifest: Manifest, kernel: Kernel, node: NodeConfig | None = None) -> PodResult:
    """``kubectl apply`` of one object: run its pod through the pipeline and keep it with ``kernel``.

    Returns:
        The pod's :class:`~fakeproc.kubernetes.pipeline.PodResult`; its ``action`` is
        ``created``, ``configured`` or ``unchanged``, and a refused update has
        ``http_status`` 422 and the API server's message (the stored pod is untouched).
    """
    node = node or NodeConfig()
    pods = _store(kernel)
    key = _key(manifest.namespace, manifest.pod.name)
    old = next((d for d in pods.values() if d.get("kind", "Pod") == manifest.kind
                and d.get("object") == manifest.resource and d.get("namespace") == manifest.namespace), None)
    if old is not None and old.get("applied") is None:
        old = None  # kept by an older fakeproc without its configuration: re-created as before
    if old is not None:
        before = _result(old)
        applied = before.applied or {}
        if applied == manifest.raw:
            return replace(before, action="unchanged", warnings=())
        error = immutability_error(manifest, applied, node.kubernetes_version)
        if error is not None:
            return replace(before, http_status=422, messages=(error,), action="", warnings=(),
                           stage=Stage.API, verdict=Verdict.INVALID)
        if manifest.kind == "Pod":  # an image or metadata change: the pod itself stays
            updated = replace(before, applied=dict(manifest.raw), action="configured")
            _keep(kernel, key, updated)
            return updated
        # A workload's new template: the controller replaces its pod.
        pods.pop(_key(before.namespace, before.name), None)
        destroy_sandbox(kernel, pod_label(before.namespace, before.name))
    result = run_pod(manifest, kernel, node)
    action = "configured" if old is not None else "created"
    if result.http_status is None:
        result = replace(result, action=action)
    if result.stored or (manifest.is_workload and result.http_status is None):
        if result.verdict is Verdict.SYSCTL_FORBIDDEN:  # a replaced running pod's namespaces go
            destroy_sandbox(kernel, pod_label(manifest.namespace, manifest.pod.name))
        _keep(kernel, key, result)
    return result


def apply_manifests(manifests: Sequence[Manifest], kernel: Kernel, node: NodeConfig | None = None) -> list[PodResult]:
    """:func:`apply` each object of a (multi-document) manifest, in order."""
    return [apply(m, kernel, node) for m in manifests]


def _sandbox_pod(d: Mapping[str, Any]) -> PodSpec:
    return PodSpec(name=d["name"], namespace=d.get("namespace", "default"), hostname=d["sandbox"].get("hostname"))


def _sandbox_runtime(sandbox: Mapping[str, Any]) -> Runtime:
    if "runtime" in sandbox:
        return Runtime(sandbox["runtime"])
    return Runtime.CRIO if sandbox.get("writer") == "pinns" else Runtime.CONTAINERD_2  # older state files


def resync(kernel: Kernel) -> list[str]:
    """The kubelet's sync after a node reboot: every running pod whose sandbox namespaces are
    gone (``Kernel.reboot``) gets a new sandbox (:func:`create_sandbox`, in the runtime's order)
    with its sysctls written again, a restart counted and a ``SandboxChanged`` event, as the
    kubelet does when it finds the sandbox dead.

    Returns:
        ``namespace/name`` of the pods whose sandbox was re-created.
    """
    restarted = []
    now = time.time()
    for key, d in _store(kernel).items():
        sandbox, label = d.get("sandbox"), d.get("ns_label")
        if d.get("verdict") != Verdict.RUNNING.value or not sandbox or not label:
            continue
        if kernel.namespace_by_label(label) is not None:
            continue
        plan = SandboxPlan(dict(sandbox["sysctls"]), (), sandbox["new_ipc"], sandbox["new_net"], sandbox["new_uts"])
        create_sandbox(kernel, _sandbox_pod(d), plan, _sandbox_runtime(sandbox))
        d["restarts"] = int(d.get("restarts", 0)) + 1
        kubelet_from = pick(EVENT_FROM_KUBELET, KubeVersion.parse(d["kubernetes_version"])).format(
            node=d.get("node", ""))
        d["events"] = list(d.get("events", ())) + [asdict(Event(
            "Normal", "SandboxChanged", kubelet_from, "Pod sandbox changed, it will be killed and re-created.",
            f"pod/{d['name']}", 1, now))]
        restarted.append(key)
    return restarted


def list_results(kernel: Kernel, namespace: str | None = None) -> list[PodResult]:
    """Every stored object's result, also a workload whose controller could not create its pod."""
    stored = sorted(_store(kernel).values(), key=lambda d: (d.get("created", 0.0), d.get("seq", 0)))
    pods = [_result(d) for d in stored]
    return [p for p in pods if namespace is None or p.namespace == namespace]


def list_pods(kernel: Kernel, namespace: str | None = None) -> list[PodResult]:
    """Stored pods that exist (all namespaces when ``namespace`` is None), oldest first."""
    return [p for p in list_results(kernel, namespace) if p.stored]


#: kubectl's names and short names of the workload kinds.
_KIND_NAMES = {
    "Deployment": ("deployment", "deployments", "deploy"),
    "ReplicaSet": ("replicaset", "replicasets", "rs"),
    "StatefulSet": ("statefulset", "statefulsets", "sts"),
    "DaemonSet": ("daemonset", "daemonsets", "ds"),
    "Job": ("job", "jobs"),
    "CronJob": ("cronjob", "cronjobs", "cj"),
}


def workload_kind(text: str) -> str | None:
    """``deploy``, ``deployments.apps``, ``sts``... -> the kind (``Deployment``...), None if unknown."""
    word = text.lower().split(".", 1)[0]
    return next((kind for kind, names in _KIND_NAMES.items() if word in names), None)


def find_workload(kernel: Kernel, kind: str, name: str, namespace: str = "default") -> tuple[str, PodResult] | None:
    """The workload ``kind/name`` (a ReplicaSet also as the one a Deployment made), with its pod's result."""
    wanted = workload_kind(kind)
    if wanted is None:
        return None
    for r in list_results(kernel, namespace):
        if r.kind == wanted and r.object.split("/", 1)[1] == name:
            return wanted, r
        if wanted == "ReplicaSet" and r.kind == "Deployment" and r.name.rsplit("-", 1)[0] == name:
            return wanted, r
    return None


def get_pod(kernel: Kernel, name: str, namespace: str = "default") -> PodResult | None:
    """A stored pod, or None."""
    d = _store(kernel).get(_key(namespace, name))
    return _result(d) if d is not None else None


def delete_pod(kernel: Kernel, name: str, namespace: str = "default") -> bool:
    """Delete a stored pod and its namespaces; False if there was none."""
    d = _store(kernel).pop(_key(namespace, name), None)
    destroy_sandbox(kernel, pod_label(namespace, name))
    return d is not None
