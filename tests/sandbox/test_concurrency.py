"""Eight processes writing and reading the same keys at once: no torn value, no crash."""

from __future__ import annotations

import sys
import textwrap

from tests.fuse.support import requires_fuse, sh

pytestmark = requires_fuse

WORKER = textwrap.dedent("""
    import os, sys
    me, rounds = int(sys.argv[1]), int(sys.argv[2])
    names = {f"w{i}-" + "x" * (i * 7) for i in range(8)} | {"(none)"}
    sems = {f"{i}\\t{i * 1000}\\t{i + 1}\\t{i * 10}" for i in range(8)} | {"32000\\t1024000000\\t500\\t32000"}
    def put(path, text):
        fd = os.open(path, os.O_WRONLY)
        try:
            assert os.write(fd, text.encode()) == len(text)
        finally:
            os.close(fd)
    def get(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            return os.read(fd, 4096).decode().rstrip("\\n")
        finally:
            os.close(fd)
    bad = 0
    for n in range(rounds):
        put("/proc/sys/kernel/domainname", f"w{me}-" + "x" * (me * 7) + "\\n")
        put("/proc/sys/kernel/sem", f"{me} {me * 1000} {me + 1} {me * 10}\\n")
        if get("/proc/sys/kernel/domainname") not in names:
            bad += 1
        if get("/proc/sys/kernel/sem") not in sems:
            bad += 1
    print(f"worker {me} bad {bad}")
    sys.exit(1 if bad else 0)
""")


def test_eight_processes_never_see_a_torn_value_and_the_server_survives(mount, tmp_path):
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER)
    script = (
        f'pids=; for i in 0 1 2 3 4 5 6 7; do {sys.executable} {worker} $i 150 & pids="$pids $!"; done; '
        "fails=0; for p in $pids; do wait $p || fails=$((fails+1)); done; echo fails=$fails"
    )
    done = mount.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)
    assert "fails=0" in done.stdout, done.stdout + done.stderr
    assert done.stdout.count("bad 0") == 8
    assert sh(mount, "cat /proc/sys/kernel/ostype").stdout == "Linux\n"
    assert mount.server.alive
    assert len([r for r in mount.kernel.write_log if r.errno == 0]) > 0
