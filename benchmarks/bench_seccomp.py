"""The seccomp and emulated backends beside the namespace backend and no supervisor, in one run.

Both serve the same kernel from the same in-process FUSE mount (``fakeproc.mounted()``):

* namespaces: ``unshare --mount`` + a bind of the mount over ``/proc/sys`` (``MountHandle.run``,
  the engine of ``fakeproc run`` as root);
* seccomp: :func:`fakeproc.backends.seccomp.run_redirected` (no namespaces);
* emulated: :func:`fakeproc.backends.emulated.run_emulated` (no mount either);
* plain: the command alone, for commands that never touch /proc/sys.

Targets: seccomp/namespaces <= 1.5 for ``sysctl -a`` (issue 10), emulated/plain <= 1.2 for
commands that never touch /proc/sys and emulated/seccomp <= 2 for ``sysctl -a`` (issue 11).

Each is timed from start to exit (fork, exec, supervisor start-up included), best of N, unpinned
and then pinned to one CPU (``taskset -c 0`` on this process: server, supervisor and command
share it), and the ratios are printed.

Run: ``.venv/bin/python benchmarks/bench_seccomp.py [--runs N]`` (root, or a usable FUSE).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time

import fakeproc
from fakeproc.backends.seccomp import available, run_redirected

__all__ = ["main"]


def _best(fn, runs: int) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _quiet(fn):  # noqa: ANN001, ANN202 - run fn with fd 1 on /dev/null (the commands inherit it)
    def run() -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(devnull, 1)
        try:
            fn()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)

    return run


COMMANDS = (
    ("sysctl -a", ["sysctl", "-a"], True),
    ("python3 -S -c pass", ["python3", "-S", "-c", "pass"], False),
    ("python3 -c pass", ["python3", "-c", "pass"], False),
    # into a real file: GNU tar skips reading the files when the archive is /dev/null
    ("tar of fakeproc/", ["tar", "-cf", f"/tmp/fakeproc-bench-{os.getpid()}.tar", "-C", os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "fakeproc"], False),
)


def _table(m, runs: int) -> list[tuple[str, float, float, float, float]]:  # noqa: ANN001
    from fakeproc.backends.emulated import run_emulated

    rows = []
    for label, argv, _proc in COMMANDS:
        plain = _best(_quiet(lambda argv=argv: subprocess.run(argv, check=False)), runs)
        ns = _best(lambda argv=argv: m.run(argv, stdout=subprocess.DEVNULL), runs)
        sec = _best(_quiet(lambda argv=argv: run_redirected(argv, mountpoint=m.path)), runs)
        emu = _best(_quiet(lambda argv=argv: run_emulated(argv, kernel=m.kernel)), runs)
        rows.append((label, plain, ns, sec, emu))
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
    print(f"{'command':<20} {'pinned':<7} {'plain':>8} {'namespaces':>11} {'seccomp':>9} {'emulated':>9}  "
          "seccomp/ns  emulated/plain  emulated/seccomp")
    with fakeproc.mounted(fakeproc.Kernel("6.18")) as m:
        for pinned in (False, True):
            old = os.sched_getaffinity(0)
            if pinned:
                os.sched_setaffinity(0, {min(old)})
            try:
                for label, plain, ns, sec, emu in _table(m, args.runs):
                    print(f"{label:<20} {'yes' if pinned else 'no':<7} {plain * 1000:>6.1f}ms {ns * 1000:>9.1f}ms "
                          f"{sec * 1000:>7.1f}ms {emu * 1000:>7.1f}ms  {sec / ns:>9.2f}x  {emu / plain:>13.2f}x  "
                          f"{emu / sec:>15.2f}x", flush=True)
            finally:
                os.sched_setaffinity(0, old)
    with contextlib.suppress(OSError):
        os.unlink(f"/tmp/fakeproc-bench-{os.getpid()}.tar")
    return 0


if __name__ == "__main__":
    sys.exit(main())
