"""A busy-polling server turns its CPU latency request on at the first request after a quiet
spell and off ``hold`` milliseconds after the last one; a server pinned to one CPU, or one that
does not busy-poll (an in-process mount), never asks. The device is a plain file here, so that the
exact bytes written show the sequence (0: idle CPUs poll; -1: the default again)."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import pytest

from fakeproc.backends.fuse._binding import libfuse_major
from fakeproc.sandbox import mounted
from tests.fuse.support import requires_fuse

pytestmark = requires_fuse

ZERO, DEFAULT = struct.pack("=i", 0), struct.pack("=i", -1)


@pytest.fixture
def device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cpu_dma_latency"
    path.write_bytes(b"")
    monkeypatch.setattr("fakeproc.serve._latency.DEVICE", str(path))
    monkeypatch.setenv("FAKEPROC_CPU_LATENCY_HOLD_MS", "40")
    return path


def _settles(path: Path, want: bytes, timeout: float = 10.0) -> bytes:
    """The device's bytes once they equal ``want`` (or, after ``timeout``, whatever they are)."""
    deadline = time.monotonic() + timeout
    while (got := path.read_bytes()) != want and time.monotonic() < deadline:
        time.sleep(0.01)
    return got


def test_a_busy_polling_server_holds_the_request_while_requests_come_and_drops_it_after(kernel, device, monkeypatch):
    if libfuse_major() != 3 or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("the polling loop needs libfuse3 and a serving thread free on two CPUs")
    monkeypatch.setenv("FAKEPROC_FUSE_BUSY_POLL_US", "50")
    with mounted(kernel) as m:
        assert m.server.latency_hold_ms == 40.0
        # start() made the first request (a stat): on, then off 40 ms later.
        assert _settles(device, ZERO + DEFAULT) == ZERO + DEFAULT
        time.sleep(0.1)
        before = device.read_bytes()  # (the kernel may have sent something more meanwhile)
        with open(os.path.join(m.path, "kernel/ostype"), "rb") as f:
            assert f.read() == b"Linux\n"
        # The read, after a quiet spell, turned it on again; 40 ms later it went off again.
        assert _settles(device, before + ZERO + DEFAULT) == before + ZERO + DEFAULT
        after = device.read_bytes()
    assert device.read_bytes() == after  # the unmount turned nothing on


def test_a_server_pinned_to_one_cpu_never_asks(kernel, device, monkeypatch):
    monkeypatch.setenv("FAKEPROC_FUSE_BUSY_POLL_US", "50")
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(old)})  # the serving thread inherits it
    try:
        with mounted(kernel) as m:
            with open(os.path.join(m.path, "kernel/ostype"), "rb") as f:
                assert f.read() == b"Linux\n"
            time.sleep(0.1)
    finally:
        os.sched_setaffinity(0, old)
    assert device.read_bytes() == b""


def test_an_in_process_mount_without_a_busy_poll_never_asks(kernel, device, monkeypatch):
    monkeypatch.delenv("FAKEPROC_FUSE_BUSY_POLL_US", raising=False)
    with mounted(kernel) as m:
        assert m.server.latency_hold_ms == 0.0
        with open(os.path.join(m.path, "kernel/ostype"), "rb") as f:
            assert f.read() == b"Linux\n"
        time.sleep(0.1)
    assert device.read_bytes() == b""
