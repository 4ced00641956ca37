"""Fixtures for the real-kernel differential suite: one worker run per session, host guard.

The suite runs whenever it is safe and possible (Linux, root, a working ``unshare``); it does
not need ``FAKEPROC_TEST_REAL_KERNEL``. Elsewhere every test is skipped with the reason.

The model under test is built from a profile of the RUNNING host, so that the suite passes on any
kernel build and still fails on a difference in semantics: ``fakeproc capture`` (names, modes,
boot and fresh-namespace values, read only) plus the bounds this session's probe measured
(:func:`fakeproc.profiles.probe.apply_probe`), with every handler from the shipped 6.18 profile.
Where the host differs from the shipped profile in data, the difference is printed as a table at
the end of the run (``host drift``) instead of failing; docs/differential.md settles each line.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import fakeproc
from fakeproc.profiles.capture import capture_host
from fakeproc.profiles.diff import diff_profiles
from fakeproc.profiles.loader import profile_from_dict
from fakeproc.profiles.probe import apply_probe, probeable_keys
from fakeproc.spec import DEVICE_PLACEHOLDER
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


def _host_capture() -> dict[str, Any] | None:
    """The running host read as a profile (read only), or None where the suite cannot run."""
    if real_kernel_unavailable():
        return None
    return capture_host(name="host", fresh_namespaces=True)


#: The host as ``fakeproc capture`` reads it, before the bounds probe (None: not runnable here).
HOST_CAPTURE: dict[str, Any] | None = _host_capture()
_COLLECTION_KERNEL = fakeproc.Kernel(profile_from_dict(HOST_CAPTURE, "host capture") if HOST_CAPTURE else "6.18")
SWEEP_KEYS: list[str] = writable_namespaced_keys(_COLLECTION_KERNEL)
SWEEP_CASES: list[Case] = sweep_cases(SWEEP_KEYS)
BOUNDS_KEYS: list[str] = bounds_keys(_COLLECTION_KERNEL)
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


def run_real_guarded(cases: list[Case]) -> tuple[int, dict[str, list[dict[str, Any]]], dict[str, Any], dict[str, Any]]:
    """Run ``cases`` on the real kernel (one worker); return strict, results and the guarded host values.

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
    return strict, real, before, after


def run_batch(cases: list[Case], profile: dict[str, Any] | None = None) -> Differential:
    """Run ``cases`` on the real kernel and on a fresh model of ``profile`` (default: the host's)."""
    strict, real, before, after = run_real_guarded(cases)
    model = run_model(fakeproc.Kernel(profile_from_dict(profile or _host_profile(), "host")), cases)
    return Differential(strict, real, model, before, after)


def _profile_key(key: str, templates: set[str]) -> str | None:
    """The profile row of a probed concrete key: itself, or its template when probed on ``lo``."""
    for template in templates:
        head, _, tail = template.partition(DEVICE_PLACEHOLDER)
        if key == f"{head}lo{tail}":
            return template
    return key


_HOST_PROFILE: dict[str, Any] = {}
_REAL_BOUNDS: dict[str, Any] = {}


def _real_bounds() -> tuple[int, dict[str, list[dict[str, Any]]], dict[str, Any], dict[str, Any]]:
    """The real kernel's bounds probe of every ``BOUNDS_KEYS`` entry: one worker run per session."""
    if not _REAL_BOUNDS:
        _REAL_BOUNDS["run"] = run_real_guarded(BOUNDS_CASES)
    run: tuple[int, dict[str, list[dict[str, Any]]], dict[str, Any], dict[str, Any]] = _REAL_BOUNDS["run"]
    return run


def _host_profile() -> dict[str, Any]:
    """The host capture with this session's probed bounds folded in (what ``capture --probe`` makes)."""
    if not _HOST_PROFILE:
        if HOST_CAPTURE is None:
            pytest.skip(real_kernel_unavailable() or "no host capture")
        profile = copy.deepcopy(HOST_CAPTURE)
        templates = {r["key"] for r in profile["entries"] if DEVICE_PLACEHOLDER in r["key"]}
        probeable = set(probeable_keys(profile))
        real = _real_bounds()[1]
        summaries = {}
        for case in BOUNDS_CASES:
            row = _profile_key(case.id.removeprefix("bounds-"), templates)
            if row in probeable:
                summaries[row] = real[case.id][0]
        apply_probe(profile, summaries, release=profile["kernel_version"])
        _HOST_PROFILE.update(profile)
    return _HOST_PROFILE


@pytest.fixture(scope="session")
def differential() -> Iterator[Differential]:
    """All table cases, the sweep and the fresh-namespace walk, run once per session."""
    yield run_batch(CASES + SWEEP_CASES + [WALK_CASE])


@pytest.fixture(scope="session")
def bounds_run() -> Iterator[Differential]:
    """The bounds probe over every per-namespace integer entry: one worker run, then the model."""
    strict, real, before, after = _real_bounds()
    model = run_model(fakeproc.Kernel(profile_from_dict(_host_profile(), "host")), BOUNDS_CASES)
    yield Differential(strict, real, model, before, after)


@pytest.fixture(scope="session")
def host_profile() -> dict[str, Any]:
    """The profile of the running host: capture plus probed bounds, handlers from 6.18."""
    return _host_profile()


@pytest.fixture(scope="session")
def host_model(host_profile: dict[str, Any]) -> fakeproc.Kernel:
    """The model the differential compares against: built from the running host's profile."""
    return fakeproc.Kernel(profile_from_dict(host_profile, "host"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how the running host differs from the shipped 6.18 profile (data drift, not a failure)."""
    if not _HOST_PROFILE:
        return
    drift = diff_profiles("6.18", profile_from_dict(_HOST_PROFILE, "this host"))
    terminalreporter.write_sep("-", "host drift: the shipped 6.18 profile -> this kernel (fakeproc diff's report)")
    terminalreporter.write_line(drift.text())
