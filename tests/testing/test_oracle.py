"""The oracle answers without side effects."""

from __future__ import annotations

import errno

from fakeproc import Kernel
from fakeproc.testing import (
    accepts,
    apply_conf,
    check_write,
    conf_writes,
    parse_conf,
    read_back,
    system_precedence,
    write_log,
)


def test_check_write_leaves_the_kernel_unchanged():
    k = Kernel("6.18")
    k.clear_write_log()
    v = check_write(k, "vm.swappiness", "10")
    assert v.accepted and v.before == "60\n" and v.read_back == "10\n"
    assert k.read("vm.swappiness") == "60\n" and len(k.write_log) == 0


def test_check_write_in_a_namespace():
    k = Kernel("6.18")
    pod = k.unshare(k.init_ns, ipc=True)
    k.write("kernel.shmmni", "100", ns=pod)
    v = check_write(k, "kernel.shmmni", "200", ns=pod)
    assert v.before == "100\n" and v.read_back == "200\n"
    assert k.read("kernel.shmmni", ns=pod) == "100\n"


def test_short_write_and_partial_vector():
    v = check_write("6.18", "kernel.sem", "1 2 3 40000")
    assert v.errno == errno.ERANGE and v.read_back == "1\t2\t3\t32000\n"
    s = check_write("6.18", "vm.swappiness", "5 x")
    assert s.short and s.count == 2


def test_accepts_and_read_back():
    assert not accepts("6.18", "net.ipv4.tcp_syncookies", "256")
    assert read_back("6.18", "net.ipv4.tcp_keepalive_intvl", "10") == "10\n"


def test_read_back_raises_with_the_errno():
    try:
        read_back("6.18", "vm.swappiness", "abc")
    except OSError as e:
        assert e.errno == errno.EINVAL
    else:  # pragma: no cover
        raise AssertionError("no error")


def test_conf_oracles():
    k = Kernel("6.18")
    doc = parse_conf("kernel.hostname = box\r\n; c\n", "systemd-254")
    assert doc.errors[0].line == 2
    first = conf_writes(k, "net.ipv4.conf.*.rp_filter = 2\n")[0]
    assert (first.key, first.value) == ("net.ipv4.conf.all.rp_filter", "2")
    report = apply_conf(k, "vm.swappiness = 1\n")
    assert report.stdout == ("vm.swappiness = 1",) and k.read("vm.swappiness") == "60\n"
    apply_conf(k, "vm.swappiness = 1\n", in_place=True)
    assert k.read("vm.swappiness") == "1\n"
    assert write_log(k).keys() == ["vm.swappiness"]


def test_system_precedence_from_a_listing():
    files = system_precedence({"/etc/sysctl.d": ["a.conf"], "/usr/lib/sysctl.d": ["a.conf", "b.conf"]}, "systemd")
    assert [(f.path, f.shadows) for f in files] == [("/etc/sysctl.d/a.conf", ("/usr/lib/sysctl.d/a.conf",)),
                                                   ("/usr/lib/sysctl.d/b.conf", ())]
