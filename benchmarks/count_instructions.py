"""Deterministic cost of model reads and writes: instructions per operation under callgrind.

Run: ``.venv/bin/python benchmarks/count_instructions.py [--ops N] [--baseline DIR]``
(needs valgrind: ``apt-get install valgrind``).

Why: ``bench_model.py`` gives wall-clock rates, but on the shared VM these numbers come
from the core alternates between a fast and a slow phase, so a rate can differ by about
2x between runs and a 10% change in the code is lost in the noise. The number of
instructions the CPU executes does not depend on the host: under valgrind's callgrind it
is stable to well under 1% from run to run, so it is the measure to compare two versions
of the code with.

How: for every workload (the writes of ``bench_model.py`` and two reads, all in an
ipc+net+uts namespace set of a ``Kernel("6.18")``) this script runs itself twice as a
child process under ``valgrind --tool=callgrind``: once doing ``--ops`` operations and
once doing none after the same setup. The difference of the two instruction totals,
divided by ``--ops``, is the cost of one operation (interpreter start-up, imports and the
setup cancel out; the loop's own few instructions per iteration stay in). The garbage
collector stays on, as in ``bench_model.py``: a full collection costs some 0.5M
instructions, so whether one more of them falls inside a run can move a read's count by
about 1% at 5000 operations (more with fewer). ``PYTHONHASHSEED`` is fixed, so the same
code gives the same count. The children run in parallel, one per CPU; valgrind slows
each one down about 50x.

``--baseline DIR`` measures a second checkout of the project (for example a ``git
worktree`` of an older commit) in the same run, with a new/old ratio column. Each child
checks that it imported ``fakeproc`` from the checkout it was meant to measure.

The exit status is 0, 1 if a child failed, 2 if valgrind is not installed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

#: A workload: kind ("read" or "write"), key, and the value written ("" for reads).
Workload = tuple[str, str, str]

WORKLOADS: list[Workload] = [
    ("write", "kernel.sem", "32000 1024000000 500 32000"),
    ("write", "net.core.somaxconn", "1024"),
    ("write", "net.ipv4.ip_local_port_range", "32768 60999"),
    ("write", "kernel.hostname", "web-0"),
    ("read", "kernel.sem", ""),
    ("read", "net.core.somaxconn", ""),
]

CHILD_FLAG = "--child"
COLLECTED = re.compile(r"^==\d+==\s+Collected\s*:\s*(\d+)\s*$", re.MULTILINE)


class ChildFailed(Exception):
    """A valgrind child exited non-zero or printed no instruction count."""


def child(kind: str, key: str, value: str, n: int, root: str) -> int:
    """The measured process: set up a kernel and a pod namespace set, then do ``n`` operations
    with the ``fakeproc`` of ``root``."""
    root = os.path.realpath(root)
    sys.path.insert(0, root)
    import fakeproc
    from fakeproc import Kernel

    package = os.path.realpath(fakeproc.__file__ or "")
    if os.path.commonpath([package, root]) != root:
        print(f"error: imported fakeproc from {package}, not from {root}", file=sys.stderr)
        return 1
    k = Kernel("6.18")
    pod = k.unshare(k.init_ns, ipc=True, net=True, uts=True)
    if kind == "write":
        write = k.write
        for _ in range(n):
            write(key, value, ns=pod)
    else:
        read = k.read
        for _ in range(n):
            read(key, ns=pod)
    return 0


def count(workload: Workload, n: int, root: str) -> int:
    """Instructions executed by one child process doing ``n`` operations of ``workload``."""
    kind, key, value = workload
    env = dict(os.environ, PYTHONPATH=root, PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           sys.executable, os.path.abspath(__file__), CHILD_FLAG, kind, key, value, str(n), root]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    found = COLLECTED.search(proc.stderr)
    if proc.returncode != 0 or found is None:
        own = [line for line in proc.stderr.splitlines() if not line.startswith("==")]
        detail = own[-1] if own else f"exit status {proc.returncode}"
        raise ChildFailed(f"{kind} {key} ({n} ops, {root}): {detail}")
    return int(found.group(1))


def per_op(workloads: list[Workload], n: int, roots: list[str]) -> dict[tuple[str, Workload], float]:
    """Instructions per operation of every workload in every root: (with ``n`` - with 0) / ``n``."""
    jobs = [(root, w, ops) for ops in (n, 0) for w in workloads for root in roots]
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        futures = {pool.submit(count, job[1], job[2], job[0]): job for job in jobs}
        try:
            totals = {futures[future]: future.result() for future in as_completed(futures)}
        except ChildFailed:
            pool.shutdown(cancel_futures=True)  # do not start the rest; running children finish
            raise
    return {(root, w): (totals[root, w, n] - totals[root, w, 0]) / n for root in roots for w in workloads}


def main() -> int:
    if len(sys.argv) == 7 and sys.argv[1] == CHILD_FLAG:
        kind, key, value, n, root = sys.argv[2:]
        return child(kind, key, value, int(n), root)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=5000, help="operations per measured child (default 5000)")
    parser.add_argument("--baseline", metavar="DIR",
                        help="another checkout of the project to measure side by side (new/old ratio)")
    args = parser.parse_args()
    if args.ops < 1:
        parser.error("--ops must be at least 1")
    roots = [ROOT]
    if args.baseline is not None:
        baseline = os.path.realpath(args.baseline)
        if not os.path.isfile(os.path.join(baseline, "fakeproc", "__init__.py")):
            print(f"--baseline {args.baseline}: no fakeproc/__init__.py there", file=sys.stderr)
            return 2
        roots.append(baseline)
    if shutil.which("valgrind") is None:
        print("valgrind not found: install it (apt-get install valgrind) to count instructions", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        costs = per_op(WORKLOADS, args.ops, roots)
    except ChildFailed as e:
        print(f"child failed: {e}", file=sys.stderr)
        return 1
    took = time.perf_counter() - start
    print("Instructions per operation under callgrind: the deterministic cost measure "
          "(benchmarks/bench_model.py gives the wall-clock rates).")
    if len(roots) == 1:
        print(f"{'':45s} {'instr/op':>10s}")
        for w in WORKLOADS:
            print(f"{w[0] + ' ' + w[1]:45s} {costs[ROOT, w]:10,.0f}")
    else:
        print(f"new: {roots[0]}\nold: {roots[1]}")
        print(f"{'':45s} {'new':>10s} {'old':>10s} {'new/old':>8s}")
        for w in WORKLOADS:
            new, old = costs[roots[0], w], costs[roots[1], w]
            print(f"{w[0] + ' ' + w[1]:45s} {new:10,.0f} {old:10,.0f} {new / old:8.2f}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"({args.ops:,} ops per workload, {len(WORKLOADS) * len(roots) * 2} valgrind runs "
          f"on {os.cpu_count()} CPUs in {took:.0f} s; unpinned: instruction counts do not depend on "
          f"CPU placement or load, which was {load})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
