"""Profile loading benchmark: time to load each shipped profile, relative to 6.18, and its memory.

Run: ``.venv/bin/python benchmarks/bench_profiles.py [--rounds N] [--check]``.

Target: loading any shipped profile takes at most 1.2x the time of loading 6.18 (read the
JSON, parse it, build every ``SysctlSpec`` and check the handler names: what
``load_profile`` does on a cache miss). The profiles are loaded round-robin, each load
timed on its own, and the minimum over the rounds is a profile's time (noise on a shared
VM only slows a load down; see bench_model.py). The median is printed beside it. Memory
is what one loaded ``Profile`` keeps alive (tracemalloc, after a collection), measured
once per profile. Not pinned to a CPU. The exit status is 0 unless ``--check`` is given
and the target is missed (benchmarks are not tests).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fakeproc.profiles import available_profiles
from fakeproc.profiles.loader import _load_cached

RATIO_TARGET = 1.2
BASELINE = "6.18"


def _load_uncached(name: str) -> object:
    return _load_cached.__wrapped__(name)


def _memory(name: str) -> int:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    profile = _load_uncached(name)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del profile
    return after - before


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=150, help="loads of each profile (default 150)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a profile misses the target")
    args = parser.parse_args(argv)
    names = available_profiles()
    times: dict[str, list[float]] = {n: [] for n in names}
    for name in names:  # warm the file cache and imports
        _load_uncached(name)
    for _ in range(args.rounds):
        for name in names:
            start = time.perf_counter()
            _load_uncached(name)
            times[name].append(time.perf_counter() - start)
    base = min(times[BASELINE])
    print(f"profile load time (best of {args.rounds}, not pinned), ratio to {BASELINE}, memory per loaded profile")
    print(f"{'profile':<14}{'entries':>8}{'best ms':>10}{'median ms':>11}{'ratio':>8}{'memory KiB':>12}")
    missed = []
    for name in names:
        best = min(times[name])
        ratio = best / base
        entries = len(_load_uncached(name).entries)  # type: ignore[attr-defined]
        mem = _memory(name)
        flag = "" if ratio <= RATIO_TARGET else "  > target"
        if flag:
            missed.append(name)
        print(f"{name:<14}{entries:>8}{best * 1e3:>10.2f}{statistics.median(times[name]) * 1e3:>11.2f}"
              f"{ratio:>8.2f}{mem / 1024:>12.0f}{flag}")
    print(f"target: every ratio <= {RATIO_TARGET}: {'met' if not missed else 'missed by ' + ', '.join(missed)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
