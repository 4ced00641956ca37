"""Step 8: the namespaces as a tree: the host's, a child IPC namespace, and a pod's sandbox."""

from __future__ import annotations

from fakeproc import Kernel
from fakeproc.demo.nstree import namespace_tree, render_text
from fakeproc.kubernetes import NodeConfig, apply, pod

k = Kernel("6.18")
k.write("kernel.sem", "33000 1024000000 500 32000")
child = k.unshare(k.init_ns, ipc=True, label="unshare --ipc")
k.write("kernel.sem", "20000 1024000000 500 32000", ns=child)
apply(pod("joo-modify-sysctl", {"kernel.sem": "10000 1024000000 500 32000"}), k,
      NodeConfig.create(allowed_unsafe_sysctls="kernel.sem"))
print(render_text(namespace_tree(k, ["kernel.sem", "kernel.hostname"])))
