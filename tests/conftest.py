"""Suite-wide settings: a deterministic, bounded Hypothesis profile for CI, and a guard that
the host's /proc/sys is never written."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=50,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# A serving process asks the kernel to keep idle CPUs polling while requests come (a CPU latency
# QoS request, machine-wide while held; fakeproc.serve.LatencyHold). The suite leaves the machine's
# idle states alone: its own tests give the hold a plain file instead of /dev/cpu_dma_latency.
os.environ.setdefault("FAKEPROC_CPU_LATENCY_HOLD_MS", "0")


#: Writable host entries that change on their own while the suite runs.
_VOLATILE = ("kernel/ns_last_pid", "kernel/random/", "fs/dentry-negative")


def _host_writable_values() -> dict[str, bytes]:
    """Every readable, owner-writable file of the host's /proc/sys (read only)."""
    values: dict[str, bytes] = {}
    for root, _dirs, files in os.walk("/proc/sys"):
        for name in files:
            path = os.path.join(root, name)
            rel = path[len("/proc/sys/"):]
            if rel.startswith(_VOLATILE):
                continue
            try:
                if not os.stat(path).st_mode & 0o200:
                    continue
                with open(path, "rb") as f:
                    values[rel] = f.read()
            except OSError:
                continue
    return values


@pytest.fixture(scope="session", autouse=True)
def _host_proc_sys_is_never_written() -> Iterator[None]:
    """No test may change the host's /proc/sys: every writable value reads the same after the
    suite as before it (tests write only fake trees and throwaway namespaces)."""
    before = _host_writable_values()
    yield
    after = _host_writable_values()
    changed = sorted(k for k in before if k in after and before[k] != after[k])
    assert not changed, f"the host's /proc/sys changed during the tests: {changed}"
