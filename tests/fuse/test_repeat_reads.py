"""Repeat requests on one open file are answered without the handler where procfs's answer is known."""

from __future__ import annotations

import os

from fakeproc.model import Kernel
from fakeproc.serve import Session


class _NoHandler:
    """Stands in for an open file whose handler must not run again."""

    def read(self, size: int, pos: int = 0) -> bytes:
        raise AssertionError(f"handler called again (read {size} at {pos})")


def _session() -> Session:
    kernel = Kernel("6.18")
    return Session(kernel, fixed=kernel.init_ns)


def test_a_read_at_the_end_of_a_whole_output_is_eof_without_the_handler():
    s = _session()
    fh = s.open((0, 0, 0), "kernel/sem", os.O_RDONLY)
    assert s.read(fh, 4096, 0) == b"32000\t1024000000\t500\t32000\n"
    s.open_files[fh] = _NoHandler()  # type: ignore[assignment]
    assert s.read(fh, 4096, 27) == b""
    assert s.read(fh, 4096, 1000) == b""


def test_a_short_first_read_leaves_later_reads_to_the_handler():
    s = _session()
    fh = s.open((0, 0, 0), "kernel/ostype", os.O_RDONLY)
    assert s.read(fh, 3, 0) == b"Lin"
    assert fh not in s.read_ends
    s.release(fh)


def test_a_write_on_the_same_file_makes_the_next_read_ask_the_handler():
    s = _session()
    fh = s.open((0, 0, 0), "kernel/hostname", os.O_RDWR)
    first = s.read(fh, 4096, 0)
    s.write(fh, b"a-much-longer-hostname\n", 0)
    assert s.read(fh, 4096, len(first)) == b"a-much-longer-hostname\n"[len(first):]
    s.release(fh)
    assert fh not in s.read_ends
