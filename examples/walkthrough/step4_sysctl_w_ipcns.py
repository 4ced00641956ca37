"""Step 4: sysctl -w in the parent and inside a new IPC namespace; each side keeps its own value."""

from __future__ import annotations

from _common import show

from fakeproc import Kernel

k = Kernel("6.18")
k.write("kernel.sem", "33000 1024000000 500 32000")  # sysctl -w kernel.sem="33000 1024000000 500 32000"
show("cat /proc/sys/kernel/sem   # parent (host) IPC namespace", k.read("kernel.sem"))

child = k.unshare(k.init_ns, ipc=True)  # unshare --ipc
show("cat /proc/sys/kernel/sem   # child: a new IPC namespace starts from the defaults",
     k.read("kernel.sem", ns=child))
k.write("kernel.sem", "20000 1024000000 500 32000", ns=child)  # sysctl -w inside the child
show("cat /proc/sys/kernel/sem   # child, after its own sysctl -w", k.read("kernel.sem", ns=child))
show("cat /proc/sys/kernel/sem   # parent: unchanged", k.read("kernel.sem"))
