"""Step 2: sysctl -w is lost at reboot; sysctl -p FILE; a boot applies /etc/sysctl.conf and sysctl.d."""

from __future__ import annotations

from pathlib import Path

from _common import show

from fakeproc import Kernel
from fakeproc.boot import reboot_kernel
from fakeproc.sysctlconf import apply, parse

HERE = Path(__file__).resolve().parent
k = Kernel("6.18")

k.set("vm.swappiness", "10")  # sysctl -w vm.swappiness=10
show("sysctl -w vm.swappiness=10; sysctl -n vm.swappiness", k.read("vm.swappiness"))
result = reboot_kernel(k)  # fakeproc reboot
show("fakeproc reboot; sysctl -n vm.swappiness", k.read("vm.swappiness"))

conf = HERE.parent / "sysctl" / "demo.conf"
report = apply(k, parse(conf.read_text(), "procps", filename=conf.name), "procps")  # sysctl -p demo.conf
show(f"sysctl -p {conf.name}", "\n".join(report.stdout + report.stderr))

etc = HERE.parent / "sysctl" / "etc"
result = reboot_kernel(k, etc=etc)  # fakeproc reboot --etc examples/sysctl/etc
show("fakeproc reboot --etc examples/sysctl/etc", result.transcript())
show("sysctl vm.swappiness net.core.somaxconn",
     f"vm.swappiness = {k.read('vm.swappiness')}net.core.somaxconn = {k.read('net.core.somaxconn')}")
