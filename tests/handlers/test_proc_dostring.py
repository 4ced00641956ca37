"""proc_dostring: NUL/newline termination, maxlen-1 limit, strict offsets, reads at offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

TEST_STR = b"Testing sysctl\n"


def string_0001(value: bytes = b"(none)", env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl("proc_dostring", value, env, key="debug.test_sysctl.string_0001", maxlen=65)


def test_read_appends_newline_and_honours_offset() -> None:
    s = string_0001(b"Linux")
    assert s.cat() == b"Linux\n"
    assert s.read(100, pos=2).output == b"nux\n"
    assert s.read(100, pos=5).output == b"\n"
    assert s.read(100, pos=6).output == b""
    assert s.read(3).output == b"Lin"


def test_write_stops_at_newline_or_nul_and_keeps_spaces() -> None:
    s = string_0001()
    res = s.write(b"  a b  \nignored")
    assert (res.errno, res.count, s.value) == (0, 15, b"  a b  ")
    s.write(b"x\x00y")
    assert s.value == b"x"


def test_lone_newline_sets_empty_string_and_zero_byte_write_changes_nothing() -> None:
    s = string_0001(b"abc")
    assert s.echo(b"\n") == 0 and s.value == b""
    s = string_0001(b"abc")
    res = s.write(b"")
    assert (res.count, s.value) == (0, b"abc")


def test_selftest_short_writes_build_the_string() -> None:
    s = string_0001()
    assert s.dd(TEST_STR, bs=1) == 0
    assert s.cat() == TEST_STR


def test_selftest_unsynchronized_seek_prepends_old_first_byte() -> None:
    s = string_0001(b"Testing sysctl")
    assert s.dd(TEST_STR, bs=1, seek=1) == 0
    assert s.value == b"TTesting sysctl"


def test_strict_write_beyond_end_is_ignored_with_full_count() -> None:
    s = string_0001(b"abc")
    res = s.write(b"zz", pos=4)
    assert (res.errno, res.count, res.pos, s.value) == (0, 2, 4, b"abc")
    res = s.write(b"zz", pos=3)
    assert (res.count, res.pos, s.value) == (2, 5, b"abczz")
    s.write(b"Q", pos=1)
    assert s.value == b"aQ"


@pytest.mark.parametrize("mode", [0, -1])
def test_non_strict_write_always_starts_at_index_zero(mode: int) -> None:
    env = FakeEnv(writes_strict=mode)
    s = string_0001(b"abc", env)
    assert s.write(b"zz", pos=10).count == 2
    assert s.value == b"zz"
    assert bool(env.logs) == (mode == 0)


def test_selftest_maxlen_63_as_and_b_fit() -> None:
    s = string_0001()
    text = b"A" * 63 + b"B"
    assert s.dd(text, bs=65) == 0
    assert s.value == text


def test_selftest_overflow_append_keeps_original_string() -> None:
    s = string_0001()
    assert s.dd(b"A" * 64 + b"B", bs=64) == 0
    assert s.value == b"A" * 64


@pytest.mark.parametrize("tail", [b"B", b"BB"])
def test_selftest_single_write_stays_nul_terminated(tail: bytes) -> None:
    s = string_0001()
    text = b"A" * 64 + tail
    res = s.write(text)
    assert (res.count, s.value) == (len(text), b"A" * 64)


def test_selftest_50_as_then_text_are_all_stored() -> None:
    s = string_0001()
    assert s.dd(b"A" * 50 + TEST_STR, bs=50) == 0
    assert s.value == b"A" * 50 + TEST_STR.rstrip(b"\n")


@settings(max_examples=60)
@given(st.binary(max_size=100).filter(lambda b: b"\n" not in b and b"\x00" not in b))
def test_any_text_reads_back_cut_at_64_bytes(text: bytes) -> None:
    s = string_0001()
    assert s.echo(text + b"\n") == 0
    assert s.cat() == text[:64] + b"\n"
