"""The jiffies converters: seconds, USER_HZ ticks and milliseconds at HZ=250 and HZ=1000."""

from __future__ import annotations

import errno

import pytest

from fakeproc.handlers.generic import (
    clock_t_to_jiffies,
    jiffies_to_clock_t,
    jiffies_to_msecs,
    msecs_to_jiffies,
)
from fakeproc.handlers.legacy import JIFFIES_LONG_MAX_BOUND
from fakeproc.spec import INT_MAX
from tests.handlers.conftest import FakeEnv, make_sysctl

EINVAL = errno.EINVAL


@pytest.mark.parametrize("hz", [250, 1000])
def test_jiffies_stores_seconds_times_hz(hz: int) -> None:
    s = make_sysctl("proc_dointvec_jiffies", (7200 * hz,), FakeEnv(hz=hz), key="net.ipv4.tcp_keepalive_time")
    assert s.cat() == b"7200\n"
    assert s.echo(b"75") == 0 and s.value == (75 * hz,)
    assert s.echo(b"-2") == 0 and s.value == (-2 * hz,) and s.cat() == b"-2\n"


@pytest.mark.parametrize(("hz", "limit"), [(250, 8589934), (1000, 2147483)])
def test_jiffies_bound_is_int_max_over_hz(hz: int, limit: int) -> None:
    s = make_sysctl("proc_dointvec_jiffies", (0,), FakeEnv(hz=hz))
    assert s.echo(str(limit).encode()) == 0
    assert s.echo(str(limit + 1).encode()) == EINVAL
    assert s.value == (limit * hz,)


def test_jiffies_read_truncates_partial_seconds() -> None:
    assert make_sysctl("proc_dointvec_jiffies", (499,)).cat() == b"1\n"
    assert make_sysctl("proc_dointvec_jiffies", (-499,)).cat() == b"-1\n"


def test_legacy_jiffies_bound_wraps_to_int() -> None:
    s = make_sysctl("proc_dointvec_jiffies", (0,), FakeEnv(legacy=frozenset({JIFFIES_LONG_MAX_BOUND})))
    assert s.echo(b"8589935") == 0  # 8589935*250 = 2147483750 wraps negative
    assert s.value == (2147483750 - 2**32,)


def test_userhz_at_hz250_write_1_reads_0_and_100_reads_100() -> None:
    s = make_sysctl("proc_dointvec_userhz_jiffies", (0,))
    assert s.echo(b"1") == 0 and s.value == (2,) and s.cat() == b"0\n"
    assert s.echo(b"100") == 0 and s.value == (250,) and s.cat() == b"100\n"


def test_userhz_at_hz1000_scales_by_ten() -> None:
    s = make_sysctl("proc_dointvec_userhz_jiffies", (0,), FakeEnv(hz=1000))
    assert s.echo(b"7") == 0 and s.value == (70,) and s.cat() == b"7\n"


def test_userhz_negative_becomes_minus_one_jiffy_and_reads_minus_zero() -> None:
    s = make_sysctl("proc_dointvec_userhz_jiffies", (0,))
    assert s.echo(b"-5") == 0
    assert s.value == (-1,) and s.cat() == b"-0\n"


def test_userhz_bound_is_long_max_over_hz_times_user_hz() -> None:
    s = make_sysctl("proc_dointvec_userhz_jiffies", (0,))
    limit = (2**63 - 1) // 250 * 100
    assert s.echo(str(limit + 1).encode()) == EINVAL


@pytest.mark.parametrize(
    ("hz", "written", "stored", "read"),
    [
        (250, 1, 1, 4),
        (250, 1001, 251, 1004),
        (250, 0, 0, 0),
        (250, 4, 1, 4),
        (1000, 1, 1, 1),
        (1000, 1001, 1001, 1001),
    ],
)
def test_ms_jiffies_rounds_up(hz: int, written: int, stored: int, read: int) -> None:
    s = make_sysctl("proc_dointvec_ms_jiffies", (0,), FakeEnv(hz=hz))
    assert s.echo(str(written).encode()) == 0
    assert s.value == (stored,)
    assert s.cat() == f"{read}\n".encode()


def test_ms_jiffies_negative_fails_except_minus_zero() -> None:
    s = make_sysctl("proc_dointvec_ms_jiffies", (5,))
    assert s.echo(b"-1") == EINVAL and s.value == (5,)
    assert s.echo(b"-0") == 0 and s.value == (0,)


def test_ms_jiffies_truncates_to_unsigned_int_first() -> None:
    s = make_sysctl("proc_dointvec_ms_jiffies", (5,), FakeEnv(hz=1000))
    assert s.echo(b"4294967297") == 0  # 2**32 + 1 -> 1 ms
    assert s.value == (1,)
    assert s.echo(b"2147483648") == EINVAL


def test_ms_jiffies_minmax_checks_the_jiffies_value() -> None:
    s = make_sysctl("proc_dointvec_ms_jiffies_minmax", (10,), min=1, max=100)
    assert s.echo(b"400") == 0 and s.value == (100,)
    assert s.echo(b"401") == EINVAL and s.value == (100,)
    assert s.echo(b"0") == EINVAL


def test_doulongvec_ms_jiffies_scales_by_hz_over_1000() -> None:
    s = make_sysctl("proc_doulongvec_ms_jiffies_minmax", (0,))
    assert s.echo(b"1000") == 0 and s.value == (250,) and s.cat() == b"1000\n"
    assert s.echo(b"3") == 0 and s.value == (0,) and s.cat() == b"0\n"


def test_conversion_helpers_match_kernel_arithmetic() -> None:
    assert clock_t_to_jiffies(1, 250, 100) == 2
    assert jiffies_to_clock_t(2, 250, 100) == 0
    assert jiffies_to_clock_t(250, 250, 100) == 100
    assert clock_t_to_jiffies(1, 1000, 100) == 10
    assert jiffies_to_clock_t(10, 1000, 100) == 1
    assert clock_t_to_jiffies(2**64 - 1, 250, 100) == 2**64 - 1
    assert msecs_to_jiffies(1, 250) == 1 and msecs_to_jiffies(2**32 - 1, 250) > INT_MAX
    assert jiffies_to_msecs(251, 250) == 1004
    assert msecs_to_jiffies(10, 100) == 1 and jiffies_to_msecs(1, 100) == 10
