"""Step 3: kernel.sem's four fields and their defaults (include/uapi/linux/sem.h)."""

from __future__ import annotations

from _common import show

from fakeproc import Kernel

for profile in ("4.15", "6.18"):
    k = Kernel(profile)
    fields = dict(zip(("SEMMSL", "SEMMNS", "SEMOPM", "SEMMNI"), k.read("kernel.sem").split()))
    show(f"cat /proc/sys/kernel/sem   # Linux {profile}", k.read("kernel.sem"))
    print("#", ", ".join(f"{name}={value}" for name, value in fields.items()))
    print("# handler:", k.spec("kernel.sem").handler)
    try:
        k.write("kernel.sem", "31000 1024000000 500 99999")
        print("# SEMMNI 99999 accepted")
    except OSError as e:
        print(f"# SEMMNI 99999 refused: {e.strerror}")
    show("cat /proc/sys/kernel/sem", k.read("kernel.sem"))
