"""Per-example isolation: the cost of ``reset()`` in-process and through a live mount.

Run: ``.venv/bin/python benchmarks/bench_reset.py [--rounds N] [--check]``.

Targets: ``fake_kernel.reset()`` under 1 ms, ``fake_procsys.reset()`` under 5 ms with the
mount live, and both far below what a fresh mount per example costs (measured beside
them). Each round dirties the kernel the way one Hypothesis example does (a few writes,
a VLAN device the document assumes) and then resets it; the reset alone is timed. The
mount rows also read one file through the mount after the reset, so that the figure
covers a reset kernel actually answering through FUSE (the read is timed separately).
Medians and minimums are printed side by side; nothing is pinned (a shared 2-vCPU VM:
the minimum is the code's cost, the median shows the machine's noise). The exit status
is 0 unless ``--check`` is given and a target is missed (benchmarks are not tests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fakeproc.testing import FakeKernel, procsys, skip_reason

IN_PROCESS_TARGET_MS = 1.0
MOUNT_TARGET_MS = 5.0


def _dirty(k: FakeKernel) -> None:
    k.write("vm.swappiness", "10")
    k.write("kernel.hostname", "example")
    k.write("net.core.somaxconn", "1024")
    k.write("net.ipv4.conf.eth0/100.rp_filter", "2")


def _timed(fn: object, rounds: int, before: object = None, after: object = None) -> list[float]:
    out = []
    for _ in range(rounds):
        if before is not None:
            before()  # type: ignore[operator]
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - t) * 1e3)
        if after is not None:
            after()  # type: ignore[operator]
    return out


def _row(name: str, ms: list[float], target: float | None) -> bool:
    med, best = statistics.median(ms), min(ms)
    ok = target is None or med < target
    tgt = f"< {target:g} ms" if target is not None else ""
    print(f"{name:44} median {med:8.3f} ms  min {best:8.3f} ms  {tgt:10} {'' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    ok = True

    k = FakeKernel("6.18", devices=["eth0.100"])
    ok &= _row("in-process: fake_kernel.reset()", _timed(k.reset, args.rounds, before=lambda: _dirty(k)),
               IN_PROCESS_TARGET_MS)
    ok &= _row("in-process: FakeKernel('6.18') (fresh kernel)",
               _timed(lambda: FakeKernel("6.18", devices=["eth0.100"]), max(10, args.rounds // 10)), None)

    reason = skip_reason()
    if reason is not None:
        print(f"mount rows skipped: {reason}")
        return 0 if ok or not args.check else 1
    with procsys(FakeKernel("6.18", devices=["eth0.100"])) as fp:
        path = os.path.join(fp.path, "vm", "swappiness")

        def read() -> None:
            with open(path, "rb") as f:
                assert f.read() == b"60\n"

        ok &= _row("live mount: fake_procsys.reset()", _timed(fp.reset, args.rounds, before=lambda: _dirty(fp.kernel),
                                                            after=read), MOUNT_TARGET_MS)
        ok &= _row("live mount: reset() + read through the mount",
                   _timed(lambda: (fp.reset(), read()), args.rounds, before=lambda: _dirty(fp.kernel)),
                   MOUNT_TARGET_MS)

    def fresh_mount() -> None:
        with procsys(FakeKernel("6.18", devices=["eth0.100"])) as fp2, \
                open(os.path.join(fp2.path, "vm", "swappiness"), "rb") as f:
            f.read()

    _row("fresh mount per example (the old workaround)", _timed(fresh_mount, max(5, args.rounds // 20)), None)
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
