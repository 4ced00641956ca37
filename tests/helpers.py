"""Assertions shared by the test suite."""

from __future__ import annotations

import errno as errno_mod
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["assert_errno"]


def assert_errno(expected: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> OSError:
    """Call ``fn`` and check it raises ``OSError`` with errno ``expected``; returns the error."""
    with pytest.raises(OSError) as info:
        fn(*args, **kwargs)
    got = info.value.errno
    assert got == expected, f"expected {errno_mod.errorcode[expected]}, got {errno_mod.errorcode.get(got or 0, got)}"
    return info.value
