"""Trigger-style entries (a write acts rather than stores) consume what the kernel consumes.

A short count makes procps report EINVAL and shells retry, so the count is the contract:

* ``vm.stat_refresh``: ``vmstat_refresh`` (mm/vmstat.c) consumes every byte and advances the
  position (``*ppos += *lenp``); a read shows nothing.
* ``net.ipv4.route.flush``: ``ipv4_sysctl_rtcache_flush`` (net/ipv4/route.c) consumes every
  byte unparsed.
* ``net.ipv6.route.flush``: ``ipv6_sysctl_rtcache_flush`` runs ``proc_dointvec`` first
  (net/ipv6/route.c): EINVAL for a non-number.
* ``vm.drop_caches``: ``drop_caches_sysctl_handler`` is ``proc_dointvec_minmax`` in [1, 4]
  (fs/drop_caches.c).
* ``vm.compact_memory``: ``sysctl_compaction_handler`` (mm/compaction.c) parses with
  ``proc_dointvec`` and refuses anything but 1 in 6.18; in 4.15 it consumes every byte unparsed.
* ``kernel.auto_msgmni``: ``proc_ipc_auto_msgmni`` range-checks [0, 1] and discards.
"""

from __future__ import annotations

import errno
import os

import pytest

from fakeproc import Kernel

OK = 0

# (profile, key, bytes written) -> (result of write(2): count or -errno, position after it)
CASES = [
    ("6.18", "vm.stat_refresh", b"1\n", 2, 2),
    ("6.18", "vm.stat_refresh", b"1", 1, 1),
    ("6.18", "vm.stat_refresh", b"abc # x\n", 8, 8),
    ("6.18", "vm.stat_refresh", b"\n", 1, 1),
    ("4.15", "vm.stat_refresh", b"1\n", 2, 2),
    ("6.18", "net.ipv4.route.flush", b"1\n", 2, None),
    ("6.18", "net.ipv4.route.flush", b"abc\n", 4, None),
    ("4.15", "net.ipv4.route.flush", b"-1\n", 3, None),
    ("6.18", "net.ipv6.route.flush", b"1\n", 2, None),
    ("6.18", "net.ipv6.route.flush", b"abc\n", -errno.EINVAL, None),
    ("6.18", "vm.drop_caches", b"3\n", 2, None),
    ("6.18", "vm.drop_caches", b"0\n", -errno.EINVAL, None),
    ("6.18", "vm.drop_caches", b"5\n", -errno.EINVAL, None),
    ("6.18", "vm.compact_memory", b"1\n", 2, None),
    ("6.18", "vm.compact_memory", b"0\n", -errno.EINVAL, None),
    ("6.18", "vm.compact_memory", b"2\n", -errno.EINVAL, None),
    ("6.18", "vm.compact_memory", b"abc\n", -errno.EINVAL, None),
    ("4.15", "vm.compact_memory", b"0\n", 2, None),
    ("4.15", "vm.compact_memory", b"abc\n", 4, None),
    ("6.18", "kernel.auto_msgmni", b"1\n", 2, None),
    ("6.18", "kernel.auto_msgmni", b"2\n", -errno.EINVAL, None),
]


@pytest.mark.parametrize(("profile", "key", "data", "expected", "pos"), CASES,
                         ids=[f"{p}-{k}-{d!r}" for p, k, d, _, _ in CASES])
def test_a_trigger_write_consumes_what_the_kernel_consumes(profile: str, key: str, data: bytes, expected: int,
                                                           pos: int | None) -> None:
    k = Kernel(profile)
    f = k.open(key, os.O_WRONLY)
    try:
        got = f.write(data)
    except OSError as e:
        got = -(e.errno or 0)
    assert got == expected
    if pos is not None:
        result = k._call(key, k.init_ns, f.caller, data, 0, len(data))
        assert result.pos == pos


@pytest.mark.parametrize("profile", ["6.18", "4.15"])
def test_stat_refresh_reads_empty_and_echo_succeeds_in_one_write(profile: str) -> None:
    k = Kernel(profile)
    assert k.read("vm.stat_refresh") == ""
    k.set("vm.stat_refresh", "1")
    record = k.write_log[-1]
    assert (record.data, record.count, record.errno) == (b"1\n", 2, 0)
    assert len(k.write_log) == 1


def test_compact_memory_accepts_1_again_after_a_refused_write() -> None:
    k = Kernel("6.18")
    with pytest.raises(OSError) as info:
        k.write("vm.compact_memory", "0\n")
    assert info.value.errno == errno.EINVAL
    assert k.write("vm.compact_memory", "1\n") == 2
