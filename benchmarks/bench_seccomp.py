"""``sysctl -a`` under the seccomp backend beside the namespace backend, in one run.

Both serve the same kernel from the same in-process FUSE mount (``fakeproc.mounted()``):

* namespaces: ``unshare --mount`` + a bind of the mount over ``/proc/sys`` (``MountHandle.run``,
  the engine of ``fakeproc run`` as root);
* seccomp: :func:`fakeproc.backends.seccomp.run_redirected` (no namespaces).

Each is timed from start to exit (fork, exec, supervisor start-up included), best of N, unpinned
and then pinned to one CPU (``taskset -c 0`` on this process: server, supervisor and command
share it), and the ratio is printed. A CMD that never touches /proc/sys (``python3 -S -c pass``)
is timed under both too, to show the cost of the notified path syscalls.

Run: ``.venv/bin/python benchmarks/bench_seccomp.py [--runs N]`` (root, or a usable FUSE).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import fakeproc
from fakeproc.backends.seccomp import available, run_redirected

__all__ = ["main"]


def _best(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _table(m: fakeproc.MountHandle, runs: int) -> list[tuple[str, float, float]]:  # type: ignore[name-defined]
    rows = []
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    try:
        for label, argv in (("sysctl -a", ["sysctl", "-a"]), ("python3 -S -c pass", ["python3", "-S", "-c", "pass"])):
            ns = _best(lambda argv=argv: m.run(argv, stdout=subprocess.DEVNULL), runs)

            def sec(argv: list[str] = argv) -> None:
                os.dup2(devnull, 1)
                try:
                    run_redirected(argv, mountpoint=m.path)
                finally:
                    os.dup2(saved, 1)

            rows.append((label, ns, _best(sec, runs)))
    finally:
        os.close(devnull)
        os.close(saved)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 2 if the backend is unusable here."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    why = available()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    print(f"{'command':<20} {'pinned':<7} {'namespaces':>11} {'seccomp':>9} {'ratio':>6}")
    with fakeproc.mounted(fakeproc.Kernel("6.18")) as m:
        for pinned in (False, True):
            old = os.sched_getaffinity(0)
            if pinned:
                os.sched_setaffinity(0, {min(old)})
            try:
                for label, ns, sec in _table(m, args.runs):
                    print(f"{label:<20} {'yes' if pinned else 'no':<7} {ns * 1000:>9.1f}ms {sec * 1000:>7.1f}ms "
                          f"{sec / ns:>5.2f}x", flush=True)
            finally:
                os.sched_setaffinity(0, old)
    return 0


if __name__ == "__main__":
    sys.exit(main())
