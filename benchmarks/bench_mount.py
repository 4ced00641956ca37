"""Time the FUSE mount against the real /proc/sys, side by side in one run.

Usage (root, or a user allowed to make user namespaces with a usable /dev/fuse)::

    .venv/bin/python benchmarks/bench_mount.py [--reps 7] [--reads 5000] [--writes 2000] [--threaded] [--json]

What is measured, each inside its own process so that spawning is not counted:

* ``sysctl -a >/dev/null`` (procps), median of ``--reps`` runs;
* a loop of single-key reads of ``kernel/sem``: ``os.open``/``os.read``/``os.close``;
* a loop of writes of ``vm/swappiness``: open/write/close -- on the fake tree ONLY (the
  real /proc/sys is only ever read).

Fake runs see the mount bound over /proc/sys in a private mount namespace; real runs
read the host's /proc/sys. Runs alternate fake/real to spread noise. The FUSE request
counts per operation are printed too (see docs/mount.md for what each one costs).
Targets: ``sysctl -a`` at most 8x the real kernel's time, a single-key read at most 25x.

``--bindings`` compares FUSE bindings instead, side by side in one run: per open+read+close
of one file, with the server and the client pinned (``taskset``; both on CPU 0 by default,
``--server-cpu``/``--client-cpu`` to change), on

* the same small "hello" server through each binding's own request wrappers
  (fusepy on libfuse2, mfusepy on libfuse2 and on libfuse3);
* fakeproc's own server (kernel/ostype, direct callbacks for the hot requests) through the
  binding it uses now (mfusepy) on each libfuse, and, with ``--baseline DIR`` (a checkout
  of an older fakeproc that used fusepy), through that one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

TARGETS = {"sysctl -a": 8.0, "read": 25.0}

DRIVER = r"""
import os, subprocess, sys, time, json
what, n = sys.argv[1], int(sys.argv[2])
if what == "sysctl":
    t = time.perf_counter()
    for _ in range(n):
        subprocess.run(["sysctl", "-a"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    per = (time.perf_counter() - t) / n
elif what == "read":
    path = "/proc/sys/kernel/sem"
    o, r, c = os.open, os.read, os.close
    t = time.perf_counter()
    for _ in range(n):
        fd = o(path, os.O_RDONLY); r(fd, 4096); c(fd)
    per = (time.perf_counter() - t) / n
elif what == "write":
    # Only ever run against the fake tree (the caller guarantees it).
    path = "/proc/sys/vm/swappiness"
    with open("/proc/self/mountinfo") as f:
        assert any(" /proc/sys " in line and "fuse.fakeproc" in line for line in f), "refusing: real /proc/sys"
    o, w, c = os.open, os.write, os.close
    values = [b"10\n", b"60\n"]
    t = time.perf_counter()
    for i in range(n):
        fd = o(path, os.O_WRONLY); w(fd, values[i & 1]); c(fd)
    per = (time.perf_counter() - t) / n
print(json.dumps(per))
"""


def _run_driver(argv_prefix: list[str], driver: str, what: str, n: int) -> float:
    done = subprocess.run(
        [*argv_prefix, sys.executable, driver, what, str(n)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark driver failed ({what}): {done.stderr.strip()}")
    return float(json.loads(done.stdout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reps", type=int, default=7, help="repetitions of each measurement (median reported)"
    )
    parser.add_argument("--reads", type=int, default=5000, help="reads per read-loop run")
    parser.add_argument("--writes", type=int, default=2000, help="writes per write-loop run (fake only)")
    parser.add_argument("--sysctl-runs", type=int, default=3, help="sysctl -a invocations per run")
    parser.add_argument("--threaded", action="store_true", help="libfuse's multi-threaded loop")
    parser.add_argument("--profile", default="6.18")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--bindings", action="store_true", help="compare FUSE bindings (see above)")
    parser.add_argument("--baseline", metavar="DIR", help="with --bindings: an older fakeproc checkout")
    parser.add_argument("--server-cpu", default="0", help="with --bindings: the server's CPU (taskset)")
    parser.add_argument("--client-cpu", default="0", help="with --bindings: the client's CPU (taskset)")
    args = parser.parse_args(argv)
    if args.bindings:
        return bindings_main(args)

    from fakeproc import Kernel
    from fakeproc.sandbox import fuse_available
    from fakeproc.sandbox import start_mount

    ok, why = fuse_available()
    if not ok:
        print(f"bench_mount: FUSE is not usable here: {why}", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("bench_mount: run as root (the fake side needs a private mount namespace)", file=sys.stderr)
        return 2
    if shutil.which("sysctl") is None:
        print("bench_mount: procps sysctl is missing (apt-get install procps)", file=sys.stderr)
        return 2

    kernel = Kernel(args.profile)
    results: dict[str, dict[str, list[float]]] = {"sysctl -a": {}, "read": {}, "write": {}}
    with tempfile.TemporaryDirectory() as tmp:
        driver = os.path.join(tmp, "driver.py")
        with open(driver, "w") as f:
            f.write(DRIVER)
        os.chmod(tmp, 0o755)
        handle = start_mount(kernel, count_requests=True, threaded=args.threaded)
        try:
            fake_prefix = handle.bind_argv(["true"])[:-1]
            real_prefix: list[str] = []
            # Warm up both sides (dentry caches, the profile's trees).
            _run_driver(fake_prefix, driver, "sysctl", 1)
            _run_driver(real_prefix, driver, "sysctl", 1)
            for _ in range(args.reps):
                for side, prefix in (("fake", fake_prefix), ("real", real_prefix)):
                    results["sysctl -a"].setdefault(side, []).append(
                        _run_driver(prefix, driver, "sysctl", args.sysctl_runs)
                    )
                    results["read"].setdefault(side, []).append(
                        _run_driver(prefix, driver, "read", args.reads)
                    )
                results["write"].setdefault("fake", []).append(
                    _run_driver(fake_prefix, driver, "write", args.writes)
                )
            counts = _request_counts(handle, fake_prefix)
        finally:
            handle.close()

    report = {}
    for name, sides in results.items():
        fake = statistics.median(sides["fake"])
        real = statistics.median(sides["real"]) if "real" in sides else None
        report[name] = {
            "fake_us": round(fake * 1e6, 1),
            "real_us": round(real * 1e6, 1) if real else None,
            "ratio": round(fake / real, 1) if real else None,
            "target": TARGETS.get(name),
        }
    report_all = {"results": report, "requests": counts, "threaded": args.threaded, "reps": args.reps}
    if args.json:
        print(json.dumps(report_all, indent=2))
        return 0
    print(
        f"fakeproc mount benchmark ({'multi-threaded' if args.threaded else 'single-threaded'} loop, "
        f"median of {args.reps})"
    )
    print(f"{'measurement':<26}{'fake':>12}{'real':>12}{'ratio':>9}{'target':>9}")
    for name, row in report.items():
        label = {"sysctl -a": "sysctl -a", "read": "single-key read", "write": "single-key write"}[name]
        fake = _fmt(row["fake_us"])
        real = _fmt(row["real_us"]) if row["real_us"] else "(no)"
        ratio = f"{row['ratio']}x" if row["ratio"] else "-"
        target = f"<={row['target']:g}x" if row["target"] else "-"
        print(f"{label:<26}{fake:>12}{real:>12}{ratio:>9}{target:>9}")
    print("FUSE requests: " + "; ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


def _fmt(us: float | None) -> str:
    if us is None:
        return "-"
    return f"{us / 1000:.1f} ms" if us >= 1000 else f"{us:.1f} us"


def _request_counts(handle, prefix: list[str]) -> dict[str, dict[str, int]]:
    """FUSE requests per operation for one ``sysctl -a`` and for one open/read/close."""
    ops = handle.server.ops
    out = {}
    for label, argv in (
        ("sysctl -a", ["sysctl", "-a"]),
        ("one read (cat)", ["cat", "/proc/sys/kernel/sem"]),
        (
            "one read (os.open/read/close)",
            [
                sys.executable,
                "-c",
                "import os; fd=os.open('/proc/sys/kernel/sem', os.O_RDONLY); os.read(fd, 4096); os.close(fd)",
            ],
        ),
    ):
        # Warm the entry cache first so that only the steady-state requests are counted.
        subprocess.run([*prefix, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        ops.counts.clear()
        subprocess.run([*prefix, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out[label] = dict(sorted(ops.counts.items()))
    return out


HELLO = r"""
import errno, os, stat, sys
binding, mnt = sys.argv[1], sys.argv[2]
if binding == "fusepy":
    import fuse as B
else:
    import mfusepy as B
DATA = b"hello\n"
class Hello(B.Operations):
    use_ns = True
    def getattr(self, path, fh=None):
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2}
        if path == "/hello":
            return {"st_mode": stat.S_IFREG | 0o444, "st_nlink": 1, "st_size": 0}
        raise B.FuseOSError(errno.ENOENT)
    def readdir(self, path, fh):
        return [".", "..", "hello"]
    def open(self, path, flags):
        return 0
    def read(self, path, size, offset, fh):
        return DATA[offset:offset + size]
B.FUSE(Hello(), mnt, foreground=True, nothreads=True, direct_io=True, attr_timeout=1, entry_timeout=1)
"""

FAKEPROC_SERVER = r"""
import sys
from fakeproc import Kernel
from fakeproc.sandbox import start_mount
h = start_mount(Kernel("6.18"), sys.argv[2])
print("ready", flush=True)
sys.stdin.read()
h.close()
"""

CLIENT = r"""
import os, sys, time, json
path, n = sys.argv[1], int(sys.argv[2])
o, r, c = os.open, os.read, os.close
for _ in range(200):
    fd = o(path, os.O_RDONLY); r(fd, 4096); c(fd)
t = time.perf_counter()
for _ in range(n):
    fd = o(path, os.O_RDONLY); r(fd, 4096); c(fd)
print(json.dumps((time.perf_counter() - t) / n))
"""


def _libfuse_path(major: int) -> str | None:
    import ctypes

    name = {2: "libfuse.so.2", 3: "libfuse3.so.3"}[major]
    try:
        ctypes.CDLL(name)
    except OSError:
        return None
    return name


def _start_server(kind: str, mnt: str, tmp: str, baseline: str | None, server_cpu: str) -> subprocess.Popen[str]:
    binding, _, lib = kind.partition("/")
    env = dict(os.environ)
    env.pop("FAKEPROC_LIBFUSE", None)
    if binding in ("fusepy", "mfusepy"):
        script = os.path.join(tmp, "hello.py")
        with open(script, "w") as f:
            f.write(HELLO)
        env["FUSE_LIBRARY_PATH"] = _libfuse_path(int(lib[-1])) or ""
        argv = [sys.executable, script, binding, mnt]
    else:
        script = os.path.join(tmp, "server.py")
        with open(script, "w") as f:
            f.write(FAKEPROC_SERVER)
        if binding == "fakeproc-baseline":
            env["PYTHONPATH"] = baseline or ""
        else:
            env["FAKEPROC_LIBFUSE"] = lib[-1]
        argv = [sys.executable, script, binding, mnt]
    proc = subprocess.Popen(
        ["taskset", "-c", server_cpu, *argv], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if os.path.ismount(mnt) and proc.poll() is None:
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"bench_mount: the {kind} server did not come up")


def _stop_server(proc: subprocess.Popen[str], mnt: str) -> None:
    subprocess.run(["umount", "-l", mnt], check=False, stderr=subprocess.DEVNULL)
    if proc.stdin:
        proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bindings_main(args: argparse.Namespace) -> int:
    if os.geteuid() != 0 or shutil.which("taskset") is None:
        print("bench_mount: --bindings needs root and taskset (util-linux)", file=sys.stderr)
        return 2
    kinds = []
    for major in (2, 3):
        if _libfuse_path(major) is None:
            continue
        if major == 2:
            kinds.append("fusepy/libfuse2")
        kinds.append(f"mfusepy/libfuse{major}")
    kinds = [k for k in kinds if not k.startswith("fusepy") or _importable("fuse")]
    kinds += [f"fakeproc/libfuse{m}" for m in (2, 3) if _libfuse_path(m)]
    if args.baseline:
        kinds.append("fakeproc-baseline/libfuse2")
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        client = os.path.join(tmp, "client.py")
        with open(client, "w") as f:
            f.write(CLIENT)
        for _ in range(args.reps):
            for kind in kinds:
                mnt = os.path.join(tmp, "mnt")
                os.makedirs(mnt, exist_ok=True)
                proc = _start_server(kind, mnt, tmp, args.baseline, args.server_cpu)
                target = f"{mnt}/hello" if kind.startswith(("fusepy", "mfusepy")) else f"{mnt}/kernel/ostype"
                try:
                    done = subprocess.run(
                        ["taskset", "-c", args.client_cpu, sys.executable, client, target, str(args.reads)],
                        capture_output=True, text=True, check=False,
                    )
                finally:
                    _stop_server(proc, mnt)
                if done.returncode != 0:
                    raise SystemExit(f"bench_mount: client failed on {kind}: {done.stderr.strip()}")
                samples[kind].append(float(json.loads(done.stdout)) * 1e6)
    report = {k: round(statistics.median(v), 2) for k, v in samples.items()}
    if args.json:
        print(json.dumps({"us_per_open_read_close": report, "reps": args.reps, "pinned": True}, indent=2))
        return 0
    print(f"open+read+close of one file, median of {args.reps} runs of {args.reads:,}; "
          f"server on CPU {args.server_cpu}, client on CPU {args.client_cpu} (taskset)")
    for kind, us in report.items():
        what = "hello server" if kind.startswith(("fusepy", "mfusepy")) else "fakeproc server"
        print(f"{kind:<28}{what:<18}{us:>8.1f} us")
    return 0


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    sys.exit(main())
