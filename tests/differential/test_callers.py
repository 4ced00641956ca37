"""Unprivileged callers, real kernel vs model: who owns each file, its mode, access(2) and writes.

Two tables (see :mod:`tests.differential.callers`), each ONE worker child on the real kernel:

* a **container root**: uid 61234 (no account needed) after ``unshare --user --map-root-user --ipc --net --uts``;
* a **plain user**: uid 61234 in the initial namespaces, without capabilities.

The whole module is skipped when not root, or without
unprivileged user namespaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import fakeproc
from fakeproc.profiles import nsworker as _worker
from fakeproc.profiles.loader import profile_from_dict
from tests.differential.callers import (
    CONTAINER_KEYS,
    CONTAINER_WRITES,
    OVERFLOW_ID,
    PLAIN_KEYS,
    TEST_USER,
    Table,
    callers_unavailable,
    run_table,
    show_diff,
    user_ids,
)
from tests.differential.realkernel import GUARDED_HOST_VALUES, read_host

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def available() -> None:
    """Skip (with the reason) where the tables cannot run."""
    reason = callers_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def container(available: None, host_profile: dict[str, Any]) -> Iterator[Table]:
    """The container-root table: one real worker child, then a model of the running host."""
    yield run_table(list(CONTAINER_KEYS), list(CONTAINER_WRITES), container=True, kernel=_host_kernel(host_profile))


@pytest.fixture(scope="module")
def plain(available: None, host_profile: dict[str, Any]) -> Iterator[Table]:
    """The plain-user table: one real worker child, then a model of the running host."""
    yield run_table(list(PLAIN_KEYS), [], container=False, kernel=_host_kernel(host_profile))


def _host_kernel(host_profile: dict[str, Any]) -> fakeproc.Kernel:
    return fakeproc.Kernel(profile_from_dict(host_profile, "host"))


def _sides(table: Table, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    real, model = table.real[key], table.model[key]
    if "missing" in real:
        pytest.skip(f"the real kernel has no {key} here ({real['missing']})")
    if "missing" in model:
        pytest.skip(f"the 6.18 profile has no {key} in this namespace set ({model['missing']})")
    return real, model


def _assert_same(who: str, key: str, what: str, real: dict[str, Any], model: dict[str, Any]) -> None:
    assert real == model, (f"{key} ({what}) as {who}: the model differs from the real kernel\n"
                           f"{show_diff(real, model)}\n    real : {real}\n    model: {model}")


# ------------------------------------------------------------------ the tables


@pytest.mark.parametrize("key", list(CONTAINER_KEYS))
def test_container_root_gets_the_real_owner_mode_access_and_write_result(key: str, container: Table) -> None:
    real, model = _sides(container, key)
    _assert_same(f"container root ({TEST_USER} after unshare -r --ipc --net --uts)", key, CONTAINER_KEYS[key],
                 real, model)


@pytest.mark.parametrize("key", list(PLAIN_KEYS))
def test_plain_user_gets_the_real_owner_mode_and_access(key: str, plain: Table) -> None:
    real, model = _sides(plain, key)
    _assert_same(f"plain user {TEST_USER} in the initial namespaces", key, PLAIN_KEYS[key], real, model)


# ------------------------------------------------------------------ the callers are what the tables claim


def test_container_caller_is_root_inside_with_capabilities_and_fresh_namespaces(container: Table) -> None:
    uid, gid = user_ids() or (-1, -1)
    creds = container.creds
    assert (creds["uid"], creds["gid"], creds["groups"]) == (0, 0, [])
    assert creds["uid_map"] == ["0", str(uid), "1"]
    assert creds["gid_map"] == ["0", str(gid), "1"]
    assert creds["ns_fresh"] == {"user": True, "ipc": True, "net": True, "uts": True}
    assert creds["cap_eff"] != 0


def test_plain_caller_has_no_capabilities_and_the_host_namespaces(plain: Table) -> None:
    uid, gid = user_ids() or (-1, -1)
    creds = plain.creds
    assert (creds["uid"], creds["gid"], creds["groups"], creds["cap_eff"]) == (uid, gid, [], 0)
    assert creds["ns_fresh"] == {"user": False, "ipc": False, "net": False, "uts": False}


def test_container_stat_shows_its_own_root_as_0_and_every_other_owner_as_overflow_id(container: Table) -> None:
    uid, gid = user_ids() or (-1, -1)
    wrong = {}
    for key, raw in container.raw.items():
        if "missing" in raw:
            continue
        expected = (0 if raw["kernel_uid"] == uid else OVERFLOW_ID, 0 if raw["kernel_gid"] == gid else OVERFLOW_ID,
                    raw["kernel_mode"])
        if (raw["inside_uid"], raw["inside_gid"], raw["mode"]) != expected:
            wrong[key] = (raw, expected)
    assert wrong == {}


def test_plain_stat_shows_kernel_ids(plain: Table) -> None:
    wrong = {key: raw for key, raw in plain.raw.items() if "missing" not in raw
             and (raw["inside_uid"], raw["inside_gid"], raw["mode"])
             != (raw["kernel_uid"], raw["kernel_gid"], raw["kernel_mode"])}
    assert wrong == {}


# ------------------------------------------------------------------ safety


def test_container_writes_only_namespaced_entries() -> None:
    kernel = fakeproc.Kernel("6.18")
    ns = kernel.unshare(kernel.init_ns, ipc=True, net=True)
    for key in CONTAINER_WRITES:
        path = fakeproc.key_to_path(key)
        assert key in CONTAINER_KEYS
        assert path not in _worker._GLOBAL_BACKED and path not in _worker._UNWATCHED
        assert _worker._WRITABLE.match(path), path
        assert kernel.spec(key, ns=ns).namespace.value in ("ipc", "net"), key


def test_host_values_are_unchanged_after_the_container_root_rewrites(container: Table, plain: Table) -> None:
    assert container.host_after == container.host_before
    assert plain.host_after == plain.host_before
    for key in sorted(set(GUARDED_HOST_VALUES) | set(CONTAINER_KEYS) | set(PLAIN_KEYS)):
        before = container.host_before.get(key, plain.host_before.get(key))
        assert read_host(key) == before, key
