"""``fakeproc capture --probe``: folding measured ranges into rows, and its safety rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import fakeproc
from fakeproc.profiles.probe import GLOBAL_BACKED, apply_probe, fold_bounds, probeable_keys, unavailable
from fakeproc.spec import INT_MAX, U8_MAX


def _summary(*ranges: tuple[int | None, int | None]) -> dict:
    return {"positions": [{"min_ok": lo, "max_ok": hi, "rejects": [22]} for lo, hi in ranges]}


@pytest.mark.parametrize(("row", "ranges", "folded"), [
    ({"handler": "proc_dointvec_minmax", "min": 1}, [(4096, INT_MAX)] * 3, {"min": 4096, "max": None}),
    ({"handler": "proc_dointvec_minmax"}, [(-(2**31), INT_MAX)], {"min": None, "max": None}),
    ({"handler": "proc_dou8vec_minmax", "max": 1}, [(0, 1)], {"min": None, "max": 1}),
    ({"handler": "proc_dou8vec_minmax"}, [(0, U8_MAX)], {"min": None, "max": None}),
    ({"handler": "proc_dointvec"}, [(0, 100)], {"min": 0, "max": 100, "handler": "proc_dointvec_minmax"}),
    ({"handler": "proc_douintvec"}, [(0, 2**32 - 1)], {"min": None, "max": None}),
])
def test_a_probed_range_folds_into_min_and_max(row: dict, ranges: list, folded: dict) -> None:
    assert fold_bounds({"key": "k", **row}, _summary(*ranges)) == folded


@pytest.mark.parametrize("summary", [
    _summary((0, 10), (5, 10)),  # elements with different ranges: another handler's behaviour
    _summary((None, None)),  # accepts nothing
    {"initial": "a b", "skipped": "not a list of integers"},
])
def test_a_range_that_is_not_one_interval_is_not_folded(summary: dict) -> None:
    assert fold_bounds({"key": "k", "handler": "proc_dointvec_minmax"}, summary) is None


def test_apply_probe_changes_only_rows_whose_range_differs_and_says_so() -> None:
    profile = {"entries": [
        {"key": "net.ipv4.tcp_rmem", "mode": "0644", "handler": "proc_dointvec_minmax", "min": 1, "length": 3},
        {"key": "net.core.somaxconn", "mode": "0644", "handler": "proc_dointvec_minmax", "min": 0},
    ]}
    changed = apply_probe(profile, {"net.ipv4.tcp_rmem": _summary(*[(4096, INT_MAX)] * 3),
                                    "net.core.somaxconn": _summary((0, INT_MAX))}, release="6.18.44-x")
    rmem, somaxconn = profile["entries"]
    assert changed == ["net.ipv4.tcp_rmem"]
    assert (rmem["min"], rmem["provenance"]) == (4096, "observed")
    assert "probed on 6.18.44-x" in rmem["source"] and "[4096, 2147483647]" in rmem["source"]
    assert somaxconn == {"key": "net.core.somaxconn", "mode": "0644", "handler": "proc_dointvec_minmax", "min": 0}


def test_probeable_keys_are_per_namespace_integer_entries_and_never_global_backed() -> None:
    from fakeproc.profiles.loader import profile_to_dict

    profile = profile_to_dict(fakeproc.Kernel("6.18").profile)
    keys = probeable_keys(profile)
    rows = {r["key"]: r for r in profile["entries"]}
    assert {"net.core.somaxconn", "net.ipv4.tcp_rmem", "kernel.shmmni", "net.ipv4.conf.<dev>.forwarding"} <= set(keys)
    assert not set(keys) & GLOBAL_BACKED
    assert all(rows[k]["namespace"] in ("ipc", "net") and not rows[k].get("registered_in") for k in keys)
    assert "net.core.rmem_max" not in keys  # one global value shown in every netns
    assert "kernel.pid_max" not in keys  # global


@pytest.mark.root
def test_capture_probe_refuses_without_root_and_says_why() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged uid")
    done = subprocess.run([sys.executable, "-m", "fakeproc", "capture", "--probe", "-o", "/dev/null"],
                          user=61234, group=61234, extra_groups=[], capture_output=True, text=True,
                          timeout=120, check=False, cwd="/")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("fakeproc: capture --probe: not root")


@pytest.mark.root
def test_a_probed_capture_boots_with_the_hosts_identity_and_bounds(tmp_path) -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "host.json"
    done = subprocess.run([sys.executable, "-m", "fakeproc", "capture", "--probe", "-o", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    kernel = fakeproc.Kernel(str(out))
    for key in ("kernel.osrelease", "kernel.hostname", "net.ipv4.tcp_rmem"):
        with open(f"/proc/sys/{key.replace('.', '/')}") as f:  # read only
            assert kernel.read(key) == f.read()
    ns = kernel.unshare(kernel.init_ns, net=True)
    assert kernel.read("net.ipv4.ping_group_range", ns=ns) == "1\t0\n"  # kernel gids, not 65534
    rows = {r["key"]: r for r in json.loads(out.read_text())["entries"]}
    probed = [k for k, r in rows.items() if "capture --probe" in r.get("source", "")]
    assert all(rows[k]["provenance"] == "observed" for k in probed)


def test_capture_compare_prints_how_a_profile_differs_from_this_host() -> None:
    done = subprocess.run([sys.executable, "-m", "fakeproc", "capture", "--no-namespaces", "--compare", "6.18"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("6.18 (6.18.44) -> this host (") and " keys; " in first


def test_capture_compare_with_an_unknown_profile_is_one_line_and_exit_2() -> None:
    done = subprocess.run([sys.executable, "-m", "fakeproc", "capture", "--compare", "5.10"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("fakeproc: unknown kernel profile '5.10'") and done.stderr.count("\n") == 1
