"""kernel.hostname is per UTS namespace, and a new UTS namespace copies its creator's.

Unlike kernel.sem (a new IPC namespace starts from the defaults), a new UTS
namespace starts as a copy of the parent's hostname and domainname; changes made
afterwards on either side stay on that side.
"""

from __future__ import annotations

from fakeproc import Kernel

k = Kernel("6.18")
k.set("kernel.hostname", "k8s-node-1")  # hostname k8s-node-1 (sysctl -w kernel.hostname=...)
child = k.unshare(k.init_ns, uts=True)  # unshare --uts
print("host:               kernel.hostname =", k.read("kernel.hostname").strip())
print("new uts namespace:  kernel.hostname =", k.read("kernel.hostname", ns=child).strip())
k.set("kernel.hostname", "my-pod", ns=child)
print("after renaming the new namespace:")
print("  host:             kernel.hostname =", k.read("kernel.hostname").strip())
print("  new namespace:    kernel.hostname =", k.read("kernel.hostname", ns=child).strip())

from fakeproc.sandbox import fuse_available, mounted

if fuse_available()[0]:
    k.drop_namespaces(child)
    script = ("echo host: $(cat /proc/sys/kernel/hostname); "
              "unshare --uts sh -c 'echo copied: $(cat /proc/sys/kernel/hostname); "
              "echo my-pod > /proc/sys/kernel/hostname; echo renamed: $(cat /proc/sys/kernel/hostname)'; "
              "echo host again: $(cat /proc/sys/kernel/hostname)")
    with mounted(kernel=k) as m:
        r = m.run(["sh", "-c", script], capture_output=True, text=True, timeout=60)
    print("real programs through the FUSE mount:")
    print(r.stdout + r.stderr, end="")
