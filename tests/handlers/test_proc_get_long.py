"""proc_get_long: base 0, sign rules, the 21-byte token limit, trailers, overflow."""

from __future__ import annotations

import errno

import pytest

from fakeproc.handlers._text import ISSPACE, WSPACE_SEP, get_long, skip_spaces
from fakeproc.handlers.legacy import SIMPLE_STRTOUL

EINVAL = errno.EINVAL


@pytest.mark.parametrize(
    ("text", "value", "neg", "end"),
    [
        (b"0", 0, False, 1),
        (b"42", 42, False, 2),
        (b"42 ", 42, False, 2),
        (b"42\t", 42, False, 2),
        (b"42\n", 42, False, 2),
        (b"0x1f", 31, False, 4),
        (b"0X1F", 31, False, 4),
        (b"010", 8, False, 3),
        (b"-5", 5, True, 2),
        (b"-0", 0, True, 2),
        (b"-0x10", 16, True, 5),
        (b"00000000000000000001", 1, False, 20),  # 20 characters: fine
        (b"18446744073709551615", 2**64 - 1, False, 20),
        (b"0xffffffffffffffff", 2**64 - 1, False, 18),
    ],
)
def test_valid_token_parses(text: bytes, value: int, neg: bool, end: int) -> None:
    assert get_long(text, 0, len(text), WSPACE_SEP) == (0, value, neg, end)


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"+5",
        b"- 5",
        b"-",
        b"--5",
        b" 5",  # leading spaces are skipped by the caller, not here
        b"x1",
        b"08",  # octal 0, then the bad trailer 8
        b"0x",  # octal 0, trailer x
        b"0xg",
        b"12\r",
        b"12,",
        b"12abc",
        b"1.5",
        b"12\x00",
        b"000000000000000000001",  # exactly 21 characters, small value
        b"-00000000000000000001",  # the sign counts
        b"0x000000000000000000f",
        b"18446744073709551616",  # ULONG_MAX + 1
        b"0x10000000000000000",
        b"99999999999999999999",
        b"1234567890123456789012345",
    ],
)
def test_invalid_token_fails_with_einval(text: bytes) -> None:
    assert get_long(text, 0, len(text), WSPACE_SEP)[0] == EINVAL


def test_lone_minus_before_digit_at_end_of_input_is_not_a_sign() -> None:
    # "-" with *size == 1 does not set neg; the '-' itself is then not a digit.
    assert get_long(b"-", 0, 1, WSPACE_SEP)[0] == EINVAL
    assert get_long(b"-7", 0, 2, WSPACE_SEP)[:3] == (0, 7, True)


def test_simple_strtoul_legacy_wraps_instead_of_failing() -> None:
    text = b"18446744073709551617"  # 2**64 + 1
    assert get_long(text, 0, len(text), WSPACE_SEP)[0] == EINVAL
    assert get_long(text, 0, len(text), WSPACE_SEP, frozenset({SIMPLE_STRTOUL}))[:2] == (0, 1)


def test_trailer_set_is_per_handler() -> None:
    assert get_long(b"3-4", 0, 3, b"-,\n")[:4] == (0, 3, False, 1)
    assert get_long(b"3\x00", 0, 2, b",\n\x00")[0] == 0
    assert get_long(b"3-4", 0, 3, WSPACE_SEP)[0] == EINVAL


def test_only_the_window_end_counts_as_end_of_input() -> None:
    assert get_long(b"12x", 0, 2, WSPACE_SEP)[:2] == (0, 12)


def test_isspace_is_the_kernel_ctype_set() -> None:
    assert ISSPACE == frozenset(b" \t\n\v\f\r\xa0")
    assert skip_spaces(b" \t\n\v\f\r\xa05", 0, 8) == 7
    assert skip_spaces(b"\x1c5", 0, 2) == 0
