"""procfs checks the *calling* process's permission at every read and write, not only at open
(fs/proc/proc_sysctl.c proc_sys_call_handler -> sysctl_perm: EPERM); the session does too."""

from __future__ import annotations

import errno
import os

import pytest

from fakeproc.model import Kernel
from fakeproc.serve import Identity, Session

ROOT_CTX = (0, 0, 1)
PLAIN_CTX = (65534, 65534, 1)


def _session() -> tuple[Session, Kernel]:
    kernel = Kernel("6.18")
    return Session(kernel, fixed=kernel.init_ns, identity=Identity(0, 0)), kernel


def test_a_0600_file_opened_by_root_is_refused_to_a_plain_reader_with_eperm():
    s, _ = _session()
    fh = s.open(ROOT_CTX, "net/ipv4/tcp_fastopen_key", os.O_RDONLY)
    with pytest.raises(OSError) as e:
        s.read(fh, 100, 0, ctx=PLAIN_CTX)
    assert e.value.errno == errno.EPERM
    assert len(s.read(fh, 100, 0, ctx=ROOT_CTX)) > 0


def test_a_write_after_dropping_to_a_plain_uid_is_eperm_and_changes_nothing():
    s, kernel = _session()
    fh = s.open(ROOT_CTX, "kernel/msgmax", os.O_RDWR)
    assert s.write(fh, b"8192\n", 0, ctx=ROOT_CTX) == 5
    with pytest.raises(OSError) as e:
        s.write(fh, b"777\n", 0, ctx=PLAIN_CTX)
    assert e.value.errno == errno.EPERM
    assert kernel.read("kernel.msgmax") == "8192\n"


def test_a_reader_that_passed_is_not_thereby_allowed_to_write():
    s, _ = _session()
    fh = s.open(ROOT_CTX, "kernel/msgmax", os.O_RDWR)
    assert s.read(fh, 100, 0, ctx=PLAIN_CTX) == b"8192\n"  # 0644: others may read
    with pytest.raises(OSError) as e:
        s.write(fh, b"1\n", 0, ctx=PLAIN_CTX)
    assert e.value.errno == errno.EPERM
    assert s.write(fh, b"9000\n", 0, ctx=ROOT_CTX) == 5  # the opener still may


def test_the_opener_is_remembered_so_its_reads_need_no_new_check():
    s, _ = _session()
    fh = s.open(ROOT_CTX, "kernel/ostype", os.O_RDONLY)
    before = dict(s.checked)
    assert s.read(fh, 100, 0, ctx=ROOT_CTX) == b"Linux\n"
    assert s.checked == before
    s.release(fh)
    assert fh not in s.checked
