"""Manifests in, pods out: YAML documents, workload pod templates and the pod fields that matter.

A Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob is reduced to
the one pod its controller would create first (with the name the controller
would give it) and the field path of its template, which the API server's
messages print.

>>> docs = load_manifests('''
... apiVersion: apps/v1
... kind: Deployment
... metadata: {name: web}
... spec:
...   template:
...     spec:
...       securityContext:
...         sysctls: [{name: kernel.sem, value: "10000 1024000000 500 32000"}]
...       containers: [{name: nginx, image: nginx}]
... ''')
>>> m = docs[0]
>>> (m.kind, m.qualified_kind, m.spec_path, m.pod.sysctls[0].name)
('Deployment', 'Deployment.apps', 'spec.template.spec', 'kernel.sem')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from fakeproc.errors import UsageError

__all__ = [
    "WORKLOAD_KINDS",
    "Container",
    "Manifest",
    "PodSpec",
    "Sysctl",
    "in_namespace",
    "load_manifest_file",
    "load_manifests",
    "manifest_from_dict",
    "pod",
]


@dataclass(frozen=True)
class Sysctl:
    """One ``spec.securityContext.sysctls`` item, as written (no normalisation)."""

    name: str
    value: str


@dataclass(frozen=True)
class Container:
    """A container (or init container) of a pod.

    Attributes:
        name: Container name.
        image: Image reference.
        security_context: Its ``securityContext`` mapping, as written.
        init: Whether it is an init container.
    """

    name: str
    image: str = ""
    security_context: Mapping[str, Any] = field(default_factory=dict)
    init: bool = False


@dataclass(frozen=True)
class PodSpec:
    """The parts of a pod that the sysctl pipeline reads.

    Attributes:
        name: Pod name (for workloads: the name the controller gives the first pod).
        namespace: Kubernetes namespace.
        sysctls: ``spec.securityContext.sysctls`` in order.
        host_network: ``spec.hostNetwork``.
        host_ipc: ``spec.hostIPC``.
        host_pid: ``spec.hostPID``.
        containers: Init containers then containers.
        security_context: The pod-level ``securityContext`` mapping.
        hostname: ``spec.hostname`` (the UTS hostname; defaults to the pod name).
        os_name: ``spec.os.name`` if set.
        labels: Pod labels.
        runtime_class: ``spec.runtimeClassName`` if set.
    """

    name: str
    namespace: str = "default"
    sysctls: tuple[Sysctl, ...] = ()
    host_network: bool = False
    host_ipc: bool = False
    host_pid: bool = False
    containers: tuple[Container, ...] = (Container("app", "busybox"),)
    security_context: Mapping[str, Any] = field(default_factory=dict)
    hostname: str | None = None
    os_name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    runtime_class: str | None = None

    @property
    def app_containers(self) -> tuple[Container, ...]:
        """The regular (non-init) containers."""
        return tuple(c for c in self.containers if not c.init)


@dataclass(frozen=True)
class Manifest:
    """One applied object and the pod it leads to.

    Attributes:
        kind: ``Pod``, ``Deployment``, ...
        name: The object's ``metadata.name``.
        namespace: Its namespace.
        qualified_kind: Kind with API group as the API server prints it (``Deployment.apps``).
        spec_path: Field path of the pod spec (``spec``, ``spec.template.spec``...).
        pod: The (first) pod it creates.
        source: Where it came from (file name), for messages.
        raw: The document as decoded (what ``kubectl apply`` records as last-applied).
        selector: A workload's ``spec.selector`` (None when absent).
        template_labels: A workload's ``spec.template.metadata.labels`` (None when absent).
        restart_policy: The pod (template) ``restartPolicy`` as written (None when absent).
    """

    kind: str
    name: str
    namespace: str
    qualified_kind: str
    spec_path: str
    pod: PodSpec
    source: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    selector: Mapping[str, Any] | None = None
    template_labels: Mapping[str, str] | None = None
    restart_policy: str | None = None

    @property
    def is_workload(self) -> bool:
        """Whether a controller, not the user, creates the pod."""
        return self.kind != "Pod"

    @property
    def resource(self) -> str:
        """``kubectl``'s ``kind/name`` (``pod/web``, ``deployment.apps/web``)."""
        return f"{self.qualified_kind.lower()}/{self.name}"


#: kind -> (API group, path of the pod template's spec).
WORKLOAD_KINDS: dict[str, tuple[str, str]] = {
    "Pod": ("", "spec"),
    "Deployment": ("apps", "spec.template.spec"),
    "ReplicaSet": ("apps", "spec.template.spec"),
    "StatefulSet": ("apps", "spec.template.spec"),
    "DaemonSet": ("apps", "spec.template.spec"),
    "Job": ("batch", "spec.template.spec"),
    "CronJob": ("batch", "spec.jobTemplate.spec.template.spec"),
}

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery rand.String's alphabet


def _suffix(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:length])


def _pod_name(kind: str, name: str) -> str:
    """The name a controller gives its first pod (deterministic stand-ins for the random parts)."""
    if kind == "Pod":
        return name
    if kind == "StatefulSet":
        return f"{name}-0"
    if kind == "Deployment":
        return f"{name}-{_suffix('rs' + name, 10)}-{_suffix('pod' + name, 5)}"
    if kind == "CronJob":
        return f"{name}-29000000-{_suffix('pod' + name, 5)}"
    return f"{name}-{_suffix('pod' + name, 5)}"


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(part)
    return obj


def _str_value(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    # Divergence: kubectl reports a non-string value as a JSON decoding error of the object;
    # fakeproc names the field instead.
    raise UsageError(f"{where}: value must be a string (quote it in YAML), got {value!r}")


def _containers(spec: Mapping[str, Any]) -> tuple[Container, ...]:
    out: list[Container] = []
    for key, init in (("initContainers", True), ("containers", False)):
        for c in spec.get(key) or ():
            if isinstance(c, Mapping):
                out.append(Container(str(c.get("name", "")), str(c.get("image", "")),
                                     dict(c.get("securityContext") or {}), init))
    return tuple(out)


def manifest_from_dict(doc: Mapping[str, Any], *, source: str = "") -> Manifest | None:
    """A :class:`Manifest` for one decoded YAML document; None for kinds without pods.

    Raises:
        UsageError: the document is not an object, or a sysctl item is malformed.
    """
    if not isinstance(doc, Mapping):
        raise UsageError(f"{source or 'manifest'}: a document is not a mapping")
    kind = str(doc.get("kind", ""))
    if kind not in WORKLOAD_KINDS:
        return None
    group, spec_path = WORKLOAD_KINDS[kind]
    meta = doc.get("metadata") or {}
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "default")
    spec = _get(doc, spec_path) or {}
    template_meta = (_get(doc, spec_path.rsplit(".", 1)[0] + ".metadata") if kind != "Pod" else meta) or {}
    sc = spec.get("securityContext") or {}
    sysctls = []
    for i, item in enumerate(sc.get("sysctls") or ()):
        where = f"{spec_path}.securityContext.sysctls[{i}]"
        if not isinstance(item, Mapping):
            raise UsageError(f"{where}: expected a mapping with name and value")
        sysctls.append(Sysctl(str(item.get("name") or ""), _str_value(item.get("value"), where)))
    os_name = (spec.get("os") or {}).get("name")
    pod_spec = PodSpec(
        name=_pod_name(kind, name) if name else "",
        namespace=namespace,
        sysctls=tuple(sysctls),
        host_network=bool(spec.get("hostNetwork")),
        host_ipc=bool(spec.get("hostIPC")),
        host_pid=bool(spec.get("hostPID")),
        containers=_containers(spec),
        security_context={k: v for k, v in sc.items() if k != "sysctls"},
        hostname=spec.get("hostname"),
        os_name=str(os_name) if os_name else None,
        labels=dict(template_meta.get("labels") or {}),
        runtime_class=str(spec["runtimeClassName"]) if spec.get("runtimeClassName") else None,
    )
    qualified = f"{kind}.{group}" if group else kind
    selector = _get(doc, "spec.selector") if kind != "Pod" else None
    labels = template_meta.get("labels") if kind != "Pod" else None
    policy = spec.get("restartPolicy")
    # JSON-safe (a YAML timestamp becomes its text), since it is kept in the state file.
    raw = json.loads(json.dumps(doc, default=str))
    return Manifest(kind, name, namespace, qualified, spec_path, pod_spec, source, raw=raw,
                    selector=dict(selector) if isinstance(selector, Mapping) else None,
                    template_labels=({str(k): str(v) for k, v in labels.items()}
                                     if isinstance(labels, Mapping) else None),
                    restart_policy=str(policy) if policy else None)


def in_namespace(m: Manifest, namespace: str) -> Manifest:
    """``m`` applied with ``kubectl -n NAMESPACE``: objects that name no namespace go there.

    Raises:
        UsageError: the object names another namespace (kubectl's refusal).
    """
    own = (m.raw.get("metadata") or {}).get("namespace") if m.raw else None
    if own and own != namespace:
        raise UsageError(f'the namespace from the provided object "{own}" does not match the namespace '
                         f'"{namespace}". You must pass \'--namespace={own}\' to perform this operation.')
    return replace(m, namespace=namespace, pod=replace(m.pod, namespace=namespace))


def load_manifests(text: str, *, source: str = "") -> list[Manifest]:
    """Every pod-creating object of a multi-document YAML text (``kind: List`` is unpacked).

    Raises:
        UsageError: invalid YAML or a malformed document.
    """
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as e:
        raise UsageError(f"{source or 'manifest'}: invalid YAML: {e}") from None
    out: list[Manifest] = []
    queue = [d for d in docs if d is not None]
    while queue:
        doc = queue.pop(0)
        if isinstance(doc, Mapping) and str(doc.get("kind", "")).endswith("List") and "items" in doc:
            queue[:0] = list(doc.get("items") or ())
            continue
        m = manifest_from_dict(doc, source=source)
        if m is not None:
            out.append(m)
    return out


def load_manifest_file(path: str | Path) -> list[Manifest]:
    """:func:`load_manifests` of a file (``-`` is not special here).

    Raises:
        UsageError: the file cannot be read, or see :func:`load_manifests`.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
    return load_manifests(text, source=str(path))


def pod(name: str, sysctls: Mapping[str, str] | Sequence[tuple[str, str]] | None = None, *,
        namespace: str = "default",
        host_network: bool = False, host_ipc: bool = False, containers: tuple[str, ...] = ("app",),
        **security_context: Any) -> Manifest:
    """A Pod manifest built in Python, for tests: ``pod("p", {"kernel.sem": "..."})``.

    ``sysctls`` may also be a sequence of ``(name, value)`` pairs, to repeat a name.
    """
    pairs = list(sysctls.items()) if isinstance(sysctls, Mapping) else list(sysctls or ())
    spec = PodSpec(
        name=name,
        namespace=namespace,
        sysctls=tuple(Sysctl(k, v) for k, v in pairs),
        host_network=host_network,
        host_ipc=host_ipc,
        containers=tuple(Container(c, "busybox") for c in containers),
        security_context=dict(security_context),
    )
    raw_spec: dict[str, Any] = {"containers": [{"name": c, "image": "busybox"} for c in containers]}
    if host_network:
        raw_spec["hostNetwork"] = True
    if host_ipc:
        raw_spec["hostIPC"] = True
    if pairs or security_context:
        raw_spec["securityContext"] = {**security_context,
                                       **({"sysctls": [{"name": k, "value": v} for k, v in pairs]} if pairs else {})}
    raw = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": raw_spec}
    return Manifest("Pod", name, namespace, "Pod", "spec", spec, raw=raw)
