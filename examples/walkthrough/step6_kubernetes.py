"""Steps 6 and 7: the article's pod: SysctlForbidden, then allowed by the kubelet (delete it,
apply again), then exec shows the pod's own kernel.sem."""

from __future__ import annotations

from pathlib import Path

from _common import show

from fakeproc import Kernel
from fakeproc.kubernetes import NodeConfig, apply, delete_pod, load_manifest_file

node = Kernel("6.18")
manifest = load_manifest_file(Path(__file__).resolve().parent / "sysctl_test.yaml")[0]

refused = apply(manifest, node, NodeConfig.create())
print(f"# {refused.verdict.value}: {refused.status_message}")

delete_pod(node, refused.name)  # a failed pod stays failed: delete it, then apply again
allowed = apply(manifest, node, NodeConfig.create(allowed_unsafe_sysctls="kernel.sem"))
print(f"# {allowed.verdict.value}")
pod_ns = node.namespace_by_label(allowed.ns_label)
show("cat /proc/sys/kernel/sem   # on the node", node.read("kernel.sem"))
show("fakeproc pod exec joo-modify-sysctl -- cat /proc/sys/kernel/sem", node.read("kernel.sem", ns=pod_ns))
