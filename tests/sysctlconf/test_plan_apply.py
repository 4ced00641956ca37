"""What the tools write, in order, and what they report."""

from __future__ import annotations

import errno

import pytest

from fakeproc import Kernel
from fakeproc.sysctlconf import apply, parse, plan

KEYS = ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter", "net.ipv4.conf.eth0.rp_filter",
        "net.ipv4.conf.eth0/100.rp_filter", "net.ipv4.conf.lo.rp_filter", "kernel.hostname"]

SYNOPSIS = ("net.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n"
            "-net.ipv4.conf.all.rp_filter\nnet.ipv4.conf.lo.rp_filter = 1\n")


@pytest.mark.parametrize("dialect", ["procps", "systemd"])
def test_sysctl_d_man_page_example(dialect):
    writes = plan(parse(SYNOPSIS, dialect), KEYS)
    # procps glob() sorts whole paths ('.' < '/'); systemd walks directories in readdir order.
    vlan_first = dialect == "procps"
    eth = [("net.ipv4.conf.eth0.rp_filter", "2"), ("net.ipv4.conf.eth0/100.rp_filter", "2")]
    assert [(w.key, w.value) for w in writes] == [
        ("net.ipv4.conf.default.rp_filter", "2"),
        *(eth[::-1] if vlan_first else eth),
        ("net.ipv4.conf.lo.rp_filter", "1"),
    ]


def test_procps_writes_duplicates_in_file_order():
    writes = plan(parse("kernel.hostname = a\nkernel.hostname = b\nkernel.hostname = a\n"), KEYS)
    assert [w.value for w in writes] == ["a", "b", "a"]


def test_systemd_later_different_value_moves_to_the_end():
    doc = parse("kernel.hostname = a\nnet.ipv4.conf.lo.rp_filter = 1\nkernel.hostname = b\n", "systemd")
    assert [(w.path, w.value) for w in plan(doc, KEYS)] == [
        ("net/ipv4/conf/lo/rp_filter", "1"), ("kernel/hostname", "b")]


def test_systemd_same_value_keeps_first_position_and_merges_minus():
    doc = parse("kernel.hostname = a\nnet.ipv4.conf.lo.rp_filter = 1\n-kernel.hostname = a\n", "systemd")
    writes = plan(doc, KEYS)
    assert [w.path for w in writes] == ["kernel/hostname", "net/ipv4/conf/lo/rp_filter"]
    assert writes[0].ignore_failure


def test_systemd_exclusion_after_assignment_cancels_it():
    doc = parse("kernel.hostname = a\n-kernel.hostname\n", "systemd")
    assert plan(doc, KEYS) == []


def test_procps_exclusion_is_a_pattern_systemd_is_exact():
    text = "net.ipv4.conf.*.rp_filter = 1\n-net.ipv4.conf.eth*.rp_filter\n"
    assert [w.key for w in plan(parse(text), KEYS)] == [
        "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter", "net.ipv4.conf.lo.rp_filter"]
    assert len(plan(parse(text, "systemd"), KEYS)) == 5


@pytest.mark.parametrize("dialect", ["procps", "systemd"])
def test_unmatched_glob_writes_nothing(dialect):
    # procps: glob() fails; systemd: GLOB_NOCHECK returns the pattern, which is itself an entry.
    assert plan(parse("net.ipv6.conf.*.x = 1\n", dialect), KEYS) == []


def test_procps_explicit_key_in_a_later_file_overrides_glob():
    docs = [parse("net.ipv4.conf.*.rp_filter = 2\n", filename="a"), parse("net.ipv4.conf.lo.rp_filter = 0\n",
                                                                         filename="b")]
    assert [(w.key, w.value) for w in plan(docs, KEYS)][-1] == ("net.ipv4.conf.lo.rp_filter", "0")
    assert ("net.ipv4.conf.lo.rp_filter", "2") not in [(w.key, w.value) for w in plan(docs, KEYS)]


def test_write_data_is_value_and_newline():
    assert plan(parse("kernel.hostname = box\n"), KEYS)[0].data == b"box\n"


class TestApplyProcps:
    def test_echo_and_errors(self):
        k = Kernel("6.18")
        text = ("kernel.hostname = box\nnet.ipv4.ip_local_port_range = 1000 2000\nno.such.key = 1\n"
                "kernel.ostype = x\n-kernel.ostype = y\n")
        r = apply(k, parse(text, filename="/etc/sysctl.conf"))
        assert r.stdout == ("kernel.hostname = box",)
        assert r.stderr == (
            'sysctl: setting key "net.ipv4.ip_local_port_range": Invalid argument',
            "sysctl: cannot stat /proc/sys/no/such/key: No such file or directory",
            'sysctl: setting key "kernel.ostype": Operation not permitted',
            'sysctl: setting key "kernel.ostype": Operation not permitted',
        )
        assert r.exit_status == 1
        assert k.read("kernel.hostname") == "box\n"
        assert [o.errno for o in r.outcomes] == [0, errno.EINVAL, errno.ENOENT, errno.EPERM, errno.EPERM]

    def test_system_prints_applying_lines_and_ignores_unknown_keys(self):
        k = Kernel("6.18")
        docs = [parse("no.such = 1\n", filename="/etc/sysctl.d/a.conf"),
                parse("kernel.domainname = x\n", filename="/etc/sysctl.conf")]
        r = apply(k, docs, system=True)
        assert r.stdout == ("* Applying /etc/sysctl.d/a.conf ...", "* Applying /etc/sysctl.conf ...",
                            "kernel.domainname = x")
        assert r.exit_status == 0 and r.stderr == ()

    def test_vlan_key_is_echoed_with_slash(self):
        k = Kernel("6.18")
        k.add_device(k.init_ns, "eth0.100")
        r = apply(k, parse("net/ipv4/conf/eth0.100/rp_filter = 2\n"))
        assert r.stdout == ("net.ipv4.conf.eth0/100.rp_filter = 2",)
        assert k.read("net.ipv4.conf.eth0/100.rp_filter") == "2\n"

    def test_write_log_records_value_and_newline(self):
        k = Kernel("6.18")
        k.clear_write_log()
        apply(k, parse("vm.swappiness = 10\n"))
        assert [(w.key, w.data) for w in k.write_log] == [("vm.swappiness", b"10\n")]


class TestApplySystemd:
    def test_unchanged_values_are_not_written(self):
        k = Kernel("6.18")
        k.clear_write_log()
        r = apply(k, parse("vm.swappiness = 60\nvm.overcommit_memory = 1\n", "systemd"))
        assert [o.status for o in r.outcomes] == ["unchanged", "written"]
        assert [w.key for w in k.write_log] == ["vm.overcommit_memory"]

    def test_permission_and_missing_keys_do_not_fail_but_einval_does(self):
        k = Kernel("6.18")
        text = "kernel.ostype = x\nno.such = 1\nnet.ipv4.ip_local_port_range = 1000 2000\n"
        r = apply(k, parse(text, "systemd"))
        assert [o.status for o in r.outcomes] == ["ignored", "ignored", "failed"]
        assert r.stderr[-1] == "Couldn't write '1000 2000' to 'net/ipv4/ip_local_port_range': Invalid argument"
        assert r.exit_status == 1

    def test_minus_prefix_ignores_any_failure(self):
        r = apply(Kernel("6.18"), parse("-net.ipv4.ip_local_port_range = 1000 2000\n", "systemd"))
        assert r.exit_status == 0 and r.outcomes[0].status == "ignored"

    def test_parse_errors_fail_the_run(self):
        r = apply(Kernel("6.18"), parse("bogus\n", "systemd"))
        assert r.exit_status == 1
