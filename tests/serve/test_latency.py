"""The CPU latency request of a serving process (``LatencyHold``) and the environment's tunables:
exact bytes on the QoS device, and one clear error for a malformed value."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from fakeproc._env import attr_timeout, env_number
from fakeproc.errors import UsageError
from fakeproc.serve import LatencyHold, serving_hold_ms

ZERO, DEFAULT = struct.pack("=i", 0), struct.pack("=i", -1)


@pytest.mark.parametrize(("raw", "want"), [
    (None, 7.0),      # unset: the default
    ("", 0.0),        # set but empty: off
    ("0", 0.0),
    ("2.5", 2.5),
    (" 20 ", 20.0),
])
def test_an_environment_number_is_the_default_when_unset_and_0_when_empty(monkeypatch, raw, want):
    if raw is None:
        monkeypatch.delenv("FAKEPROC_EXAMPLE", raising=False)
    else:
        monkeypatch.setenv("FAKEPROC_EXAMPLE", raw)
    assert env_number("FAKEPROC_EXAMPLE", 7.0) == want


@pytest.mark.parametrize("raw", ["soon", "-1", "nan", "inf", "1e999", "0x10"])
def test_a_malformed_environment_number_is_one_usage_error_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("FAKEPROC_EXAMPLE", raw)
    with pytest.raises(UsageError) as caught:
        env_number("FAKEPROC_EXAMPLE", 1.0)
    assert str(caught.value) == f"FAKEPROC_EXAMPLE must be a number (0 or more), not {raw!r}"
    assert caught.value.exit_code == 2


def test_the_tunables_read_the_environment_when_asked_not_at_import(monkeypatch):
    monkeypatch.delenv("FAKEPROC_CPU_LATENCY_HOLD_MS", raising=False)
    monkeypatch.delenv("FAKEPROC_ATTR_TIMEOUT", raising=False)
    assert (serving_hold_ms(), attr_timeout()) == (50.0, 1.0)
    monkeypatch.setenv("FAKEPROC_CPU_LATENCY_HOLD_MS", "0")
    monkeypatch.setenv("FAKEPROC_ATTR_TIMEOUT", "0.25")
    assert (serving_hold_ms(), attr_timeout()) == (0.0, 0.25)


def test_a_hold_writes_0_once_when_acquired_and_the_default_once_when_released(tmp_path: Path):
    device = tmp_path / "cpu_dma_latency"
    device.write_bytes(b"")
    hold = LatencyHold.open(30, str(device))
    assert hold is not None and hold.hold == 0.03 and not hold.held
    hold.acquire()
    hold.acquire()  # already held: nothing more
    assert hold.held and device.read_bytes() == ZERO
    hold.release()
    hold.release()
    assert not hold.held and device.read_bytes() == ZERO + DEFAULT
    hold.acquire()
    hold.close()  # closing drops the kernel's request: no write needed
    assert not hold.held and device.read_bytes() == ZERO + DEFAULT + ZERO
    hold.acquire()  # closed: never again
    assert not hold.held and device.read_bytes() == ZERO + DEFAULT + ZERO


def test_no_hold_when_it_is_off_or_the_device_cannot_be_opened(tmp_path: Path):
    device = tmp_path / "cpu_dma_latency"
    device.write_bytes(b"")
    assert LatencyHold.open(0, str(device)) is None
    assert LatencyHold.open(50, str(tmp_path / "missing")) is None


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that refuses writes)")
def test_a_device_that_refuses_the_request_leaves_the_hold_off_without_an_error():
    hold = LatencyHold.open(50, "/dev/full")  # every write: ENOSPC
    assert hold is not None
    hold.acquire()
    assert not hold.held
    hold.release()
    hold.close()
