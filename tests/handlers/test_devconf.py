"""The devconf scope of a row (spec layer): which per-interface configuration a conf row
belongs to, and where its sibling rows are; the addrconf handlers use it instead of
searching keys."""

from __future__ import annotations

import errno

import pytest

from fakeproc.handlers import HANDLERS
from fakeproc.handlers.base import Request
from fakeproc.spec import DevconfScope, SysctlSpec, devconf_key
from tests.handlers.conftest import FakeEnv


@pytest.mark.parametrize(
    ("key", "scope"),
    [
        ("net.ipv6.conf.all.stable_secret", DevconfScope.ALL),
        ("net.ipv4.conf.default.rp_filter", DevconfScope.DEFAULT),
        ("net.ipv6.conf.<dev>.addr_gen_mode", DevconfScope.DEVICE),
        ("net.ipv4.conf.eth0/100.rp_filter", DevconfScope.DEVICE),
        ("net.ipv4.conf.lo.forwarding", DevconfScope.DEVICE),
        ("net.ipv4.neigh.default.gc_thresh1", None),
        ("net.ipv4.ip_forward", None),
        ("kernel.all.x", None),
    ],
)
def test_a_conf_rows_scope_is_the_configuration_it_is_registered_under(key: str, scope: DevconfScope | None) -> None:
    assert SysctlSpec(key=key, mode=0o644, handler="proc_dointvec").devconf is scope


@pytest.mark.parametrize(
    ("key", "scope", "sibling"),
    [
        ("net.ipv6.conf.eth0.addr_gen_mode", None, "net.ipv6.conf.eth0.stable_secret"),
        ("net.ipv6.conf.eth0/100.addr_gen_mode", None, "net.ipv6.conf.eth0/100.stable_secret"),
        ("net.ipv6.conf.eth0.addr_gen_mode", DevconfScope.DEFAULT, "net.ipv6.conf.default.stable_secret"),
        ("net.ipv4.conf.lo.forwarding", DevconfScope.ALL, "net.ipv4.conf.all.stable_secret"),
    ],
)
def test_a_sibling_row_is_found_in_the_same_or_the_named_configuration(
    key: str, scope: DevconfScope | None, sibling: str
) -> None:
    assert devconf_key(key, "stable_secret", scope) == sibling


@pytest.mark.parametrize(("key", "scope"), [("net.ipv4.ip_forward", None),
                                            ("net.ipv6.conf.eth0.mtu", DevconfScope.DEVICE)])
def test_there_is_no_sibling_outside_a_conf_table_or_in_an_unnamed_device(key: str, scope: DevconfScope | None) -> None:
    with pytest.raises(ValueError):
        devconf_key(key, "stable_secret", scope)


def test_the_procname_is_the_keys_last_component() -> None:
    assert SysctlSpec(key="net.ipv4.conf.eth0/100.rp_filter", mode=0o644, handler="x").procname == "rp_filter"


@pytest.mark.parametrize("configuration", ["all", "default", "<dev>"])
def test_only_the_all_configurations_stable_secret_refuses_every_access(configuration: str) -> None:
    spec = SysctlSpec(key=f"net.ipv6.conf.{configuration}.stable_secret", mode=0o600,
                      handler="addrconf_sysctl_stable_secret", maxlen=46)
    call = HANDLERS["addrconf_sysctl_stable_secret"].call
    res = call(Request(spec, b"", 0, b"fe80::1", 7, FakeEnv()))
    assert res.errno == (errno.EIO if configuration == "all" else 0)
