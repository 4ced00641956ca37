"""Kubernetes pod sysctls through the real pipeline, on the fake kernel.

API-server validation, Pod Security Admission, kubelet admission, the container
runtime and runc, then a pod sandbox of new model namespaces holding the values,
each stage with the exact upstream messages of the Kubernetes version named.

>>> from fakeproc.kubernetes import NodeConfig, load_manifests, run_pod
>>> m = load_manifests('''
... apiVersion: v1
... kind: Pod
... metadata: {name: sem}
... spec:
...   securityContext:
...     sysctls: [{name: kernel.sem, value: "10000 1024000000 500 32000"}]
...   containers: [{name: nginx, image: nginx}]
... ''')[0]
>>> run_pod(m, node=NodeConfig.create(kubernetes_version="1.30")).status_message
'Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted'
"""

from __future__ import annotations

from fakeproc.kubernetes.kubelet import KubeletStartupError
from fakeproc.kubernetes.manifests import (
    Manifest,
    PodSpec,
    Sysctl,
    in_namespace,
    load_manifest_file,
    load_manifests,
    pod,
)
from fakeproc.kubernetes.pipeline import Event, NodeConfig, PodResult, Stage, Verdict, check, run_pod
from fakeproc.kubernetes.psa import Level, PodSecurity
from fakeproc.kubernetes.runtime import Runtime
from fakeproc.kubernetes.store import (
    apply,
    apply_manifests,
    delete_pod,
    find_workload,
    get_pod,
    list_pods,
    list_results,
    resync,
)
from fakeproc.kubernetes.versions import DEFAULT_VERSION, KubeVersion

__all__ = [
    "DEFAULT_VERSION",
    "Event",
    "KubeVersion",
    "KubeletStartupError",
    "Level",
    "Manifest",
    "NodeConfig",
    "PodResult",
    "PodSecurity",
    "PodSpec",
    "Runtime",
    "Stage",
    "Sysctl",
    "Verdict",
    "apply",
    "apply_manifests",
    "check",
    "delete_pod",
    "find_workload",
    "get_pod",
    "in_namespace",
    "list_pods",
    "list_results",
    "load_manifest_file",
    "load_manifests",
    "pod",
    "resync",
    "run_pod",
]
