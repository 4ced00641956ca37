"""``SysctlFile`` checks the permission of the process making each read or write, as
``proc_sys_call_handler`` does (``sysctl_perm`` at every call, EPERM), not only the opener's.

On Linux 6.18 a root process that opens ``kernel/msgmax`` for writing and then drops to uid 65534
(or hands the descriptor to such a process) gets EPERM from ``write(2)``, measured in a throwaway
IPC namespace (tests/fidelity/test_syscalls_backends.py, ``write_after_dropping_to_plain_uid``).
"""

from __future__ import annotations

import errno
import os

import pytest

from fakeproc import Kernel
from fakeproc.model import Caller
from tests.helpers import assert_errno

PLAIN = Caller(uid=65534, gid=65534)


def test_a_write_is_refused_with_eperm_when_the_writer_may_not_write_although_the_opener_could():
    k = Kernel("6.18")
    f = k.open("kernel.msgmax", os.O_RDWR)  # root opens
    assert_errno(errno.EPERM, f.write, b"777\n", 0, PLAIN)  # ... a uid-65534 process writes
    assert k.read("kernel.msgmax") == "8192\n"
    assert f.write(b"777\n", 0, Caller()) == 4  # root itself still may
    assert k.read("kernel.msgmax") == "777\n"


def test_a_read_is_refused_with_eperm_when_the_reader_may_not_read_although_the_opener_could():
    k = Kernel("6.18")
    f = k.open("net.ipv4.tcp_fastopen_key", os.O_RDONLY)  # 0600
    assert_errno(errno.EPERM, f.read, 100, 0, PLAIN)
    assert f.read(100, 0, Caller()) == k.read("net.ipv4.tcp_fastopen_key").encode()
    g = k.open("kernel.msgmax", os.O_RDONLY)
    assert g.read(100, 0, PLAIN) == b"8192\n"  # 0644: others may read


def test_the_handler_sees_the_process_making_the_call_not_the_opener():
    k = Kernel("6.18")
    f = k.open("kernel.ns_last_pid", os.O_RDWR)  # 0666: anyone may open it ...
    assert_errno(errno.EPERM, f.write, b"5\n", 0, PLAIN)  # ... but the handler wants CAP_CHECKPOINT_RESTORE
    assert f.write(b"5\n", 0, Caller()) == 2


@pytest.mark.parametrize(("pos", "size"), [(-1, 10), ((1 << 63) - 1, 100), ((1 << 63) - 100, 101)])
def test_a_read_or_write_whose_area_overflows_the_file_offset_is_einval(pos, size):
    # rw_verify_area (fs/read_write.c): pread(fd, buf, 100, 2**63 - 1) is EINVAL on 6.18.
    f = Kernel("6.18").open("kernel.msgmax", os.O_RDWR)
    assert_errno(errno.EINVAL, f.read, size, pos)
    assert_errno(errno.EINVAL, f.write, b"1" * size, pos)


def test_a_read_ending_exactly_at_the_largest_offset_is_empty():
    f = Kernel("6.18").open("kernel.ostype", os.O_RDONLY)
    assert f.read(100, (1 << 63) - 101) == b""
