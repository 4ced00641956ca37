"""Write logs to logical writes, compared with the oracle in one call; reads that may fail."""

from __future__ import annotations

import errno
import os

import pytest

from fakeproc import Kernel
from fakeproc.testing import (
    Errno,
    applied_writes,
    apply_conf,
    assert_same_state,
    assert_writes,
    compare_writes,
    read_or_errno,
    read_state,
)


def test_a_short_write_and_its_continuation_are_one_logical_write():
    k = Kernel("6.18")
    f = k.open("abi.vsyscall32", os.O_WRONLY)
    assert f.write(b"0 #\n", 0) == 2                   # the kernel stops after "0 "
    assert f.write(b"#\n", 2) == 2                     # systemd's loop sends the rest at pos 2
    [w] = applied_writes(k)
    assert (w.key, w.data, w.count, w.errno, len(w.records)) == ("abi.vsyscall32", b"0 #\n", 4, 0, 2)


def test_writes_at_offset_zero_stay_separate_even_to_the_same_key():
    k = Kernel("6.18")
    k.write("vm.swappiness", "10\n")
    k.write("vm.swappiness", "20\n")
    assert [w.data for w in applied_writes(k)] == [b"10\n", b"20\n"]


def test_a_write_at_an_unrelated_offset_is_not_joined():
    k = Kernel("6.18")
    f = k.open("abi.vsyscall32", os.O_WRONLY)
    f.write(b"0 #\n", 0)
    f.write(b"#\n", 3)                                  # not where the consumed bytes ended
    assert [w.data for w in applied_writes(k)] == [b"0 #\n", b"#\n"]


def test_compare_writes_matches_the_oracles_report():
    k = Kernel("6.18")
    text = "vm.swappiness = 10\nkernel.hostname = box # kept\nnet.ipv4.ip_local_port_range = 1 2\n"
    report = apply_conf(k, text)
    apply_conf(k, text, in_place=True)                  # stands for the tool under test
    diff = compare_writes(k, report)
    assert diff.ok, str(diff)
    assert_writes(k, report)
    assert_writes(k, [("vm.swappiness", "10"), ("kernel.hostname", b"box # kept\n")])


def test_a_differing_write_gives_a_readable_diff():
    k = Kernel("6.18")
    k.write("vm.swappiness", "11\n")
    with pytest.raises(AssertionError) as info:
        assert_writes(k, [("vm.swappiness", "10")])
    text = str(info.value)
    assert "-vm.swappiness <- b'10\\n'" in text and "+vm.swappiness <- b'11\\n'" in text


def test_refused_writes_are_compared_only_when_asked():
    k = Kernel("6.18")
    with pytest.raises(OSError):
        k.write("vm.swappiness", "x\n")
    assert compare_writes(k, []).ok
    assert not compare_writes(k, [], failed=True).ok


def test_read_or_errno_gives_the_errno_of_a_refused_read():
    k = Kernel("6.18")
    assert read_or_errno(k, "net.ipv6.conf.lo.stable_secret") == Errno(errno.EIO)
    assert read_or_errno(k, "no.such.key") == Errno(errno.ENOENT)
    assert read_or_errno(k, "kernel.ostype") == "Linux\n"
    assert repr(Errno(errno.EIO)) == "Errno(EIO)"


def test_assert_same_state_lists_the_differing_keys():
    a, b = Kernel("6.18"), Kernel("6.18")
    keys = ["vm.swappiness", "net.ipv6.conf.lo.stable_secret"]
    assert_same_state(a, b, keys)
    b.write("vm.swappiness", "1")
    with pytest.raises(AssertionError, match=r"vm.swappiness: expected '1\\n', got '60\\n'"):
        assert_same_state(a, b, keys)
    assert read_state(a, keys)["net.ipv6.conf.lo.stable_secret"] == Errno(errno.EIO)
