"""proc_doulongvec_minmax: no sign, range EINVAL, and the v4.15 skip rules."""

from __future__ import annotations

import errno

import pytest

from fakeproc.handlers.legacy import DOULONGVEC_SKIP_NEGATIVE, DOULONGVEC_SKIP_OUT_OF_RANGE
from fakeproc.spec import INT_MAX, ULONG_MAX
from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

EINVAL = errno.EINVAL
SHMMAX = ULONG_MAX - (1 << 24)


def shmmax(env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl("proc_doulongvec_minmax", (SHMMAX,), env, key="kernel.shmmax")


def user_max(env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl(
        "proc_doulongvec_minmax", (INT_MAX,), env, key="user.max_user_namespaces", min=0, max=INT_MAX
    )


def test_read_prints_unsigned() -> None:
    assert shmmax().cat() == b"18446744073692774399\n"


@pytest.mark.parametrize(("text", "value"), [(b"18446744073709551615", ULONG_MAX), (b"0", 0), (b"0x10", 16)])
def test_full_unsigned_long_range_is_accepted(text: bytes, value: int) -> None:
    s = shmmax()
    assert s.echo(text) == 0 and s.value == (value,)


@pytest.mark.parametrize("text", [b"-1", b"-0", b"18446744073709551616"])
def test_negative_or_overflowing_value_fails_with_einval(text: bytes) -> None:
    s = shmmax()
    assert s.write(text).errno == EINVAL and s.value == (SHMMAX,)


def test_range_violation_fails_with_einval() -> None:
    s = user_max()
    assert s.write(b"2147483648").errno == EINVAL and s.value == (INT_MAX,)
    assert s.echo(b"0") == 0 and s.value == (0,)


def test_legacy_skips_negative_silently() -> None:
    s = user_max(FakeEnv(legacy=frozenset({DOULONGVEC_SKIP_NEGATIVE})))
    res = s.write(b"-5")
    assert (res.errno, res.count, s.value) == (0, 2, (INT_MAX,))


def test_legacy_skips_out_of_range_silently() -> None:
    s = user_max(FakeEnv(legacy=frozenset({DOULONGVEC_SKIP_OUT_OF_RANGE})))
    assert s.echo(b"2147483648") == 0 and s.value == (INT_MAX,)


def test_legacy_skip_moves_to_next_element() -> None:
    env = FakeEnv(legacy=frozenset({DOULONGVEC_SKIP_NEGATIVE}))
    s = make_sysctl("proc_doulongvec_minmax", (1, 2), env, length=2)
    assert s.echo(b"-5 7") == 0 and s.value == (1, 7)


def test_vector_partial_write_and_tabs() -> None:
    s = make_sysctl("proc_doulongvec_minmax", (1, 2, 3), length=3)
    assert s.echo(b"9") == 0
    assert s.cat() == b"9\t2\t3\n"
    assert s.write(b"4 5 -6").errno == EINVAL
    assert s.value == (4, 5, 3)
