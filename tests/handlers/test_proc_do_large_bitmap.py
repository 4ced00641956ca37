"""proc_do_large_bitmap: list syntax, errors, chunked writes with OR merge, reads."""

from __future__ import annotations

import errno
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeproc.handlers.bitmap import format_bitmap
from fakeproc.handlers.legacy import BITMAP_TRUNCATE_4095
from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

EINVAL = errno.EINVAL


def bitmap_0001(value: int = 0, env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl("proc_do_large_bitmap", value, env, key="debug.test_sysctl.bitmap_0001", maxlen=65536)


def bits(*items: int | tuple[int, int]) -> int:
    out = 0
    for item in items:
        a, b = item if isinstance(item, tuple) else (item, item)
        for i in range(a, b + 1):
            out |= 1 << i
    return out


def test_empty_bitmap_reads_as_newline() -> None:
    assert bitmap_0001().cat() == b"\n"


@pytest.mark.parametrize(
    ("text", "value", "read"),
    [
        (b"1,2-4,8080", bits(1, (2, 4), 8080), b"1-4,8080\n"),
        (b"5", bits(5), b"5\n"),
        (b"\n\n5\n", bits(5), b"5\n"),
        (b"3-3", bits(3), b"3\n"),
        (b"1,1,0-2", bits((0, 2)), b"0-2\n"),
        (b"0x10,010", bits(8, 16), b"8,16\n"),
        (b"65535", bits(65535), b"65535\n"),
        (b"1-2\n4", bits(1, 2, 4), b"1-2,4\n"),
        (b"\n", 0, b"\n"),
    ],
    ids=lambda v: v.decode() if isinstance(v, bytes) else "v",
)
def test_valid_list_replaces_the_bitmap(text: bytes, value: int, read: bytes) -> None:
    s = bitmap_0001(bits(7, 9))
    res = s.write(text)
    assert (res.errno, res.count, s.value) == (0, len(text), value)
    assert s.cat() == read


@pytest.mark.parametrize(
    "text", [b"1, 2", b"1 2", b" 1", b"4-2", b"65536", b"-1", b"1-", b"1-65536", b"a", b"1;2", b"1\r"]
)
def test_invalid_list_fails_with_einval_and_changes_nothing(text: bytes) -> None:
    s = bitmap_0001(bits(7))
    assert s.write(text).errno == EINVAL
    assert s.value == bits(7)


def test_read_truncates_and_is_eof_at_offset() -> None:
    s = bitmap_0001(bits(1, (3, 5)))
    assert s.read(3).output == b"1,3"
    assert s.read(100, pos=1).output == b""


def test_write_at_offset_ors_into_the_bitmap() -> None:
    s = bitmap_0001(bits(1))
    res = s.write(b"5", pos=10)
    assert (res.errno, s.value) == (0, bits(1, 5))


def _big_list(seed: int, n: int) -> tuple[bytes, int]:
    rng = random.Random(seed)
    items = []
    value = 0
    size = 0
    while size < n:
        a = rng.randrange(65536)
        if rng.random() < 0.5:
            b = min(65535, a + rng.randrange(50))
            items.append(f"{a}-{b}")
            size += len(items[-1]) + 1
            value |= ((1 << (b - a + 1)) - 1) << a
        else:
            items.append(str(a))
            size += len(items[-1]) + 1
            value |= 1 << a
    return ",".join(items).encode() + b"\n", value


def test_long_write_is_consumed_in_chunks_at_token_boundaries() -> None:
    text, value = _big_list(1, 20000)
    s = bitmap_0001()
    first = s.write(text)
    assert first.errno == 0 and 0 < first.count <= 4095
    assert (
        text[first.count - 1 : first.count] in (b",", b"\n") or text[first.count : first.count + 1].isdigit()
    )
    s = bitmap_0001(bits(3))
    assert s.echo(text) == 0
    assert s.value == value
    assert s.cat() == format_bitmap(value, 65536)


@pytest.mark.parametrize("seed", range(5))
def test_selftest_random_lists_read_back(seed: int) -> None:
    text, value = _big_list(seed, 65000)
    s = bitmap_0001()
    assert s.echo(text) == 0
    assert s.value == value


def test_legacy_truncates_to_4095_bytes_with_full_count() -> None:
    text, _ = _big_list(2, 8000)
    s = bitmap_0001(env=FakeEnv(legacy=frozenset({BITMAP_TRUNCATE_4095})))
    res = s.write(text)
    assert (res.errno, res.count) == (0, len(text))
    prefix = text[:4095].decode()
    expected = 0
    for item in prefix.strip(",").split(","):
        a, _, b = item.partition("-")
        lo, hi = int(a), int(b) if b else int(a)
        expected |= ((1 << (hi - lo + 1)) - 1) << lo
    assert s.value == expected


@settings(max_examples=60)
@given(st.sets(st.integers(0, 65535), max_size=200))
def test_any_bit_set_round_trips_through_its_text(members: set[int]) -> None:
    value = sum(1 << m for m in members)
    text = format_bitmap(value, 65536)
    s = bitmap_0001(bits(1, 2, 3))
    assert s.echo(text) == 0
    assert s.value == value
