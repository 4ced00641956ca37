"""Reading a caller's path argument answers as the kernel's getname does (fs/namei.c)."""

from __future__ import annotations

import ctypes
import errno
import mmap
import os

import pytest

from fakeproc.backends.seccomp._memory import PAGE, PATH_MAX, Memory

OFFSETS = (0, 100, PAGE - 96)


def _string_at(offset: int, data: bytes) -> tuple[mmap.mmap, int]:
    """``data`` at ``offset`` into three fresh pages of this process; the map and the address."""
    m = mmap.mmap(-1, 3 * PAGE)
    m[offset:offset + len(data)] = data
    return m, ctypes.addressof(ctypes.c_char.from_buffer(m)) + offset


@pytest.mark.parametrize("offset", OFFSETS)
def test_a_name_of_path_max_minus_one_bytes_is_read_whole(offset: int) -> None:
    m, addr = _string_at(offset, b"a" * (PATH_MAX - 1) + b"\0")
    assert Memory().read_path(os.getpid(), addr) == b"a" * (PATH_MAX - 1)
    del m


@pytest.mark.parametrize("length", (PATH_MAX, PATH_MAX + 54))
@pytest.mark.parametrize("offset", OFFSETS)
def test_no_nul_within_path_max_bytes_is_enametoolong_wherever_the_string_starts(offset: int, length: int) -> None:
    m, addr = _string_at(offset, b"a" * length + b"\0")
    with pytest.raises(OSError) as e:
        Memory().read_path(os.getpid(), addr)
    assert e.value.errno == errno.ENAMETOOLONG
    del m
