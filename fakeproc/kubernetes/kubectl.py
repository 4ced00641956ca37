"""Text as ``kubectl`` prints it: ``apply`` lines, ``get pods`` tables and ``describe pod``.

>>> human_duration(5), human_duration(150), human_duration(3 * 3600 + 120)
('5s', '2m30s', '3h2m')
>>> print(tabulate([["NAME", "READY"], ["sem", "0/1"]], padding=3))
NAME   READY
sem    0/1
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from fakeproc.kubernetes.pipeline import PodResult, Verdict

__all__ = ["apply_lines", "describe_pod", "get_pods", "human_duration", "pod_ip", "pod_status", "tabulate"]


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
    events = [e for e in p.events if e.object in ("", f"pod/{p.name}")]
    if not events:
        out.append("Events:  <none>")
    else:
        out.append("Events:")
        rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
        for e in events:
            age = human_duration(now - e.time)
            if e.count > 1:
                age = f"{age} (x{e.count} over {age})"
            rows.append([e.type, e.reason, age, e.source, e.message])
        out.append(tabulate(rows, padding=2, indent="  "))
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
