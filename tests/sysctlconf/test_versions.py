"""The oracle follows the tools' releases: procps 4.0.2 / 4.0.4 / 4.0.5 / 4.0.6+, systemd 252 / 254+."""

from __future__ import annotations

import errno

import pytest

from fakeproc import Kernel
from fakeproc.sysctlconf import apply, dialect_for, parse, plan
from fakeproc.testing import apply_conf, installed_version, resolve_dialect

READ_ONLY = "kernel.ostype = Linux\n"


@pytest.mark.parametrize("dialect,message,status,rc", [
    ("procps", 'sysctl: setting key "kernel.ostype": Operation not permitted', "failed", 1),
    ("procps-4.0.5", 'sysctl: setting key "kernel.ostype": Operation not permitted', "ignored", 0),
    ("procps-4.0.4", 'sysctl: setting key "kernel.ostype": Operation not permitted', "ignored", 0),
    # 4.0.0-4.0.3 print a leftover errno; Debian 12's 4.0.2 shows EINVAL's text.
    ("procps-4.0.2", 'sysctl: setting key "kernel.ostype": Invalid argument', "ignored", 0),
])
def test_a_read_only_key_is_an_error_only_from_procps_4_0_6(dialect, message, status, rc):
    report = apply(Kernel("6.18"), parse(READ_ONLY, dialect))
    assert report.stderr == (message,) and report.exit_status == rc
    assert [(o.status, o.errno) for o in report.outcomes] == [(status, errno.EPERM)]
    assert report.stdout == ()


@pytest.mark.parametrize("dialect,written", [
    ("procps", ["net/ipv4/conf/eth0/rp_filter"]),
    ("procps-4.0.5", ["net/ipv4/conf/eth0/rp_filter"]),
    ("procps-4.0.4", ["net/ipv4/conf/all/rp_filter", "net/ipv4/conf/eth0/rp_filter"]),
    ("procps-4.0.2", ["net/ipv4/conf/all/rp_filter", "net/ipv4/conf/eth0/rp_filter"]),
])
def test_glob_exclusions_match_as_patterns_from_procps_4_0_5(dialect, written):
    doc = parse("net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.a*.rp_filter\n", dialect)
    keys = ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.eth0.rp_filter"]
    assert [w.path for w in plan(doc, keys)] == written


def test_systemd_252_takes_semicolon_lines_as_comments_and_254_does_not():
    assert parse("; x\n", "systemd-252").errors == ()
    assert parse("; x\n", "systemd").errors[0].line == 1


@pytest.mark.parametrize("tool,version,dialect", [
    ("procps", (4, 0, 0), "procps-4.0.2"), ("procps", (4, 0, 3), "procps-4.0.2"),
    ("procps", (4, 0, 4), "procps-4.0.4"), ("procps", (4, 0, 5), "procps-4.0.5"),
    ("procps", (4, 0, 6), "procps"), ("procps", (4, 1), "procps"), ("procps", None, "procps"),
    ("systemd", (252,), "systemd-252"), ("systemd", (253,), "systemd-252"), ("systemd", (254,), "systemd"),
])
def test_dialect_for_a_release(tool, version, dialect):
    assert dialect_for(tool, version) == dialect


def test_tool_names_follow_the_environment_then_the_installed_binary(monkeypatch):
    monkeypatch.setenv("FAKEPROC_PROCPS_VERSION", "4.0.2")
    monkeypatch.setenv("FAKEPROC_SYSTEMD_VERSION", "256")
    assert installed_version("procps") == (4, 0, 2)
    assert resolve_dialect("procps") == "procps-4.0.2" and resolve_dialect("systemd") == "systemd"
    assert apply_conf("6.18", READ_ONLY).exit_status == 0
    monkeypatch.setenv("FAKEPROC_PROCPS_VERSION", "4.0.7")
    assert apply_conf("6.18", READ_ONLY).exit_status == 1
    assert apply_conf("6.18", READ_ONLY, "procps-4.0.2").exit_status == 0


def test_exact_releases_and_unknown_names():
    assert resolve_dialect("procps-4.0.6") == "procps" and resolve_dialect("systemd-252") == "systemd-252"
    with pytest.raises(ValueError, match="busybox"):
        resolve_dialect("busybox")
