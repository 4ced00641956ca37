"""net.core.somaxconn is per network namespace: each namespace has its own value.

A new net namespace starts from the compile-time default (4096 on Linux 6.x,
128 on 4.15), whatever the host's value; a write in one namespace is never seen
in another. With FUSE, the same test runs as real programs:
``unshare --net`` makes a real net namespace, which the fake kernel follows.
"""

from __future__ import annotations

import sys

from fakeproc import Kernel

profile = sys.argv[1] if len(sys.argv) > 1 else "6.18"
k = Kernel(profile)
k.set("net.core.somaxconn", "1024")  # sysctl -w net.core.somaxconn=1024 on the host
pod = k.unshare(k.init_ns, net=True, label="pod")  # unshare --net
print("host:          net.core.somaxconn =", k.read("net.core.somaxconn").strip())
print("new netns:     net.core.somaxconn =", k.read("net.core.somaxconn", ns=pod).strip())
k.set("net.core.somaxconn", "512", ns=pod)  # sysctl -w inside the namespace
print("after a write in the new netns:")
print("  host:        net.core.somaxconn =", k.read("net.core.somaxconn").strip())
print("  new netns:   net.core.somaxconn =", k.read("net.core.somaxconn", ns=pod).strip())

from fakeproc.sandbox import fuse_available, mounted

if fuse_available()[0]:
    k.drop_namespaces(pod)
    script = ("echo host: $(cat /proc/sys/net/core/somaxconn); "
              "unshare --net sh -c 'echo new netns: $(cat /proc/sys/net/core/somaxconn); "
              "sysctl -q -w net.core.somaxconn=512; echo written in it: $(cat /proc/sys/net/core/somaxconn)'; "
              "echo host again: $(cat /proc/sys/net/core/somaxconn)")
    with mounted(kernel=k) as m:
        r = m.run(["sh", "-c", script], capture_output=True, text=True, timeout=60)
    print("real programs through the FUSE mount:")
    print(r.stdout + r.stderr, end="")
