"""Fixtures for the real-kernel differential suite: one worker run per session, host guard.

The suite runs whenever it is safe and possible (Linux, root, a working ``unshare``); it does
not need ``FAKEPROC_TEST_REAL_KERNEL``. Elsewhere every test is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import fakeproc
from tests.differential.cases import CASES, bounds_cases, bounds_keys, sweep_cases
from tests.differential.realkernel import (
    GUARDED_HOST_VALUES,
    Case,
    read_host,
    real_kernel_unavailable,
    run_model,
    run_real,
    walk,
)

WALK_TOPS = ("kernel", "fs/mqueue", "net")
WALK_CASE = Case("walk-fresh-namespaces", (walk(*WALK_TOPS),))


def writable_namespaced_keys(kernel: fakeproc.Kernel) -> list[str]:
    """Keys a fresh ipc/net/uts namespace set has, per-namespace and with a write bit, per the model."""
    ns = kernel.unshare(kernel.init_ns, ipc=True, net=True, uts=True)
    keys = []
    for key in kernel.keys(ns=ns):
        spec = kernel.spec(key, ns=ns)
        if spec.namespace.value in ("ipc", "net", "uts") and spec.mode & 0o222:
            keys.append(key)
    kernel.drop_namespaces(ns)
    return sorted(keys)


SWEEP_KEYS: list[str] = writable_namespaced_keys(fakeproc.Kernel("6.18"))
SWEEP_CASES: list[Case] = sweep_cases(SWEEP_KEYS)
BOUNDS_KEYS: list[str] = bounds_keys(fakeproc.Kernel("6.18"))
BOUNDS_CASES: list[Case] = bounds_cases(BOUNDS_KEYS)


@dataclass
class Differential:
    """The results of one batch: real kernel and model, by case id."""

    strict: int
    real: dict[str, list[dict[str, Any]]]
    model: dict[str, list[dict[str, Any]]]
    host_before: dict[str, str | None]
    host_after: dict[str, str | None]


def _guarded_keys(cases: list[Case]) -> list[str]:
    keys = set(GUARDED_HOST_VALUES)
    for case in cases:
        keys |= case.written_keys
    return sorted(keys)


def run_batch(cases: list[Case]) -> Differential:
    """Run ``cases`` on the real kernel (one worker) and on a fresh 6.18 model; guard the host.

    Raises:
        AssertionError: a host value changed (the worker must only ever touch throwaway namespaces).
    """
    reason = real_kernel_unavailable()
    if reason:
        pytest.skip(reason)
    keys = _guarded_keys(cases)
    before = {k: read_host(k) for k in keys}
    strict, real = run_real(cases)
    after = {k: read_host(k) for k in keys}
    changed = {k: (before[k], after[k]) for k in keys if before[k] != after[k]}
    assert not changed, f"HOST VALUES CHANGED by the namespaced worker: {changed}"
    model = run_model(fakeproc.Kernel("6.18"), cases)
    return Differential(strict, real, model, before, after)


@pytest.fixture(scope="session")
def differential() -> Iterator[Differential]:
    """All table cases, the sweep and the fresh-namespace walk, run once per session."""
    yield run_batch(CASES + SWEEP_CASES + [WALK_CASE])


@pytest.fixture(scope="session")
def bounds_run() -> Iterator[Differential]:
    """The bounds probe over every per-namespace integer entry: one worker run, then the model."""
    yield run_batch(BOUNDS_CASES)


@pytest.fixture(scope="session")
def host_model() -> fakeproc.Kernel:
    """The model the differential compares against: the shipped 6.18 profile."""
    return fakeproc.Kernel("6.18")
