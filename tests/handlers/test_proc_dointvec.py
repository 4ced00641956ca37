"""proc_dointvec: the shared vector loop, strict writes and the sysctl.sh selftest sequences."""

from __future__ import annotations

import errno

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeproc.spec import INT_MAX, INT_MIN
from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

EINVAL = errno.EINVAL


def int_0003(env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl("proc_dointvec", (0, 1, 2, 3), env, key="debug.test_sysctl.int_0003", length=4)


def scalar(value: int = 1, env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl("proc_dointvec", (value,), env, key="debug.test_sysctl.int_0002")


# ------------------------------------------------------------------ reads


def test_read_is_tab_separated_with_one_final_newline() -> None:
    assert int_0003().cat() == b"0\t1\t2\t3\n"


def test_read_of_negative_value_prints_minus() -> None:
    assert scalar(-5).cat() == b"-5\n"
    assert scalar(INT_MIN).cat() == b"-2147483648\n"


@pytest.mark.parametrize(("size", "out"), [(1, b"0"), (2, b"0\t"), (7, b"0\t1\t2\t3"), (8, b"0\t1\t2\t3\n")])
def test_short_read_truncates_and_drops_newline_without_room(size: int, out: bytes) -> None:
    assert int_0003().read(size).output == out


def test_read_at_nonzero_position_is_eof() -> None:
    res = make_sysctl("proc_dointvec", (32000, 1024000000, 500, 32000), length=4).read(100, pos=3)
    assert (res.output, res.count, res.errno) == (b"", 0, 0)


def test_read_one_byte_at_a_time_gives_only_first_byte() -> None:
    s = make_sysctl("proc_dointvec", (32000, 1024000000, 500, 32000), length=4)
    first = s.read(1)
    assert first.output == b"3"
    assert s.read(1, pos=first.pos).output == b""


# ----------------------------------------------------------------- writes


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"5", 5),
        (b"5\n", 5),
        (b"  \t5   \n\n", 5),
        (b"-3", -3),
        (b"-0", 0),
        (b"0x10", 16),
        (b"010", 8),
        (b"2147483647", INT_MAX),
        (b"-2147483648", INT_MIN),
        (b"\xa05", 5),
        (b"\v\f\r5", 5),
    ],
)
def test_valid_scalar_write_stores_value_and_consumes_everything(text: bytes, value: int) -> None:
    s = scalar()
    res = s.write(text)
    assert (res.errno, res.count, res.pos, s.value) == (0, len(text), len(text), (value,))


@pytest.mark.parametrize(
    "text",
    [
        b"2147483648",
        b"-2147483649",
        b"0x0000000100000000",
        b"-0x0000000100000000",
        b"0xffffffff7fffffff",
        b"-0xffffffff7fffffff",
        b"12\r\n",
        b"abc",
        b"+1",
        b"1.5",
        b"",
    ],
)
def test_invalid_scalar_write_fails_with_einval_and_keeps_old_value(text: bytes) -> None:
    s = scalar(7)
    res = s.write(text + b"") if text else s.write(b" ")
    assert res.errno == EINVAL
    assert s.value == (7,)


@pytest.mark.parametrize("text", [b" ", b"\n", b" \t\n\v\f\r", b" " * 4095])
def test_whitespace_only_write_fails_with_einval(text: bytes) -> None:
    s = scalar(7)
    assert s.write(text).errno == EINVAL
    assert s.value == (7,)


def test_zero_byte_write_returns_zero_and_changes_nothing() -> None:
    s = scalar(7)
    res = s.write(b"")
    assert (res.errno, res.count, s.value) == (0, 0, (7,))


def test_partial_vector_changes_only_leading_elements() -> None:
    s = int_0003()
    assert s.echo(b"4 3 2 1\n") == 0
    assert s.echo(b"100 101\n") == 0
    assert s.cat() == b"100\t101\t2\t1\n"


def test_surplus_numbers_make_a_short_write_ignored_on_retry() -> None:
    s = scalar()
    res = s.write(b"1 2 3\n")
    assert (res.errno, res.count, s.value) == (0, 2, (1,))
    # The writer resends "2 3\n" at pos 2: strict mode ignores it and reports success.
    retry = s.write(b"2 3\n", pos=res.pos)
    assert (retry.errno, retry.count, retry.pos, s.value) == (0, 4, 6, (1,))
    assert scalar().echo(b"1 2 3\n") == 0


def test_trailing_garbage_after_scalar_is_short_write() -> None:
    s = scalar()
    res = s.write(b"5 x")
    assert (res.errno, res.count, s.value) == (0, 2, (5,))
    assert scalar().echo(b"5 x") == 0


def test_bad_element_keeps_leading_elements_written() -> None:
    s = int_0003()
    res = s.write(b"9 8 oops 6")
    assert res.errno == EINVAL
    assert s.value == (9, 8, 2, 3)


def test_only_first_4095_bytes_are_examined() -> None:
    s = scalar()
    res = s.write(b" " * 4095 + b"5")
    assert res.errno == EINVAL and s.value == (1,)
    res = s.write(b" " * 4094 + b"5" + b"garbage")
    assert (res.errno, res.count, s.value) == (0, 4102, (5,))


def test_number_cut_by_the_4095_window_is_parsed_short() -> None:
    s = scalar()
    res = s.write(b" " * 4093 + b"123")
    assert (res.errno, s.value) == (0, (12,))


# -------------------------------------------------------- sysctl_writes_strict


def test_strict_write_at_nonzero_offset_is_ignored_with_full_count() -> None:
    s = scalar(1)
    res = s.write(b"9", pos=1)
    assert (res.errno, res.count, res.pos, s.value) == (0, 1, 2, (1,))


@pytest.mark.parametrize("mode", [0, -1])
def test_non_strict_write_at_offset_parses_from_start(mode: int) -> None:
    env = FakeEnv(writes_strict=mode)
    s = scalar(1, env)
    res = s.write(b"9", pos=3)
    assert (res.errno, s.value) == (0, (9,))
    assert bool(env.logs) == (mode == 0)


def test_warn_mode_logs_the_kernel_message() -> None:
    env = FakeEnv(writes_strict=0)
    scalar(1, env).write(b"9", pos=3)
    assert "when file position was not 0!" in env.logs[0]
    assert "kernel.sysctl_writes_strict = -1" in env.logs[0]


# ------------------------------------------------- tools/testing/selftests/sysctl


def test_selftest_dd_bs1_seek1_is_ignored() -> None:
    s = scalar(1)
    assert s.dd(b"5", bs=1, seek=1) == 0
    assert s.value == (1,)


def test_selftest_dd_bs20_seek2_is_ignored() -> None:
    s = scalar(1)
    assert s.dd(b"5".ljust(20), bs=20, seek=2) == 0
    assert s.value == (1,)


def test_selftest_50_as_then_value_fails() -> None:
    s = scalar(1)
    assert s.dd(b"A" * 50 + b"3\n", bs=50) == EINVAL
    assert s.value == (1,)


def test_selftest_limit_digit_511_spaces_then_value() -> None:
    s = int_0003()
    s.echo(b"9999 101 2 1\n")
    assert s.dd(b" " * 511 + b"9\n", bs=512) == 0
    assert s.cat() == b"9\t101\t2\t1\n"
    assert s.dd(b" " * 512 + b"7\n", bs=512) == EINVAL
    assert s.cat() == b"9\t101\t2\t1\n"


def test_selftest_limit_digit_int() -> None:
    s = scalar()
    assert s.echo(b"2147483647\n") == 0 and s.value == (INT_MAX,)
    assert s.echo(b"2147483648\n") == EINVAL and s.value == (INT_MAX,)
    assert s.echo(b"-3\n") == 0 and s.value == (-3,)


@pytest.mark.parametrize(
    "text",
    [
        b"0x0000000100000000",
        b"0x0000000100000001",
        b"0x00000001ffffffff",
        b"0x0000000180000000",
        b"0x000000017fffffff",
        b"0xffffffff00000000",
        b"0xffffffff00000001",
        b"0xffffffffffffffff",
        b"0xffffffff80000000",
        b"0xffffffff7fffffff",
    ],
)
@pytest.mark.parametrize("sign", [b"", b"-"])
def test_selftest_wideint_fails_and_keeps_value(text: bytes, sign: bytes) -> None:
    s = scalar(1)
    assert s.echo(sign + text) == EINVAL
    assert s.value == (1,)


# --------------------------------------------------------------- properties

_settings = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_settings
@given(st.lists(st.integers(INT_MIN, INT_MAX), min_size=1, max_size=4), st.sampled_from([" ", "\t", "  \n "]))
def test_valid_write_reads_back_canonically(values: list[int], sep: str) -> None:
    s = int_0003()
    text = sep.join(str(v) for v in values).encode() + b"\n"
    assert s.echo(text) == 0
    expected = tuple(values) + (0, 1, 2, 3)[len(values) :]
    assert s.cat() == b"\t".join(str(v).encode() for v in expected) + b"\n"


_bad_tokens = st.one_of(
    st.integers(INT_MAX + 1, 2**70).map(str),
    st.integers(-(2**70), INT_MIN - 1).map(str),
    st.sampled_from(["+1", "1.0", "x", "1,", "--1", "12\r", "0x", "08", "-", "000000000000000000001"]),
)


@_settings
@given(st.lists(st.integers(INT_MIN, INT_MAX), max_size=3), _bad_tokens)
def test_invalid_token_fails_and_keeps_exactly_the_leading_elements(good: list[int], bad: str) -> None:
    s = int_0003()
    text = " ".join([*map(str, good), bad]).encode()
    assert s.write(text).errno == EINVAL
    assert s.value == tuple(good) + (0, 1, 2, 3)[len(good) :]
