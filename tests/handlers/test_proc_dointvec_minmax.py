"""proc_dointvec_minmax: bounds give EINVAL (never ERANGE), element by element."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeproc.handlers.legacy import MINMAX_NO_INT_CHECK, SIMPLE_STRTOUL
from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

EINVAL = errno.EINVAL


def int_0001(env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl("proc_dointvec_minmax", (60,), env, key="debug.test_sysctl.int_0001", min=0, max=100)


@pytest.mark.parametrize(("text", "value"), [(b"0", 0), (b"100", 100), (b"0x64", 100), (b"-0", 0)])
def test_value_within_bounds_is_stored(text: bytes, value: int) -> None:
    s = int_0001()
    assert s.echo(text) == 0 and s.value == (value,)


@pytest.mark.parametrize("text", [b"101", b"-1", b"4294967346", b"2147483648", b"-2147483649"])
def test_write_outside_bounds_fails_with_einval_and_keeps_old_value(text: bytes) -> None:
    s = int_0001()
    assert s.write(text).errno == EINVAL
    assert s.value == (60,)


def test_unbounded_side_accepts_any_int() -> None:
    s = make_sysctl("proc_dointvec_minmax", (4096, 16384, 4194304), length=3, min=1)
    assert s.echo(b"1 2147483647") == 0
    assert s.value == (1, 2147483647, 4194304)


def test_every_element_is_checked_against_the_first_bound() -> None:
    # tcp_rmem: extra1 = SYSCTL_ONE applies to all three elements.
    s = make_sysctl("proc_dointvec_minmax", (4096, 131072, 33554432), length=3, min=(1, 5, 5))
    assert s.echo(b"1 1 1") == 0 and s.value == (1, 1, 1)


def test_failing_element_keeps_the_leading_ones() -> None:
    s = make_sysctl("proc_dointvec_minmax", (4096, 131072, 33554432), length=3, min=1)
    assert s.write(b"8192 0 5").errno == EINVAL
    assert s.value == (8192, 131072, 33554432)


def test_sysctl_writes_strict_range_is_minus_one_to_one() -> None:
    s = make_sysctl("proc_dointvec_minmax", (1,), key="kernel.sysctl_writes_strict", min=-1, max=1)
    assert s.echo(b"-1") == 0 and s.value == (-1,)
    assert s.echo(b"2") == EINVAL and s.value == (-1,)


def test_legacy_minmax_truncates_to_int_before_the_range_check() -> None:
    env = FakeEnv(legacy=frozenset({MINMAX_NO_INT_CHECK}))
    s = int_0001(env)
    assert s.echo(b"4294967346") == 0  # 2**32 + 50
    assert s.value == (50,)


def test_legacy_simple_strtoul_wraps_huge_numbers() -> None:
    env = FakeEnv(legacy=frozenset({SIMPLE_STRTOUL, MINMAX_NO_INT_CHECK}))
    s = int_0001(env)
    assert s.echo(b"18446744073709551626") == 0  # 2**64 + 10
    assert s.value == (10,)


@settings(max_examples=60)
@given(st.integers(-(2**40), 2**40))
def test_write_succeeds_exactly_within_bounds(n: int) -> None:
    s = int_0001()
    err = s.echo(str(n).encode())
    if 0 <= n <= 100:
        assert err == 0 and s.cat() == f"{n}\n".encode()
    else:
        assert err == EINVAL and s.value == (60,)
