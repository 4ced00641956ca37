"""Step 1: the /proc/sys tree, reading a value, and why the files report size 0."""

from __future__ import annotations

from _common import run_real, show

from fakeproc import Kernel

k = Kernel("6.18")
show("ls /proc/sys", "  ".join(k.listdir("")))
show("cat /proc/sys/kernel/sem", k.read("kernel.sem"))
st = k.stat("kernel/sem")
print(f"# stat: size {st.size} (the value is made when read), mode {oct(st.mode)}")
real = run_real(k, ["stat", "-c", "%s %n", "/proc/sys/kernel/sem"])
if real is not None:
    show("stat -c '%s %n' /proc/sys/kernel/sem   # a real stat(1) through the FUSE mount", real)
