"""4.15 facts read in the 4.15 tree (sndrzt/linux-4.15: kernel/sysctl.c, net/ipv4/sysctl_net_ipv4.c).

Each row is one difference from 6.18 that versions/4.15.yaml applies; docs/profiles.md lists the evidence.
"""

from __future__ import annotations

import errno

import pytest

import fakeproc
from fakeproc.errors import SysctlError
from fakeproc.profiles.loader import load_profile

P415 = load_profile("4.15")
P618 = load_profile("6.18")


@pytest.mark.parametrize("key, value, profile, err", [
    ("vm.swappiness", "150", "4.15", errno.EINVAL),      # [0, 100] in 4.15 (200 came in 5.8)
    ("vm.swappiness", "150", "6.18", None),
    ("vm.swappiness", "100", "4.15", None),
    ("vm.watermark_scale_factor", "1001", "4.15", errno.EINVAL),  # [1, 1000]
    ("vm.watermark_scale_factor", "1001", "6.18", None),
    ("vm.vfs_cache_pressure", "-1", "4.15", None),        # plain proc_dointvec, extra1 ignored
    ("vm.zone_reclaim_mode", "-5", "4.15", None),
    ("net.ipv4.tcp_reordering", "1000", "4.15", None),   # proc_dointvec, no tie to tcp_max_reordering
    ("net.ipv4.tcp_ecn", "7", "4.15", None),              # proc_dointvec
    ("net.ipv4.tcp_ecn", "7", "6.18", errno.EINVAL),
    ("net.ipv4.tcp_tw_reuse", "5", "4.15", None),
    ("net.ipv4.icmp_echo_ignore_all", "86400", "4.15", None),   # [0, one_day_secs] in that tree
    ("net.ipv4.icmp_echo_ignore_all", "86401", "4.15", errno.EINVAL),
    ("net.ipv4.fib_multipath_hash_policy", "2", "4.15", errno.EINVAL),  # [0, 1]
    ("net.ipv4.fib_multipath_hash_policy", "2", "6.18", None),
    ("net.ipv4.tcp_early_demux", "-1", "4.15", errno.EINVAL),   # proc_douintvec: negative refused
    ("net.ipv4.tcp_early_demux", "7", "4.15", None),
    ("net.ipv4.tcp_min_tso_segs", "65536", "4.15", errno.EINVAL),  # [1, GSO_MAX_SEGS]
    ("kernel.sched_latency_ns", "99999", "4.15", errno.EINVAL),    # [100000, NSEC_PER_SEC]
    ("kernel.sched_latency_ns", "24000000", "4.15", None),
    ("kernel.sched_tunable_scaling", "3", "4.15", errno.EINVAL),
    ("kernel.sched_child_runs_first", "1", "4.15", None),
])
def test_415_write_outcomes(key, value, profile, err):
    k = fakeproc.Kernel(profile)
    if err is None:
        k.write(key, value)
        assert k.read(key) == value + "\n"
    else:
        with pytest.raises(SysctlError) as info:
            k.write(key, value)
        assert info.value.errno == err


@pytest.mark.parametrize("key", [
    "kernel.sched_deadline_period_max_us", "kernel.sched_deadline_period_min_us",
    "net.ipv4.tcp_comp_sack_nr", "net.ipv4.tcp_rto_min_us", "net.ipv4.tcp_rto_max_ms",
    "net.ipv4.tcp_syn_linear_timeouts", "net.ipv4.tcp_tw_reuse_delay", "net.ipv4.tcp_pingpong_thresh",
    "net.ipv4.tcp_reflect_tos", "net.ipv4.tcp_mtu_probe_floor", "net.ipv4.tcp_no_ssthresh_metrics_save",
    "net.ipv4.ip_forward_update_priority", "net.ipv4.raw_l3mdev_accept", "net.ipv4.fib_sync_mem",
    "net.ipv4.nexthop_compat_mode", "net.ipv4.ip_autobind_reuse", "net.ipv4.tcp_ecn_option",
])
def test_415_lacks_keys_absent_from_the_415_tables(key):
    assert key in P618.entries and key not in P415.entries


@pytest.mark.parametrize("key", [
    "fs.protected_fifos", "fs.protected_regular", "vm.numa_stat", "net.ipv4.tcp_min_snd_mss",
])
def test_415_keeps_keys_the_415_tree_has(key):
    assert key in P415.entries


@pytest.mark.parametrize("key, handler, default", [
    ("kernel.sched_child_runs_first", "proc_dointvec", "0"),
    ("kernel.sched_min_granularity_ns", "proc_dointvec_minmax", "1500000"),
    ("kernel.sched_latency_ns", "proc_dointvec_minmax", "12000000"),
    ("kernel.sched_wakeup_granularity_ns", "proc_dointvec_minmax", "2000000"),
    ("kernel.sched_migration_cost_ns", "proc_dointvec", "500000"),
    ("kernel.sched_nr_migrate", "proc_dointvec", "32"),
    ("kernel.numa_balancing_scan_size_mb", "proc_dointvec_minmax", "256"),
    ("kernel.unprivileged_userns_clone", "proc_dointvec", "1"),
    ("vm.block_dump", "proc_dointvec", "0"),
    ("vm.percpu_pagelist_fraction", "proc_dointvec_minmax", "0"),
    ("vm.hugepages_treat_as_movable", "proc_dointvec", "0"),
])
def test_415_only_keys_are_added(key, handler, default):
    assert key not in P618.entries
    spec = P415.entries[key]
    assert (spec.handler, spec.default, spec.provenance.value) == (handler, default, "source")
    assert "sndrzt/linux-4.15" in spec.source


def test_415_protected_files_are_root_only():
    for name in ("symlinks", "hardlinks", "fifos", "regular"):
        assert P415.entries[f"fs.protected_{name}"].mode == 0o600


def test_415_init_net_only_ipv4_globals_are_absent_in_a_new_netns():
    for key in ("net.ipv4.udp_rmem_min", "net.ipv4.udp_wmem_min", "net.ipv4.icmp_msgs_per_sec",
                "net.ipv4.icmp_msgs_burst", "net.ipv4.tcp_allowed_congestion_control",
                "net.ipv4.tcp_available_congestion_control", "net.ipv4.tcp_mem"):
        assert P415.entries[key].creation.value == "absent", key


def test_415_legacy_matches_the_tree():
    # strtoul_lenient, the INT check in the minmax converter and the INT_MAX/HZ jiffies bound are in
    # that kernel/sysctl.c; doulongvec still has `if (neg) continue;`; proc_do_large_bitmap has no
    # 5.2 chunking. ipc/ipc_sysctl.c and ipc/mq_sysctl.c register one global table each (seen in
    # the v5.0 sources; the 4.15 ipc files are not in the index). net/ipv4/sysctl_net_ipv4.c runs
    # ipv4_ping_group_range through proc_dointvec_minmax on gid_t[2].
    # mm/compaction.c's sysctl_compaction_handler only calls compact_nodes() (no proc_dointvec).
    # kernel/pid_namespace.c's pid_ns_ctl_handler wants CAP_SYS_ADMIN only (CAP_CHECKPOINT_RESTORE: 5.9).
    assert set(P415.legacy) == {"doulongvec_skip_negative", "bitmap_truncate_4095", "ipc_global_sysctl_table",
                                "ping_group_range_int", "compact_memory_any_write", "ns_last_pid_sysadmin_only"}
