"""The version profiles (5.15, 6.1, 6.8, 6.12) and distro profiles hold the keys and defaults of their sources.

Each row was read in the kernel tree named in ``scripts/profilegen/versions/<name>.yaml``.
"""

from __future__ import annotations

import pytest

from fakeproc.profiles import available_profiles, load_profile

VERSIONS = ["4.15", "5.15", "6.1", "6.8", "6.12", "6.18"]
DISTROS = {"ubuntu-22.04": "5.15", "debian-12": "6.1", "ubuntu-24.04": "6.8"}
ABSENT = None

# key -> default per version (ABSENT: the version does not register the key)
EXISTENCE = {
    "kernel.io_uring_disabled": [ABSENT, ABSENT, ABSENT, "0", "0", "0"],          # io_uring/io_uring.c, 6.6
    "vm.memfd_noexec": [ABSENT, ABSENT, ABSENT, "0", "0", "0"],                   # kernel/pid_sysctl.h, 6.3
    "net.ipv4.tcp_migrate_req": [ABSENT, "0", "0", "0", "0", "0"],                # 5.14
    "net.ipv4.tcp_tw_recycle": [ABSENT] * 6,                                      # removed in 4.12
    "net.core.somaxconn": ["128", "4096", "4096", "4096", "4096", "4096"],        # SOMAXCONN 4096 since 5.4
    "kernel.sched_child_runs_first": ["0", "0", "0", ABSENT, ABSENT, ABSENT],     # removed in 6.6
    "net.ipv4.tcp_rx_skb_cache": [ABSENT, "0", ABSENT, ABSENT, ABSENT, ABSENT],  # 5.4 .. 5.16
    "net.netfilter.nf_conntrack_helper": [ABSENT, "0", ABSENT, ABSENT, ABSENT, ABSENT],  # removed in 6.0
    "net.mptcp.pm_type": [ABSENT, ABSENT, "0", "0", "0", "0"],                    # 5.19
    "net.core.optmem_max": ["20480", "20480", "20480", "131072", "131072", "131072"],  # per netns, 128 KiB since 6.8
    "dev.tty.legacy_tiocsti": [ABSENT, ABSENT, ABSENT, "1", "1", "1"],            # 6.2
    "kernel.core_sort_vma": [ABSENT, ABSENT, ABSENT, ABSENT, "0", "0"],           # 6.12 stable
    "fs.fuse.max_pages_limit": [ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, "256"],   # 6.14
    "net.ipv4.conf.all.arp_evict_nocarrier": [ABSENT, ABSENT, "1", "1", "1", "1"],  # 5.16
    "kernel.yama.ptrace_scope": ["1", "1", "1", "1", "1", ABSENT],                # YAMA_SCOPE_RELATIONAL; no Yama in the 6.18 guest
    "net.ipv4.tcp_congestion_control": ["cubic", "cubic", "cubic", "cubic", "cubic", "bbr"],
}


def test_every_version_and_distro_profile_is_shipped():
    assert set(VERSIONS) | set(DISTROS) <= set(available_profiles())


@pytest.mark.parametrize("key", sorted(EXISTENCE))
def test_key_exists_with_its_default_exactly_in_the_versions_that_register_it(key):
    got = []
    for name in VERSIONS:
        spec = load_profile(name).entries.get(key)
        got.append(None if spec is None else spec.default)
    assert got == EXISTENCE[key]


@pytest.mark.parametrize(
    ("name", "key", "handler", "lo", "hi"),
    [
        ("5.15", "vm.watermark_scale_factor", "proc_dointvec_minmax", 1, 1000),
        ("6.1", "vm.watermark_scale_factor", "proc_dointvec_minmax", 1, 3000),
        ("5.15", "kernel.numa_balancing", "proc_dointvec_minmax_sysadmin", 0, 1),
        ("6.1", "kernel.numa_balancing", "proc_dointvec_minmax_sysadmin", 0, 4),
        ("6.8", "net.ipv4.tcp_reordering", "proc_dointvec", None, None),
        ("6.12", "net.ipv4.tcp_rmem", "proc_dointvec_minmax", 4096, None),
        ("6.8", "net.ipv4.tcp_rmem", "proc_dointvec_minmax", 1, None),
        ("6.1", "vm.page-cluster", "proc_dointvec_minmax", 0, None),
        ("6.8", "vm.page-cluster", "proc_dointvec_minmax", 0, 31),
        ("5.15", "net.netfilter.nf_conntrack_events", "proc_dou8vec_minmax", 0, 1),
        ("6.1", "net.netfilter.nf_conntrack_events", "proc_dou8vec_minmax", 0, 2),
    ],
)
def test_handler_and_bounds_follow_the_version(name, key, handler, lo, hi):
    spec = load_profile(name).entries[key]
    assert (spec.handler, spec.min, spec.max) == (handler, lo, hi)


def test_ipc_sysctls_are_one_global_table_before_5_19():
    assert "ipc_global_sysctl_table" in load_profile("5.15").legacy
    assert "ipc_global_sysctl_table" not in load_profile("6.1").legacy
    assert load_profile("5.15").entries["kernel.sem_next_id"].mode == 0o644
    assert load_profile("6.1").entries["kernel.sem_next_id"].mode == 0o444


def test_ubuntu_24_04_hz_is_1000_and_debian_hz_is_250():
    assert load_profile("6.8").hz == 1000 and load_profile("ubuntu-24.04").hz == 1000
    assert load_profile("6.1").hz == 250 and load_profile("6.12").hz == 250


@pytest.mark.parametrize(
    ("distro", "key", "default"),
    [
        ("ubuntu-24.04", "kernel.apparmor_restrict_unprivileged_userns", "1"),
        ("ubuntu-24.04", "kernel.unprivileged_userns_clone", "1"),
        ("ubuntu-24.04", "kernel.perf_event_paranoid", "4"),
        ("debian-12", "kernel.unprivileged_userns_clone", "1"),
        ("debian-12", "kernel.yama.ptrace_scope", "0"),
        ("debian-12", "kernel.perf_event_paranoid", "3"),
        ("ubuntu-22.04", "kernel.unprivileged_userns_clone", "1"),
    ],
)
def test_distro_profile_carries_the_distro_patch(distro, key, default):
    assert load_profile(distro).entries[key].default == default
    assert load_profile(DISTROS[distro]).entries.get(key, None) is None or \
        load_profile(DISTROS[distro]).entries[key].default != default


@pytest.mark.parametrize("name", sorted(set(VERSIONS) | set(DISTROS)))
def test_every_row_names_its_source(name):
    missing = [k for k, s in load_profile(name).entries.items() if not s.source]
    assert missing == []
