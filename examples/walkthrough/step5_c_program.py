"""Step 5: the article's C program: a new IPC namespace gets kernel.sem's defaults, not the host's value.

Through the model always; with the article's C program (examples/c/ipcns.c) too
when FUSE and a C compiler are available.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from _common import run_real, show

from fakeproc import Kernel

k = Kernel("6.18")
k.set("kernel.sem", "33000 1024000000 500 32000")  # sysctl -w kernel.sem="33000 1024000000 500 32000"
child = k.unshare(k.init_ns, ipc=True)  # clone(CLONE_NEWIPC)
show("at parent - host ipc ns: cat /proc/sys/kernel/sem", k.read("kernel.sem"))
show("at child - new ipc ns: cat /proc/sys/kernel/sem", k.read("kernel.sem", ns=child))

gcc = shutil.which("gcc") or shutil.which("cc")
if gcc:
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "ipcns"
        src = Path(__file__).resolve().parent.parent / "c" / "ipcns.c"
        subprocess.run([gcc, "-o", str(exe), str(src)], check=True)
        real = run_real(k, [str(exe)])
        if real is not None:
            show("./ipcns   # the C program, through the FUSE mount", real)
