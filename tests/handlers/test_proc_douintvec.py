"""proc_douintvec, proc_douintvec_minmax, proc_dou8vec_minmax and proc_dobool."""

from __future__ import annotations

import errno

import pytest

from fakeproc.handlers import HANDLERS
from fakeproc.spec import UINT_MAX
from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

EINVAL = errno.EINVAL


def uint_0001(env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl("proc_douintvec", (314,), env, key="debug.test_sysctl.uint_0001")


def test_read_prints_value_and_newline() -> None:
    assert uint_0001().cat() == b"314\n"
    assert uint_0001().read(2).output == b"31"
    assert uint_0001().read(3).output == b"314"
    assert uint_0001().read(10, pos=1).output == b""


def test_selftest_limit_digit_uint() -> None:
    s = uint_0001()
    assert s.echo(b"4294967295\n") == 0 and s.value == (UINT_MAX,)
    assert s.echo(b"4294967296\n") == EINVAL and s.value == (UINT_MAX,)
    assert s.echo(b"-3\n") == EINVAL and s.value == (UINT_MAX,)


@pytest.mark.parametrize("text", [b"-0", b"-1", b"", b"  \n", b"x", b"1.5", b"12\r"])
def test_bad_write_fails_with_einval(text: bytes) -> None:
    s = uint_0001()
    assert (s.write(text).errno if text else s.write(b"\n").errno) == EINVAL
    assert s.value == (314,)


def test_anything_after_the_number_is_ignored_with_full_count_and_no_position_change() -> None:
    s = uint_0001()
    for text in (b"5 6", b"5 x", b"5\n\n"):
        res = s.write(text)
        assert (res.errno, res.count, res.pos, s.value) == (0, len(text), 0, (5,))


def test_strict_write_at_offset_is_ignored() -> None:
    s = uint_0001()
    res = s.write(b"9", pos=4)
    assert (res.errno, res.count, res.pos, s.value) == (0, 1, 5, (314,))


def test_vector_entry_is_refused_with_einval() -> None:
    s = make_sysctl("proc_douintvec", (1, 2), length=2)
    assert s.read().errno == EINVAL
    assert s.write(b"3").errno == EINVAL


def test_minmax_failure_is_einval_not_erange() -> None:
    s = make_sysctl("proc_douintvec_minmax", (3,), min=1, max=10)
    assert s.write(b"11").errno == EINVAL
    assert s.write(b"0").errno == EINVAL
    assert s.echo(b"10") == 0 and s.value == (10,)


@pytest.mark.parametrize(("text", "err"), [(b"0", 0), (b"200", 0), (b"201", EINVAL), (b"256", EINVAL)])
def test_u8_valid_range(text: bytes, err: int) -> None:
    s = make_sysctl("proc_dou8vec_minmax", (10,), key="debug.test_sysctl.u8_valid", min=0, max=200)
    assert s.echo(text) == err


def test_u8_without_bounds_accepts_0_to_255() -> None:
    s = make_sysctl("proc_dou8vec_minmax", (1,), key="net.ipv4.tcp_syncookies")
    assert s.echo(b"255") == 0 and s.value == (255,)
    assert s.echo(b"256") == EINVAL and s.value == (255,)


@pytest.mark.parametrize(("text", "value"), [(b"0", 0), (b"1", 1), (b"-7", 1), (b"2147483647", 1)])
def test_dobool_stores_c_bool(text: bytes, value: int) -> None:
    s = make_sysctl("proc_dobool", (0,))
    assert s.echo(text) == 0 and s.value == (value,)
    assert s.cat() == f"{value}\n".encode()


def test_dobool_rejects_int_overflow() -> None:
    s = make_sysctl("proc_dobool", (1,))
    assert s.write(b"2147483648").errno == EINVAL and s.value == (1,)


def test_since_versions() -> None:
    assert HANDLERS["proc_dou8vec_minmax"].since == (5, 13)
    assert HANDLERS["proc_dobool"].since == (5, 17)
