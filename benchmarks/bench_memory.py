"""Peak memory of a fakeproc server under a million mixed operations, a hostile writer among them.

Usage (root: the hostile writer is a child process that drops to uid/gid 1001 with
``setpriv``; no user account is needed)::

    .venv/bin/python benchmarks/bench_memory.py [--ops 1000000] [--clients 3] [--in-process] [--json]

Through the mount (the default), ``fakeproc.mounted()`` serves a kernel from this process
and child processes drive it with plain ``open``/``read``/``write``/``close``:

* root clients: reads of random keys (55%), valid writes (25%), refused writes (10%),
  directory listings (10%);
* one hostile client, uid 1001: 128 KiB writes to ``kernel/ns_last_pid``, every one refused
  with EPERM (a quarter of all operations).

``--in-process`` drives the model directly with the same mix (no FUSE, no children).
The report gives operations per second, the server's resident memory at start and its
peak (``VmHWM``), and the write log's size; the target is a peak of at most 100 MB
(issue 14). Not pinned to a CPU: the figure that matters is memory, not time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

TARGET_MB = 100.0
HOSTILE_SHARE = 0.25
PAYLOAD = 128 << 10

CLIENT = r"""
import os, random, sys
root, role, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
def op_write(rel, data):
    try:
        fd = os.open(os.path.join(root, rel), os.O_WRONLY)
    except OSError:
        return
    try:
        os.write(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)
if role == "hostile":
    payload = b"7" * int(sys.argv[5])
    for _ in range(n):
        op_write("kernel/ns_last_pid", payload)
    sys.exit(0)
keys = sys.argv[5].split(",")
valid = [("vm/swappiness", lambda: b"%d\n" % rng.randrange(0, 201)),
         ("kernel/domainname", lambda: b"d%d\n" % rng.randrange(10**6)),
         ("net/ipv4/ip_local_reserved_ports", lambda: b"%d-%d\n" % (lambda a: (a, a + rng.randrange(50)))(rng.randrange(1, 60000))),
         ("kernel/sem", lambda: b"%d 1024000000 500 %d\n" % (rng.randrange(1, 32000), rng.randrange(1, 32000)))]
refused = [("vm/swappiness", b"abc\n"), ("kernel/sem", b"1 2 3 40000\n"), ("kernel/osrelease", b"x\n")]
dirs = ["", "kernel", "net/ipv4", "vm", "net/core"]
for _ in range(n):
    r = rng.random()
    if r < 0.55:
        try:
            fd = os.open(os.path.join(root, rng.choice(keys)), os.O_RDONLY)
        except OSError:
            continue
        try:
            os.read(fd, 65536)
        except OSError:
            pass
        os.close(fd)
    elif r < 0.80:
        rel, make = rng.choice(valid)
        op_write(rel, make())
    elif r < 0.90:
        rel, data = rng.choice(refused)
        op_write(rel, data)
    else:
        os.listdir(os.path.join(root, rng.choice(dirs)))
"""


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _readable_keys(kernel) -> list[str]:  # type: ignore[no-untyped-def]
    """Slash paths (procps's rule for VLAN names) of every entry root may read."""
    from fakeproc.spec import key_to_path

    # SIM118 takes Kernel.keys() for a dict's; a Kernel is no mapping (it has no __iter__).
    return [key_to_path(k) for k in kernel.keys() if kernel.access(k, read=True)]  # noqa: SIM118


def _mount_run(ops: int, clients: int) -> dict[str, object]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        sys.exit("bench_memory: the mount mode needs root and setpriv (util-linux); use --in-process")
    # A mountpoint the unprivileged writer can reach (the default one sits in a 0700 directory).
    parent = tempfile.mkdtemp(prefix="fakeproc-bench-")
    os.chmod(parent, 0o755)
    mountpoint = os.path.join(parent, "sys")
    os.mkdir(mountpoint)
    try:
        result = _serve(mountpoint, ops, clients)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    return result


def _serve(mountpoint: str, ops: int, clients: int) -> dict[str, object]:
    import fakeproc

    hostile_ops = int(ops * HOSTILE_SHARE)
    per_client = (ops - hostile_ops) // clients
    with fakeproc.mounted(profile="6.18", mountpoint=mountpoint) as m:
        keys = _readable_keys(m.kernel)
        start_rss = _rss_kb("VmRSS")
        t = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", CLIENT, m.path, "root", str(per_client), str(i),
                                   ",".join(keys)]) for i in range(clients)]
        procs.append(subprocess.Popen(["setpriv", "--reuid=1001", "--regid=1001", "--clear-groups",
                                       sys.executable, "-c", CLIENT, m.path, "hostile", str(hostile_ops), "0",
                                       str(PAYLOAD)]))
        for p in procs:
            p.wait()
        elapsed = time.perf_counter() - t
        peak = _rss_kb("VmHWM")  # before the report below builds records of its own
        failed = [p.returncode for p in procs if p.returncode]
        log = m.kernel.write_log
        result = {"mode": "mount", "ops": per_client * clients + hostile_ops, "elapsed_s": round(elapsed, 1),
                  "clients_failed": failed, "log_records": len(log), "log_payload_bytes": getattr(log, "payload_bytes", None),
                  "hostile_records": sum(1 for r in log if getattr(r, "uid", None) == 1001)}
    result |= {"rss_start_mb": round(start_rss / 1024, 1), "rss_peak_mb": round(peak / 1024, 1)}
    return result


def _in_process_run(ops: int) -> dict[str, object]:
    from fakeproc import Caller, Kernel

    k = Kernel("6.18")
    keys = [key for key in k.keys() if k.access(key, read=True)]  # noqa: SIM118 (see _readable_keys)
    hostile = Caller(uid=1001, gid=1001, pid=4242, comm="hostile")
    rng = random.Random(1)
    payload = b"7" * PAYLOAD
    start_rss = _rss_kb("VmRSS")
    t = time.perf_counter()
    for _ in range(ops):
        r = rng.random()
        try:
            if r < HOSTILE_SHARE:
                k.open("kernel.ns_last_pid", os.O_WRONLY, caller=hostile).write(payload)
            elif r < 0.65:
                k.read(rng.choice(keys))
            elif r < 0.85:
                k.write("vm.swappiness", b"%d\n" % rng.randrange(0, 201))
            elif r < 0.9:
                a = rng.randrange(1, 60000)
                k.write("net.ipv4.ip_local_reserved_ports", b"%d-%d\n" % (a, a + rng.randrange(50)))
            elif r < 0.95:
                k.write("vm.swappiness", b"abc\n")
            else:
                k.listdir("net/ipv4")
        except OSError:
            pass
    elapsed = time.perf_counter() - t
    peak = _rss_kb("VmHWM")
    log = k.write_log
    return {"mode": "in-process", "ops": ops, "elapsed_s": round(elapsed, 1), "log_records": len(log),
            "log_payload_bytes": getattr(log, "payload_bytes", None), "hostile_records": sum(1 for r in log if getattr(r, "uid", None) == 1001),
            "rss_start_mb": round(start_rss / 1024, 1), "rss_peak_mb": round(peak / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=3, help="root client processes (mount mode)")
    parser.add_argument("--in-process", action="store_true", help="drive the model directly, without FUSE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = _in_process_run(args.ops) if args.in_process else _mount_run(args.ops, args.clients)
    result["target_mb"] = TARGET_MB
    result["within_target"] = float(result["rss_peak_mb"]) <= TARGET_MB  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(result))
        return
    for name, value in result.items():
        print(f"{name:>18}: {value}")


if __name__ == "__main__":
    main()
