"""Namespace creation rules and isolation, as the 6.18 and 4.15 kernels create namespaces."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakeproc import Kernel
from fakeproc.profiles.loader import available_profiles
from tests.helpers import assert_errno

SEM_DEFAULT = "32000\t1024000000\t500\t32000\n"


@pytest.fixture(scope="module", params=available_profiles())
def profile_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_new_ipc_ns_starts_with_compile_default_sem_whatever_the_parent_holds(profile_name: str) -> None:
    k = Kernel(profile_name)
    k.write("kernel.sem", "33000 1024000000 500 32000")
    child = k.unshare(k.init_ns, ipc=True)
    assert k.read("kernel.sem", ns=child) == SEM_DEFAULT
    assert k.read("kernel.sem") == "33000\t1024000000\t500\t32000\n"


def test_new_ipc_ns_of_a_child_also_starts_from_compile_defaults() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, ipc=True)
    k.write("kernel.shmmni", "100", ns=child)
    grandchild = k.unshare(child, ipc=True)
    assert k.read("kernel.shmmni", ns=grandchild) == "4096\n"
    assert k.read("kernel.shmmni", ns=child) == "100\n"


def test_new_uts_ns_copies_the_parents_hostname_at_creation() -> None:
    k = Kernel("6.18")
    k.write("kernel.hostname", "node-1")
    child = k.unshare(k.init_ns, uts=True)
    assert k.read("kernel.hostname", ns=child) == "node-1\n"
    k.write("kernel.hostname", "renamed")
    assert k.read("kernel.hostname", ns=child) == "node-1\n"
    k.write("kernel.hostname", "pod", ns=child)
    assert k.read("kernel.hostname") == "renamed\n"


def test_new_user_ns_gives_every_user_max_entry_int_max() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, user=True, owner_uid=1000, owner_gid=1000)
    user_keys = [key for key in k.keys(child) if key.startswith("user.")]
    assert len(user_keys) == 12
    assert {k.read(key, ns=child) for key in user_keys} == {"2147483647\n"}
    assert k.read("user.max_user_namespaces") != "2147483647\n"


def test_new_net_ns_has_only_lo_and_no_init_only_entries() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, net=True)
    assert k.listdir("net/ipv4/conf", ns=child) == ["all", "default", "lo"]
    assert k.listdir("net/ipv4/conf") == ["all", "default", "eth0", "ifb0", "ifb1", "lo"]
    assert not k.exists("net.core.netdev_max_backlog", ns=child)
    assert k.exists("net.core.netdev_max_backlog")
    assert_errno(errno.ENOENT, k.read, "net.ipv4.tcp_mem", ns=child)
    assert len([key for key in k.keys(child) if key.startswith("net.")]) == 584
    assert len([key for key in k.keys(k.init_ns) if key.startswith("net.")]) == 1078


def test_new_net_ns_gets_compile_default_somaxconn_not_the_parents(profile_name: str) -> None:
    k = Kernel(profile_name)
    k.write("net.core.somaxconn", "1000")
    child = k.unshare(k.init_ns, net=True)
    expected = "128\n" if profile_name == "4.15" else "4096\n"  # SOMAXCONN 128 -> 4096 in 5.4 (socket.h)
    assert k.read("net.core.somaxconn", ns=child) == expected


def test_new_net_ns_copies_tcp_rmem_from_init_net() -> None:
    k = Kernel("6.18")
    k.write("net.ipv4.tcp_rmem", "4096 65536 1000000")
    middle = k.unshare(k.init_ns, net=True)
    k.write("net.ipv4.tcp_rmem", "8192 8192 8192", ns=middle)
    child = k.unshare(middle, net=True)
    assert k.read("net.ipv4.tcp_rmem", ns=child) == "4096\t65536\t1000000\n"


def test_new_net_ns_inherits_ipv4_conf_all_from_init_net_by_default() -> None:
    k = Kernel("6.18")
    k.write("net.ipv4.conf.all.rp_filter", "2")
    k.write("net.ipv6.conf.all.hop_limit", "32")
    child = k.unshare(k.init_ns, net=True)
    assert k.read("net.ipv4.conf.all.rp_filter", ns=child) == "2\n"
    # IPv6 uses the compiled defaults for devconf_inherit_init_net=0 (addrconf_init_net).
    assert k.read("net.ipv6.conf.all.hop_limit", ns=child) == "64\n"


@pytest.mark.parametrize(
    ("devconf", "v4", "v6"),
    [("0", "2", "64"), ("1", "2", "32"), ("2", "0", "64"), ("3", "1", "16")],
)
def test_devconf_inherit_init_net_selects_where_conf_all_comes_from(devconf: str, v4: str, v6: str) -> None:
    k = Kernel("6.18")
    k.write("net.ipv4.conf.all.rp_filter", "2")
    k.write("net.ipv6.conf.all.hop_limit", "32")
    parent = k.unshare(k.init_ns, net=True)
    k.write("net.ipv4.conf.all.rp_filter", "1", ns=parent)
    k.write("net.ipv6.conf.all.hop_limit", "16", ns=parent)
    k.write("net.core.devconf_inherit_init_net", devconf)
    child = k.unshare(parent, net=True)
    assert k.read("net.ipv4.conf.all.rp_filter", ns=child) == f"{v4}\n"
    assert k.read("net.ipv6.conf.all.hop_limit", ns=child) == f"{v6}\n"


def test_lo_in_a_new_net_ns_has_the_loopback_specific_values() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, net=True)
    assert k.read("net.ipv4.conf.lo.disable_policy", ns=child) == "1\n"
    assert k.read("net.ipv6.conf.lo.mtu", ns=child) == "65536\n"


def test_new_device_copies_conf_default_of_its_namespace() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, net=True)
    k.write("net.ipv4.conf.default.rp_filter", "2", ns=child)
    k.add_device(child, "eth0.100")
    assert k.read("net.ipv4.conf.eth0/100.rp_filter", ns=child) == "2\n"
    assert k.read("net/ipv4/conf/eth0.100/rp_filter", ns=child) == "2\n"
    assert "eth0.100" in k.listdir("net/ipv4/conf", ns=child)
    assert not k.exists("net.ipv4.conf.eth0/100.rp_filter")


def test_global_entries_are_shared_by_every_namespace() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, ipc=True, net=True, uts=True, user=True)
    k.write("vm.swappiness", "10", ns=k.init_ns)
    assert k.read("vm.swappiness", ns=child) == "10\n"


@given(st.lists(st.sampled_from(["ipc", "net", "uts"]), min_size=1, max_size=3, unique=True),
       st.integers(min_value=0, max_value=32768))
def test_a_write_in_one_namespace_is_never_visible_in_a_sibling(types: list[str], value: int) -> None:
    k = Kernel("6.18")
    flags = {t: True for t in types}
    a = k.unshare(k.init_ns, **flags)
    b = k.unshare(k.init_ns, **flags)
    probes = {"ipc": "kernel.shmmni", "net": "net.core.somaxconn", "uts": "kernel.domainname"}
    for t in types:
        before_b = k.read(probes[t], ns=b)
        before_init = k.read(probes[t])
        k.write(probes[t], str(value), ns=a)
        assert k.read(probes[t], ns=a) == f"{value}\n"
        assert k.read(probes[t], ns=b) == before_b
        assert k.read(probes[t]) == before_init


def test_an_untouched_namespace_stores_nothing() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, ipc=True, uts=True)
    assert child.ipc.values == {} and child.ipc.base == {}
    assert child.uts.values == {}


def test_labelled_namespaces_can_be_found_and_dropped() -> None:
    k = Kernel("6.18")
    pod = k.unshare(k.init_ns, ipc=True, net=True, uts=True, label="pod/default/web")
    assert k.namespace_by_label("pod/default/web") == pod
    k.drop_namespaces(pod)
    assert k.namespace_by_label("pod/default/web") is None


def test_ip_forward_is_conf_all_forwarding_and_propagates_to_every_device() -> None:
    k = Kernel("6.18")
    k.write("net.ipv4.ip_forward", "1")
    assert k.read("net.ipv4.conf.all.forwarding") == "1\n"
    assert k.read("net.ipv4.conf.default.forwarding") == "1\n"
    assert k.read("net.ipv4.conf.eth0.forwarding") == "1\n"
    assert k.read("net.ipv4.conf.all.accept_redirects") == "0\n"
    k.write("net.ipv4.conf.all.forwarding", "0")
    assert k.read("net.ipv4.ip_forward") == "0\n"
    assert k.read("net.ipv4.conf.lo.forwarding") == "0\n"


def test_ipv4_conf_default_write_reaches_devices_that_never_set_their_own() -> None:
    k = Kernel("6.18")
    k.write("net.ipv4.conf.eth0.rp_filter", "1")
    k.write("net.ipv4.conf.default.rp_filter", "2")
    assert k.read("net.ipv4.conf.ifb0.rp_filter") == "2\n"
    assert k.read("net.ipv4.conf.eth0.rp_filter") == "1\n"


def test_ipv6_conf_all_forwarding_sets_default_and_devices() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, net=True)
    k.write("net.ipv6.conf.all.forwarding", "1", ns=child)
    assert k.read("net.ipv6.conf.default.forwarding", ns=child) == "1\n"
    assert k.read("net.ipv6.conf.lo.forwarding", ns=child) == "1\n"
    assert k.read("net.ipv6.conf.lo.forwarding") == "0\n"


def test_rmem_max_is_one_global_value_read_only_in_a_child_netns() -> None:
    k = Kernel("6.18")
    child = k.unshare(k.init_ns, net=True)
    k.write("net.core.rmem_max", "1000000")
    assert k.read("net.core.rmem_max", ns=child) == "1000000\n"
    assert k.stat("net/core/rmem_max", ns=child).mode & 0o777 == 0o444
    assert k.stat("net/core/rmem_max").mode & 0o777 == 0o644
    assert_errno(errno.EACCES, k.write, "net.core.rmem_max", "5000", ns=child)
