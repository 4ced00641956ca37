"""The shipped profiles against the captures they were generated from."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fakeproc.profiles.loader import load_profile, profile_to_dict
from fakeproc.spec import DEVICE_PLACEHOLDER, path_to_key

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "scripts" / "profilegen" / "captures" / "6.18"
DATA = ROOT / "fakeproc" / "profiles" / "data"
REPLACED = {"kernel.hostname", "kernel.random.boot_id", "kernel.random.uuid", "kernel.osrelease"}


def _instantiated(profile):
    """Every concrete key of the initial namespaces with its boot value."""
    out = {}
    for key, spec in profile.entries.items():
        if not spec.is_template:
            out[key] = spec.default
            continue
        for dev in profile.init_devices:
            concrete = key.replace(DEVICE_PLACEHOLDER, dev)
            value = spec.loopback_default if dev == "lo" and spec.loopback_default is not None else spec.default
            out[concrete] = profile.device_values.get(dev, {}).get(concrete, value)
    return out


def _modes():
    modes = {}
    for line in (CAPTURE / "proc-sys-modes-6.18.txt").read_text().splitlines():
        mode, path = line.split(" ", 1)
        modes[path_to_key(path)] = int(mode, 8)
    return modes


def _sysctl_a():
    values: dict[str, str] = {}
    for line in (CAPTURE / "sysctl-a-6.18.txt").read_text().splitlines():
        m = re.match(r"^(\S+) = ?(.*)$", line)
        assert m
        key, value = m.groups()
        values[key] = f"{values[key]}\n{value}" if key in values else value
    return values


def test_618_names_and_modes_equal_capture_minus_dropped():
    profile = load_profile("6.18")
    dropped = {k for k, _ in profile.dropped}
    expected = {k: m for k, m in _modes().items() if k not in dropped}
    got = {}
    for key, spec in profile.entries.items():
        for dev in profile.init_devices if spec.is_template else [None]:
            got[key.replace(DEVICE_PLACEHOLDER, dev) if dev else key] = spec.mode
    assert got == expected


def test_618_values_equal_sysctl_a_after_placeholder_replacement():
    values = _instantiated(load_profile("6.18"))
    for key, value in _sysctl_a().items():
        if key in REPLACED or key not in values:
            continue
        assert values[key] == value, key


def test_618_drops_only_vendor_keys_with_reasons():
    profile = load_profile("6.18")
    assert {k for k, _ in profile.dropped} == {
        "kernel.init_private", "kernel.init_private_helper", "kernel.init_private_vsock_local_port",
        "kernel.init_private_vsock_port", "vm.shrink_inodes_with_pagecache"}
    assert all(reason for _, reason in profile.dropped)


def test_618_placeholders_are_replaced():
    profile = load_profile("6.18")
    assert profile.entries["kernel.hostname"].default == "(none)"
    assert "0000-0000" not in profile.entries["kernel.random.uuid"].default


def test_618_key_semantics_from_source():
    p = load_profile("6.18")
    sem = p.entries["kernel.sem"]
    assert (sem.handler, sem.length, sem.namespace.value, sem.creation.value) == (
        "proc_ipc_sem_dointvec", 4, "ipc", "compile_default")
    assert p.entries["vm.drop_caches"].mode == 0o200
    assert (p.entries["vm.drop_caches"].min, p.entries["vm.drop_caches"].max) == (1, 4)
    assert (p.entries["kernel.sysctl_writes_strict"].min, p.entries["kernel.sysctl_writes_strict"].max) == (-1, 1)
    assert p.entries["kernel.hostname"].creation.value == "copy_parent"
    assert p.entries["kernel.hostname"].maxlen == 65
    user = p.entries["user.max_user_namespaces"]
    assert (user.handler, user.namespace.value, user.ns_default, user.max) == (
        "proc_doulongvec_minmax", "user", "2147483647", 2147483647)


def test_618_net_namespace_facts_from_captures():
    p = load_profile("6.18")
    assert p.entries["net.core.netdev_max_backlog"].creation.value == "absent"
    assert p.entries["net.ipv4.conf.<dev>.disable_policy"].loopback_default == "1"
    assert p.entries["net.ipv4.conf.<dev>.rp_filter"].device_source == "net.ipv4.conf.default.rp_filter"
    assert p.init_devices == ("lo", "eth0", "ifb0", "ifb1")


def test_415_differences_hold():
    p = load_profile("4.15")
    assert p.kernel_version == "4.15.0" and p.hz == 250
    assert p.entries["net.core.somaxconn"].default == "128"
    assert p.entries["net.ipv4.tcp_rmem"].default == "4096\t87380\t6291456"
    assert {s.handler for s in p.entries.values()}.isdisjoint({"proc_dobool", "proc_dou8vec_minmax"})
    assert p.entries["kernel.shmmni"].max is None and p.entries["kernel.sem"].max is None
    assert p.entries["kernel.msgmni"].max == 2**31 - 1
    assert p.entries["kernel.sem_next_id"].mode == 0o644
    assert p.entries["user.max_user_namespaces"].handler == "proc_dointvec_minmax"
    for gone in ("kernel.arch", "user.max_time_namespaces", "user.max_fanotify_marks", "net.core.devconf_inherit_init_net"):
        assert gone not in p.entries
    assert {s.creation.value for s in p.entries.values()}.isdisjoint({"devconf_ipv4", "devconf_ipv6"})
    assert "doulongvec_skip_negative" in p.legacy


def test_415_is_ubuntu_18_04s_own_config():
    p = load_profile("4.15")
    assert p.entries["net.ipv4.tcp_congestion_control"].default == "cubic"
    assert p.entries["net.ipv4.tcp_available_congestion_control"].default == "reno cubic"
    yama = p.entries["kernel.yama.ptrace_scope"]
    assert (yama.default, yama.mode, yama.min, yama.max) == ("1", 0o644, 0, 3)
    assert p.entries["kernel.perf_event_paranoid"].default == "3"
    assert p.entries["kernel.sysrq"].default == "438"
    assert p.entries["net.core.optmem_max"].default == "20480"
    for gone in ("net.ipv4.conf.all.arp_evict_nocarrier", "net.ipv6.icmp.ratemask", "net.core.mem_pcpu_rsv"):
        assert gone not in p.entries
    assert "Reference machine: 2 CPUs, 24 GB RAM" in p.description


@pytest.mark.parametrize("name", sorted(p.name[:-5] for p in DATA.glob("*.json")))
def test_load_profile_round_trips_through_profile_to_dict(name):
    data = json.loads((DATA / f"{name}.json").read_text())
    assert profile_to_dict(load_profile(name)) == data


def test_generator_is_deterministic(tmp_path):
    gen = ROOT / "scripts" / "profilegen" / "generate.py"
    for out in (tmp_path / "a", tmp_path / "b"):
        subprocess.run([sys.executable, str(gen), "-q", "--out", str(out)], check=True)
    names = sorted(p.name for p in DATA.glob("*.json"))
    assert names == sorted(p.name for p in (tmp_path / "a").glob("*.json"))
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() == (DATA / name).read_bytes()
