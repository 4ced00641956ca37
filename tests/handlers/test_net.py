"""Network handlers: port ranges, ping_group_range, stable_secret, tcp_congestion_control."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

EINVAL = errno.EINVAL


def net_env(**kw: object) -> FakeEnv:
    env = FakeEnv(**kw)  # type: ignore[arg-type]
    env.values.update(
        {
            "net.ipv4.ip_unprivileged_port_start": (1024,),
            "net.ipv4.ip_local_port_range": (32768, 60999),
            "net.ipv4.tcp_available_congestion_control": b"reno cubic",
        }
    )
    return env


def port_range(env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl(
        "ipv4_local_port_range",
        (32768, 60999),
        env or net_env(),
        key="net.ipv4.ip_local_port_range",
        length=2,
        min_key="net.ipv4.ip_unprivileged_port_start",  # the profile row's cross-key bound
    )


def test_port_range_reads_tab_separated() -> None:
    assert port_range().cat() == b"32768\t60999\n"
    assert port_range().read(3).output == b"327"


@pytest.mark.parametrize(
    "text",
    [b"1000 60999", b"40000 30000", b"0 60999", b"40000 65536", b"40000 x", b"", b"-1 5"],
)
def test_invalid_port_range_fails_with_einval_and_changes_nothing(text: bytes) -> None:
    s = port_range()
    assert (s.write(text) if text else s.write(b"\n")).errno == EINVAL
    assert s.value == (32768, 60999)


def test_second_element_error_leaves_first_unchanged_atomically() -> None:
    s = port_range()
    assert s.write(b"40000 70000").errno == EINVAL
    assert s.value == (32768, 60999)


def test_one_number_changes_only_the_low_bound() -> None:
    s = port_range()
    assert s.echo(b"40000") == 0 and s.value == (40000, 60999)
    assert s.write(b"61000").errno == EINVAL and s.value == (40000, 60999)


def test_low_bound_may_equal_unprivileged_port_start_and_parity_warns() -> None:
    env = net_env()
    s = port_range(env)
    assert s.echo(b"1024 65534") == 0 and s.value == (1024, 65534)
    assert any("parity" in line for line in env.logs)


def test_unprivileged_port_start_must_not_exceed_local_range_low() -> None:
    env = net_env()
    s = make_sysctl("ipv4_privileged_ports", (1024,), env, key="net.ipv4.ip_unprivileged_port_start",
                    max_key="net.ipv4.ip_local_port_range")
    assert s.echo(b"32768") == 0 and s.value == (32768,)
    assert s.write(b"32769").errno == EINVAL and s.value == (32768,)
    assert s.write(b"65536").errno == EINVAL
    assert s.echo(b"0") == 0 and s.value == (0,)


def ping(env: FakeEnv | None = None) -> Sysctl:
    return make_sysctl(
        "ipv4_ping_group_range", (1, 0), env or net_env(), key="net.ipv4.ping_group_range", length=2
    )


def test_ping_group_range_default_reads_1_0() -> None:
    assert ping().cat() == b"1\t0\n"


def test_ping_group_range_accepts_full_gid_range() -> None:
    s = ping()
    assert s.echo(b"0 4294967294") == 0 and s.value == (0, 4294967294)
    assert s.write(b"0 4294967295").errno == EINVAL and s.value == (0, 4294967294)


def test_ping_group_range_high_below_low_resets_to_disabled() -> None:
    s = ping()
    assert s.echo(b"100 50") == 0 and s.value == (1, 0)


def test_ping_group_range_unmapped_gid_fails_with_einval() -> None:
    env = net_env(gid_map=((0, 0, 1000),))
    s = ping(env)
    assert s.write(b"0 2000").errno == EINVAL and s.value == (1, 0)
    assert s.echo(b"0 999") == 0 and s.value == (0, 999)


def test_ping_group_range_shows_unmapped_kgid_as_overflowgid() -> None:
    s = ping(net_env(gid_map=((0, 0, 1),)))
    assert s.cat() == b"65534\t0\n"


def test_ping_group_range_stores_kernel_gids_and_shows_them_as_the_reader_maps_them() -> None:
    # A container made by `unshare -r` as uid/gid 1001: inside gid 0 is kernel gid 1001.
    container = net_env(gid_map=((0, 1001, 1),))
    s = ping(container)
    assert s.cat() == b"65534\t65534\n"  # kernel gids 1 and 0 are not mapped inside
    assert s.write(b"65534 65534").errno == EINVAL and s.value == (1, 0)
    assert s.echo(b"0 0") == 0 and s.value == (1001, 1001)
    assert s.cat() == b"0\t0\n"
    s.env = net_env()
    assert s.cat() == b"1001\t1001\n"


def test_ping_group_range_accepts_gids_above_int_max_unless_the_4_15_int_form() -> None:
    s = ping()
    assert s.echo(b"0 4294967294") == 0 and s.value == (0, 4294967294)
    assert s.write(b"0 4294967295").errno == EINVAL
    old = ping(net_env(legacy=frozenset({"ping_group_range_int"})))
    assert old.write(b"0 2147483648").errno == EINVAL and old.value == (1, 0)
    assert old.echo(b"0 2147483647") == 0 and old.value == (0, 2147483647)


def test_ping_group_range_negative_fails_atomically() -> None:
    s = ping()
    assert s.write(b"5 -1").errno == EINVAL and s.value == (1, 0)


def secret(value: bytes = b"", dev: str = "eth0") -> Sysctl:
    return make_sysctl(
        "addrconf_sysctl_stable_secret",
        value,
        net_env(),
        key=f"net.ipv6.conf.{dev}.stable_secret",
        mode=0o600,
    )


def test_unset_stable_secret_read_fails_with_eio() -> None:
    assert secret().read().errno == errno.EIO


def test_stable_secret_write_stores_full_pi6_form() -> None:
    s = secret()
    assert s.echo(b"2001:db8::1\n") == 0
    assert s.cat() == b"2001:0db8:0000:0000:0000:0000:0000:0001\n"


@pytest.mark.parametrize(
    "text", [b"not-an-address\n", b"1.2.3.4\n", b"\n", b"fe80::1%eth0\n", b"2001:db8::g\n"]
)
def test_stable_secret_invalid_write_fails_with_eio(text: bytes) -> None:
    s = secret()
    assert s.write(text).errno == errno.EIO
    assert s.value == b""


def test_conf_all_stable_secret_always_fails_with_eio() -> None:
    s = secret(dev="all")
    assert s.read().errno == errno.EIO
    assert s.write(b"::1\n").errno == errno.EIO


def cong(value: bytes = b"cubic") -> Sysctl:
    return make_sysctl("proc_tcp_congestion_control", value, net_env(), key="net.ipv4.tcp_congestion_control")


def test_congestion_control_accepts_available_algorithm() -> None:
    s = cong()
    assert s.echo(b"reno\n") == 0 and s.value == b"reno"
    assert s.cat() == b"reno\n"


@pytest.mark.parametrize("text", [b"bbr\n", b"\n", b"cubic \n"])
def test_congestion_control_unknown_algorithm_fails_with_enoent(text: bytes) -> None:
    s = cong()
    assert s.write(text).errno == errno.ENOENT
    assert s.value == b"cubic"


def test_available_congestion_control_reads_the_list() -> None:
    s = make_sysctl("proc_tcp_available_congestion_control", b"reno cubic", key="x.avail", mode=0o444)
    assert s.cat() == b"reno cubic\n"


@settings(max_examples=60)
@given(st.integers(-5, 70000), st.integers(-5, 70000))
def test_port_range_write_is_all_or_nothing(low: int, high: int) -> None:
    s = port_range()
    err = s.echo(f"{low} {high}\n".encode())
    if 1024 <= low <= high <= 65535:
        assert err == 0 and s.value == (low, high)
    else:
        assert err == EINVAL and s.value == (32768, 60999)
