"""The seccomp and emulated backends beside the namespace backend and no supervisor, in one run.

Both serve the same kernel from the same in-process FUSE mount (``fakeproc.mounted()``):

* namespaces: ``unshare --mount`` + a bind of the mount over ``/proc/sys`` (``MountHandle.run``,
  the engine of ``fakeproc run`` as root);
* seccomp: :func:`fakeproc.backends.seccomp.run_redirected` (no namespaces);
* emulated: :func:`fakeproc.backends.emulated.run_emulated` (no mount either);
* plain: the command alone, for commands that never touch /proc/sys;
* run-ns, run-sec: ``fakeproc.sandbox.run(argv, kernel=k, backend=...)``, the engine of ``fakeproc
  run --backend namespaces|seccomp`` with all it does per command (mount, serve, unmount; for
  seccomp the supervisor forked into a process of its own, the server busy-polling), in a helper
  process that booted the kernel once and runs nothing else (no Python start-up, no boot: the
  figures the issue's target is about, side by side).

Targets: seccomp/namespaces <= 1.5 for ``sysctl -a`` (issue 10; ``run sec/ns`` is that ratio for
``fakeproc run``, ``seccomp/ns`` the one of the in-process API), emulated/plain <= 1.2 for
commands that never touch /proc/sys and emulated/seccomp <= 2 for ``sysctl -a`` (issue 11).

Floors, to tell what any supervisor of this kind must cost:

* py-read: the same Python supervisor reading each path argument into a bytes object (as every
  handler must) and continuing: with run-ns, ``py-bound`` = run-ns + (py-read - plain) is the
  least a Python supervisor can take for ``fakeproc run`` before it answers anything;
* py-floor: fakeproc's Python supervisor with the seccomp backend's filter and no handlers (each
  notification continued at once);
* C: ``benchmarks/seccomp_floor.c`` (built with ``cc`` when there is one), the same filter served
  by a minimal C supervisor that reads each path argument and continues, timed inside the C
  launcher, with (C-floor) and without (C-plain) the filter.

``bound`` = namespaces + (C-floor - C-plain) is the least the seccomp backend can take: the
namespace backend's work (the same FUSE mount) plus the notifications' round trips alone.
``C-floor/C-plain`` is the least emulated/plain can be for that command.

Each is timed from start to exit (fork, exec, supervisor start-up included), best of N (the
variants in turn within each of the N rounds), unpinned and then pinned to one CPU (``taskset -c 0`` on this process: server, supervisor and command
share it), and the ratios are printed.

Run: ``.venv/bin/python benchmarks/bench_seccomp.py [--runs N]`` (root, or a usable FUSE).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import fakeproc
from fakeproc.backends.seccomp import available, run_redirected

__all__ = ["main"]

HERE = os.path.dirname(os.path.abspath(__file__))
# The interpreter itself: a pyenv shim in PATH would time bash scripts and exec chains instead.
PYTHON = os.path.realpath(sys.executable)
TAR = f"/tmp/fakeproc-bench-{os.getpid()}.tar"


def _best(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _quiet(fn):
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
    ("sysctl -a", ["sysctl", "-a"]),
    ("python3 -S -c pass", [PYTHON, "-S", "-c", "pass"]),
    ("python3 -c pass", [PYTHON, "-c", "pass"]),
    # into a real file: GNU tar skips reading the files when the archive is /dev/null
    ("tar of fakeproc/", ["tar", "-cf", TAR, "-C", os.path.dirname(HERE), "fakeproc"]),
)


def _c_floor(tmp: str) -> str | None:
    """The C floor launcher, built into ``tmp``; None without a C compiler."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    exe = os.path.join(tmp, "seccomp_floor")
    r = subprocess.run([cc, "-O2", "-pthread", "-o", exe, os.path.join(HERE, "seccomp_floor.c")],
                       capture_output=True, text=True, check=False)
    return exe if r.returncode == 0 else None


def _c_time(exe: str | None, argv: list[str], runs: int, *, plain: bool) -> tuple[float, int]:
    if exe is None:
        return float("nan"), 0
    out = subprocess.run([exe, *(["-n"] if plain else []), "-r", str(runs), "--", *argv],
                         capture_output=True, text=True, check=False).stdout.split()
    return float(out[0]) / 1000, int(out[1])


def _py_floor(argv: list[str]) -> tuple[int, bool]:
    """One run under the Python supervisor with the seccomp backend's filter and no handlers;
    returns (notifications, whether sync wake-up was used)."""
    from fakeproc.backends.seccomp import _redirect
    from fakeproc.backends.seccomp._abi import NR, bpf_program
    from fakeproc.backends.seccomp._supervisor import Supervisor

    rules = [(NR[name], None) for name in _redirect.PATH_SYSCALLS] + list(getattr(_redirect, "VIEW_RULES", ()))
    sup = Supervisor(bpf_program(rules), {})
    sup.run(argv)
    return sup.notifications, bool(getattr(sup, "sync_wake_up", True))


def _helper() -> int:
    """``--helper FD``: boot a kernel, then for each JSON ``[backend, argv]`` line on stdin run it
    with :func:`fakeproc.sandbox.run` and write the seconds it took (or an error) to FD."""
    import json
    import threading

    from fakeproc.sandbox import run

    out = int(sys.argv[sys.argv.index("--helper") + 1])
    kernel = fakeproc.Kernel("6.18")
    for line in sys.stdin:
        backend, argv = json.loads(line)
        threads = threading.active_count()  # 1: the seccomp launcher can fork its supervisor
        t = time.perf_counter()
        code = run(argv, kernel=kernel, backend=backend).exit_code
        took = time.perf_counter() - t
        answer = {"seconds": took} if code == 0 and threads == 1 else {"error": f"exit {code}, {threads} threads"}
        os.write(out, (json.dumps(answer) + "\n").encode())
    return 0


class Helper:
    """The process of :func:`_helper` (started with this process's CPU affinity)."""

    def __init__(self) -> None:
        import json

        self._json = json
        r, self._w = os.pipe()
        self._r = os.fdopen(r, "r")
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--helper", str(self._w)],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                     pass_fds=(self._w,))
        os.close(self._w)

    def time(self, backend: str, argv: list[str]) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(self._json.dumps([backend, argv]) + "\n")
        self.proc.stdin.flush()
        answer = self._json.loads(self._r.readline() or '{"error": "the helper died"}')
        if "error" in answer:
            raise RuntimeError(f"fakeproc run --backend {backend} {argv}: {answer['error']}")
        return float(answer["seconds"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()
        self._r.close()


#: Which argument of each path syscall holds the path (x86_64).
_PATH_ARG = {"open": 0, "stat": 0, "lstat": 0, "access": 0, "readlink": 0, "chdir": 0, "openat": 1, "openat2": 1,
             "newfstatat": 1, "statx": 1, "faccessat": 1, "faccessat2": 1, "readlinkat": 1}


def _py_read(argv: list[str]) -> None:
    """One run under the Python supervisor with the seccomp backend's filter, reading each path
    argument and continuing."""
    from fakeproc.backends.seccomp import _redirect
    from fakeproc.backends.seccomp._abi import NR, bpf_program
    from fakeproc.backends.seccomp._supervisor import CONTINUE, Supervisor

    rules = [(NR[name], None) for name in _redirect.PATH_SYSCALLS] + list(_redirect.VIEW_RULES)
    sup = Supervisor(bpf_program(rules), {})
    read_path = sup.mem.read_path

    def handler(index: int):
        def read(n):
            if n.args[index]:
                read_path(n.pid, n.args[index])
            return CONTINUE

        return read

    sup.handlers = {NR[name]: handler(index) for name, index in _PATH_ARG.items()}
    sup.run(argv)


def _rows(m, runs: int, exe: str | None, helper: Helper):
    """Per command: the best of ``runs`` for each variant, the variants taken in turn within each
    round so that a change of load on a shared machine weighs on all of them alike."""
    from fakeproc.backends.emulated import run_emulated

    for label, argv in COMMANDS:
        notes: list[tuple[int, bool]] = []
        variants = {
            "plain": _quiet(lambda argv=argv: subprocess.run(argv, check=False)),
            "ns": lambda argv=argv: m.run(argv, stdout=subprocess.DEVNULL),
            "seccomp": _quiet(lambda argv=argv: run_redirected(argv, mountpoint=m.path)),
            "emulated": _quiet(lambda argv=argv: run_emulated(argv, kernel=m.kernel)),
            "py-floor": _quiet(lambda argv=argv, notes=notes: notes.append(_py_floor(argv))),
            "py-read": _quiet(lambda argv=argv: _py_read(argv)),
            "run-ns": lambda argv=argv: helper.time("namespaces", argv),
            "run-sec": lambda argv=argv: helper.time("seccomp", argv),
        }
        best = dict.fromkeys(variants, float("inf"))
        cplain = cfloor = float("inf")
        for _ in range(runs):
            for name, fn in variants.items():
                if name.startswith("run-"):
                    best[name] = min(best[name], fn())  # timed inside the helper
                else:
                    best[name] = min(best[name], _best(fn, 1))
            cplain = min(cplain, _c_time(exe, argv, 1, plain=True)[0])
            cfloor = min(cfloor, _c_time(exe, argv, 1, plain=False)[0])
        yield (label, best["plain"], best["ns"], best["seccomp"], best["emulated"], best["py-floor"], cplain,
               cfloor, notes[-1], best["run-ns"], best["run-sec"], best["py-read"])


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 2 if the backend is unusable here."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    why = available()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    ms = "{:>8.1f}".format
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}, "
          f"{os.cpu_count()} CPUs, best of {args.runs}; python3 = {PYTHON}")
    print(f"{'command':<19} {'pinned':<6} {'notifs':>6} {'plain':>8} {'namespcs':>8} {'seccomp':>8} "
          f"{'emulated':>8} {'py-floor':>8} {'py-read':>8} {'C-plain':>8} {'C-floor':>8} {'bound':>8} "
          f"{'run-ns':>8} {'run-sec':>8} | run sec/ns  py-bound/run-ns  seccomp/ns  bound/ns  emulated/plain  "
          "C-floor/C-plain  emulated/seccomp   (ms)")
    with tempfile.TemporaryDirectory() as tmp, fakeproc.mounted(fakeproc.Kernel("6.18")) as m:
        exe = _c_floor(tmp)
        sync = None
        for pinned in (False, True):
            old = os.sched_getaffinity(0)
            if pinned:
                os.sched_setaffinity(0, {min(old)})
            helper = Helper()
            try:
                for (label, plain, ns, sec, emu, pyf, cplain, cfloor, (notifs, sync), run_ns,
                     run_sec, pyr) in _rows(m, args.runs, exe, helper):
                    bound = ns + cfloor - cplain
                    py_bound = run_ns + pyr - plain
                    print(f"{label:<19} {'yes' if pinned else 'no':<6} {notifs:>6} {ms(plain * 1e3)} {ms(ns * 1e3)} "
                          f"{ms(sec * 1e3)} {ms(emu * 1e3)} {ms(pyf * 1e3)} {ms(pyr * 1e3)} {ms(cplain * 1e3)} "
                          f"{ms(cfloor * 1e3)} {ms(bound * 1e3)} {ms(run_ns * 1e3)} {ms(run_sec * 1e3)} | "
                          f"{run_sec / run_ns:>9.2f}x {py_bound / run_ns:>15.2f}x "
                          f"{sec / ns:>10.2f}x {bound / ns:>8.2f}x {emu / plain:>14.2f}x "
                          f"{cfloor / cplain:>15.2f}x {emu / sec:>15.2f}x", flush=True)
            finally:
                helper.close()
                os.sched_setaffinity(0, old)
        print(f"sync wake-up (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP): {'used' if sync else 'not available'}; "
              f"C floor: {'built with cc' if exe else 'no C compiler, not measured'}")
    with contextlib.suppress(OSError):
        os.unlink(TAR)
    return 0


if __name__ == "__main__":
    sys.exit(_helper() if "--helper" in sys.argv else main())
