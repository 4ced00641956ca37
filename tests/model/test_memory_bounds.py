"""Memory is bounded by design, whatever callers write (issue 14).

The write log keeps a payload prefix and its length, at most ``limit`` records and
``byte_limit`` bytes, and evicts from the largest holder, so a hostile writer loses only
its own history. The soak below is the benchmark's hostile writer at a smaller scale; the
bound is asserted on allocated memory (tracemalloc), not on time.
"""

from __future__ import annotations

import errno
import os
import tracemalloc

from fakeproc import Caller, Kernel
from fakeproc.model.writelog import PAYLOAD_PREFIX, REFUSED_PREFIX, WriteLog

HOSTILE = Caller(uid=1001, gid=1001, pid=4242, comm="hostile")


def _hostile_write(k: Kernel, data: bytes) -> None:
    f = k.open("kernel.ns_last_pid", os.O_WRONLY, caller=HOSTILE)
    try:
        f.write(data)
    except OSError as e:
        assert e.errno == errno.EPERM
    else:
        raise AssertionError("an unprivileged write to ns_last_pid must be refused")


def test_a_record_keeps_a_prefix_of_the_payload_and_its_full_length() -> None:
    k = Kernel("6.18")
    _hostile_write(k, b"7" * 131072)
    k.write("kernel.core_pattern", b"|/bin/x " + b"a" * 100)
    refused, accepted = list(k.write_log)
    assert (len(refused.data), refused.length, refused.truncated, refused.uid) == (REFUSED_PREFIX, 131072, True,
                                                                                   1001)
    assert (refused.data, refused.errno) == (b"7" * REFUSED_PREFIX, errno.EPERM)
    assert (accepted.data, accepted.length, accepted.truncated) == (b"|/bin/x " + b"a" * 100, 108, False)
    assert PAYLOAD_PREFIX == 4096


def test_a_hostile_writer_evicts_only_its_own_history() -> None:
    k = Kernel("6.18")
    k.write_log = WriteLog(limit=500, byte_limit=64 << 10)
    for i in range(100):
        k.write("vm.swappiness", str(i % 100))
    for _ in range(5000):
        _hostile_write(k, b"1" * 4096)
    root = [r for r in k.write_log if r.uid == 0]
    assert [r.data for r in root] == [str(i % 100).encode() for i in range(100)]
    assert len(k.write_log) <= 500 and k.write_log.payload_bytes <= 64 << 10
    assert [r.uid for r in k.write_log][-1] == 1001  # the newest hostile writes are kept


def test_the_log_stays_in_time_order_across_callers() -> None:
    k = Kernel("6.18")
    k.write_log = WriteLog(limit=50)
    for i in range(40):
        if i % 2:
            _hostile_write(k, b"x")
        else:
            k.write("vm.swappiness", "1")
    times = [r.time for r in k.write_log]
    assert times == sorted(times) and [r.uid for r in k.write_log][:4] == [0, 1001, 0, 1001]
    assert k.write_log[-1].uid == 1001 and k.write_log[0].uid == 0


def test_soak_of_large_refused_writes_keeps_memory_within_the_log_bounds() -> None:
    k = Kernel("6.18")
    limit, byte_limit = 2000, 256 << 10
    k.write_log = WriteLog(limit=limit, byte_limit=byte_limit)
    for i in range(50):  # warm caches: formatted outputs, parsed defaults
        k.write("vm.swappiness", str(i))
        _hostile_write(k, b"x")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        payload = b"9" * 131072
        for i in range(20_000):
            _hostile_write(k, payload)
            if i % 10 == 0:
                k.write("vm.swappiness", str(i % 100))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(k.write_log) <= limit and k.write_log.payload_bytes <= byte_limit
    # Records are about 300 bytes plus their prefix: the bound is the log's, not the traffic's
    # (20,000 x 128 KiB = 2.5 GiB was written).
    assert grown < limit * 400 + byte_limit, grown
