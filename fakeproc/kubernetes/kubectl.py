"""Text as ``kubectl`` prints it: ``apply`` lines, ``get pods`` tables and ``describe pod``.

>>> human_duration(5), human_duration(150), human_duration(3 * 3600 + 120)
('5s', '2m30s', '3h2m')
>>> print(tabulate([["NAME", "READY"], ["sem", "0/1"]], padding=3))
NAME   READY
sem    0/1
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import yaml

from fakeproc.kubernetes.manifests import WORKLOAD_KINDS
from fakeproc.kubernetes.pipeline import Event, PodResult, Verdict

__all__ = [
    "apply_lines",
    "describe_pod",
    "describe_workload",
    "get_events",
    "get_pods",
    "human_duration",
    "pod_ip",
    "pod_object",
    "pod_objects",
    "pod_status",
    "tabulate",
]


def human_duration(seconds: float) -> str:
    """apimachinery ``duration.HumanDuration`` (the AGE column)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years = hours // (24 * 365)
    if years < 8:
        return f"{years}y{(hours // 24) % 365}d"
    return f"{years}y"


def tabulate(rows: Sequence[Sequence[str]], padding: int = 2, indent: str = "") -> str:
    """Go ``tabwriter`` layout: each column as wide as its widest cell plus ``padding``."""
    if not rows:
        return ""
    widths = [0] * max(len(r) for r in rows)
    for r in rows:
        for i, cell in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for r in rows:
        cells = [cell.ljust(widths[i] + padding) for i, cell in enumerate(r[:-1])]
        lines.append((indent + "".join(cells) + (r[-1] if r else "")).rstrip())
    return "\n".join(lines)


def pod_status(p: PodResult) -> str:
    """The STATUS column: ``status.reason`` if set, else the phase or the waiting reason."""
    if p.reason:
        return p.reason
    if p.verdict is Verdict.CONTAINER_CREATING:
        return "ContainerCreating"
    return p.phase or ""


def _ready(p: PodResult) -> str:
    running = len(p.containers) if p.verdict is Verdict.RUNNING else 0
    return f"{running}/{len(p.containers)}"


def pod_ip(p: PodResult) -> str:
    """The IP column: ``<none>`` until the sandbox runs.

    Divergence: a running pod gets a stable stand-in address from the CNI's usual
    10.244.0.0/24 range (derived from its name), not one handed out by an IPAM plugin.
    """
    if p.verdict is not Verdict.RUNNING:
        return "<none>"
    digest = hashlib.sha256(f"{p.namespace}/{p.name}".encode()).digest()
    return f"10.244.0.{2 + digest[0] % 250}"


def get_pods(pods: Sequence[PodResult], now: float | None = None, *, wide: bool = False,
             namespace: str = "default") -> str:
    """``kubectl get pods`` (``-o wide`` adds IP, NODE, NOMINATED NODE and READINESS GATES)."""
    if not pods:
        return f"No resources found in {namespace} namespace."
    now = time.time() if now is None else now
    header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    if wide:
        header += ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    rows = [header]
    for p in pods:
        row = [p.name, _ready(p), pod_status(p), str(p.restarts), human_duration(now - p.created)]
        if wide:
            row += [pod_ip(p), p.node if p.phase else "<none>", "<none>", "<none>"]
        rows.append(row)
    return tabulate(rows, padding=3)


def describe_pod(p: PodResult, now: float | None = None) -> str:
    """``kubectl describe pod`` (the fields the sysctl pipeline decides, and the events)."""
    now = time.time() if now is None else now
    fields = [
        ["Name:", p.name],
        ["Namespace:", p.namespace],
        ["Priority:", "0"],
        ["Service Account:", "default"],
        ["Node:", p.node],
        ["Status:", "Pending" if p.verdict is Verdict.CONTAINER_CREATING else (p.phase or "")],
    ]
    if p.reason:
        fields.append(["Reason:", p.reason])
    if p.status_message:
        fields.append(["Message:", p.status_message])
    out = [tabulate(fields, padding=2), "Containers:"]
    for name in p.containers:
        state = {Verdict.RUNNING: "Running", Verdict.CONTAINER_CREATING: "Waiting"}.get(p.verdict)
        out.append(f"  {name}:")
        if state:
            out.append(f"    State:          {state}")
        if state == "Waiting":
            out.append("      Reason:       ContainerCreating")
    out.append(_events_table([e for e in p.events if e.object in ("", f"pod/{p.name}")], now))
    return "\n".join(out)


def apply_lines(results: Sequence[PodResult], objects: Sequence[str] | None = None) -> str:
    """What ``kubectl apply -f`` prints: warnings, then ``kind/name created|configured|unchanged``
    or the API server's error, object by object."""
    lines: list[str] = []
    for i, r in enumerate(results):
        obj = objects[i] if objects is not None else r.object
        lines.extend(f"Warning: {w}" for w in r.warnings if w.startswith("would violate"))
        if r.http_status is not None:
            lines.extend(r.messages)
        else:
            lines.append(f"{obj} {r.action or 'created'}")
    return "\n".join(lines)



def _events_table(events: Sequence[Event], now: float) -> str:
    if not events:
        return "Events:  <none>"
    rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
    for e in events:
        age = human_duration(now - e.time)
        if e.count > 1:
            age = f"{age} (x{e.count} over {age})"
        rows.append([e.type, e.reason, age, e.source, e.message])
    return "Events:\n" + tabulate(rows, padding=2, indent="  ")


def get_events(results: Sequence[PodResult], now: float | None = None, namespace: str = "default") -> str:
    """``kubectl get events``: every event of the namespace's objects, oldest first."""
    events = sorted((e for r in results for e in r.events), key=lambda e: e.time)
    if not events:
        return f"No resources found in {namespace} namespace."
    now = time.time() if now is None else now
    rows = [["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]]
    rows += [[human_duration(now - e.time), e.type, e.reason, e.object, e.message] for e in events]
    return tabulate(rows, padding=3)


def _timestamp(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _template(p: PodResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata, spec) of the pod as its object or its workload's template gives them."""
    raw: Mapping[str, Any] = p.applied or {}
    path = WORKLOAD_KINDS.get(p.kind, ("", "spec"))[1]
    obj: Any = raw
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, Mapping) else None
    meta: Any = raw.get("metadata") if p.kind == "Pod" else None
    if p.kind != "Pod":
        parent: Any = raw
        for part in path.rsplit(".", 1)[0].split("."):
            parent = parent.get(part) if isinstance(parent, Mapping) else None
        meta = parent.get("metadata") if isinstance(parent, Mapping) else None
    return dict(meta or {}), dict(obj or {})


def pod_object(p: PodResult) -> dict[str, Any]:
    """The pod as ``kubectl get pod -o yaml`` shows it: metadata, the spec as applied (plus
    ``nodeName``) and the status the pipeline decided.

    Divergence: fields the API server defaults (dnsPolicy, tolerations, a service account
    token volume...) and the container statuses are left out.
    """
    meta, spec = _template(p)
    metadata: dict[str, Any] = {"creationTimestamp": _timestamp(p.created), "name": p.name,
                                "namespace": p.namespace}
    if meta.get("labels"):
        metadata["labels"] = dict(meta["labels"])
    if p.kind != "Pod":
        owner_kind = {"Deployment": "ReplicaSet", "CronJob": "Job"}.get(p.kind, p.kind)
        owner_name = p.name.rsplit("-", 1)[0] if p.kind in ("Deployment", "ReplicaSet", "DaemonSet", "CronJob") \
            else p.object.split("/", 1)[1]
        if p.kind == "Job":
            owner_name = p.object.split("/", 1)[1]
        metadata["ownerReferences"] = [{"kind": owner_kind, "name": owner_name, "controller": True}]
    status: dict[str, Any] = {"phase": "Pending" if p.verdict is Verdict.CONTAINER_CREATING else p.phase}
    if p.reason:
        status["reason"] = p.reason
    if p.status_message:
        status["message"] = p.status_message
    if p.verdict is Verdict.RUNNING:
        status["podIP"] = pod_ip(p)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {**spec, "nodeName": p.node}, "status": status}


class _KubectlDumper(yaml.SafeDumper):  # type: ignore[misc,unused-ignore]
    """YAML as kubectl writes it (sigs.k8s.io/yaml): a string that needs quotes gets double quotes."""

    def choose_scalar_style(self) -> str:
        style = str(super().choose_scalar_style())
        return '"' if style == "'" else style


def pod_objects(pods: Sequence[PodResult], output: str, *, single: bool = False) -> str:
    """``-o yaml`` / ``-o json``: one Pod object, or a ``List`` of them (keys in kubectl's sorted order)."""
    objects = [pod_object(p) for p in pods]
    doc: dict[str, Any] = objects[0] if single and objects else {
        "apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}
    if output == "json":
        return json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False)
    text: str = yaml.dump(doc, Dumper=_KubectlDumper, sort_keys=True, allow_unicode=True, default_flow_style=False)
    return text.rstrip("\n")


def _labels(labels: Mapping[str, Any] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def describe_workload(kind: str, name: str, p: PodResult, now: float | None = None) -> str:
    """``kubectl describe KIND NAME`` for a workload: the fields the sysctl story needs, its pod
    template, and its events (a ReplicaSet's or Job's ``FailedCreate`` when the pod was refused).

    Divergence: rollout details (strategy, conditions, replica counts beyond the one pod
    fakeproc runs) are left out.
    """
    now = time.time() if now is None else now
    meta, spec = _template(p)
    raw = p.applied or {}
    selector = ((raw.get("spec") or {}).get("selector") or {}).get("matchLabels")
    created = p.started or p.stored
    fields = [["Name:", name], ["Namespace:", p.namespace],
              ["CreationTimestamp:", datetime.fromtimestamp(p.created, timezone.utc).strftime(
                  "%a, %d %b %Y %H:%M:%S +0000")]]
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
        fields.append(["Selector:", _labels(selector)])
    if kind == "ReplicaSet" and p.kind == "Deployment":
        fields.append(["Controlled By:", f"Deployment/{p.object.split('/', 1)[1]}"])
    running = 1 if p.started else 0
    if kind == "Deployment":
        counts = f"1 desired | {int(created)} updated | {int(created)} total"
        fields.append(["Replicas:", f"{counts} | {running} available | {1 - running} unavailable"])
    elif kind in ("ReplicaSet", "StatefulSet", "DaemonSet"):
        fields.append(["Replicas:", f"{int(created)} current / 1 desired"])
    if kind in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
        waiting = int(created) - running
        failed = 1 if p.phase == "Failed" else 0
        fields.append(["Pods Status:", f"{running} Running / {waiting - failed} Waiting / 0 Succeeded / {failed} Failed"])
    out = [tabulate(fields, padding=2), "Pod Template:", f"  Labels:  {_labels(meta.get('labels'))}", "  Containers:"]
    for c in spec.get("containers") or []:
        if isinstance(c, Mapping):
            out += [f"   {c.get('name', '')}:", f"    Image:  {c.get('image', '')}"]
    sysctls = (spec.get("securityContext") or {}).get("sysctls") or []
    if sysctls:
        out.append("  Sysctls:  " + ",".join(f"{s.get('name')}={s.get('value')}" for s in sysctls
                                            if isinstance(s, Mapping)))
    own = f"{kind.lower()}/{name}"
    out.append(_events_table([e for e in p.events if e.object == own], now))
    return "\n".join(out)
