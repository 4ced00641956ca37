"""The seccomp backend's server (the parent of the split) holds the CPU latency request whether it
busy-polls or not: each of the supervisor's requests otherwise wakes the halted vCPU it waits on."""

from __future__ import annotations

from typing import Any

import pytest

from fakeproc import Kernel
from fakeproc.backends import LaunchRequest


@pytest.mark.parametrize(("busy", "hold"), [("0", "30"), ("200", "30"), ("0", "0")])
def test_the_split_server_is_started_with_the_environments_hold_busy_polling_or_not(monkeypatch, busy, hold):
    from fakeproc.backends import seccomp
    from fakeproc.backends.seccomp import _split

    asked: dict[str, Any] = {}

    def run_split(argv: list[str], *, start_mount: Any, **_kw: Any) -> int:
        asked.update(start_mount())
        return 0

    monkeypatch.setattr(_split, "can_fork", lambda: True)
    monkeypatch.setattr(_split, "run_split", run_split)
    monkeypatch.setattr(seccomp, "available", lambda: None)
    monkeypatch.setenv("FAKEPROC_FUSE_BUSY_POLL_US", busy)
    monkeypatch.setenv("FAKEPROC_CPU_LATENCY_HOLD_MS", hold)
    request = LaunchRequest(argv=["true"], kernel=Kernel("6.18"), base=None, identity="root",
                            start_mount=lambda **kwargs: kwargs)
    assert seccomp.launch(request) == 0
    assert asked == {"busy_poll_us": float(busy), "latency_hold_ms": float(hold)}
