"""The handler table: names, kinds, legacy table and default loading."""

from __future__ import annotations

import pytest

from fakeproc.handlers import HANDLERS, LEGACY_BEHAVIOURS
from fakeproc.handlers.domain import ValueDomain, ValueKind
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import SysctlSpec
from tests.handlers.conftest import FakeEnv

REQUIRED = {
    "proc_dointvec",
    "proc_dointvec_minmax",
    "proc_dointvec_jiffies",
    "proc_dointvec_userhz_jiffies",
    "proc_dointvec_ms_jiffies",
    "proc_dointvec_ms_jiffies_minmax",
    "proc_douintvec",
    "proc_douintvec_minmax",
    "proc_dou8vec_minmax",
    "proc_dobool",
    "proc_dostring",
    "proc_doulongvec_minmax",
    "proc_doulongvec_ms_jiffies_minmax",
    "proc_do_large_bitmap",
    "proc_ipc_sem_dointvec",
    "proc_ipc_auto_msgmni",
    "proc_ipc_dointvec_minmax_orphans",
    "ipv4_local_port_range",
    "ipv4_privileged_ports",
    "ipv4_ping_group_range",
    "proc_do_uts_string",
    "proc_dointvec_minmax_sysadmin",
    "proc_taint",
    "proc_do_static_key",
    "addrconf_sysctl_stable_secret",
    "proc_tcp_congestion_control",
}


def test_every_required_handler_is_registered_under_its_kernel_name() -> None:
    assert REQUIRED <= set(HANDLERS)
    for name, handler in HANDLERS.items():
        assert handler.name == name
        assert handler.kind in {"vector", "string", "bitmap"}


def test_every_registered_handler_declares_its_value_domain() -> None:
    for name, handler in HANDLERS.items():
        assert isinstance(handler.domain, ValueDomain), name
        # A handler the strategies cannot generate values for says why.
        assert handler.domain.modelled or handler.domain.note, name
        kinds = {"vector": ValueKind.INT, "string": ValueKind.STRING, "bitmap": ValueKind.BITMAP}
        assert not handler.domain.modelled or handler.domain.kind is kinds[handler.kind], name
        for behaviour, domain in handler.legacy_domains:
            assert behaviour in LEGACY_BEHAVIOURS and isinstance(domain, ValueDomain), (name, behaviour)


def test_a_legacy_behaviour_picks_its_own_domain() -> None:
    ping = HANDLERS["ipv4_ping_group_range"]
    assert ping.domain_for(frozenset()).hi == 4294967294
    assert ping.domain_for(frozenset({"ping_group_range_int"})).hi == 2**31 - 1
    assert ping.domain_for(frozenset({"simple_strtoul"})) is ping.domain


def test_a_handler_name_registers_once() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        proc_handler(parse=HANDLERS["proc_dointvec"].parse, kind="vector",
                     domain=HANDLERS["proc_dointvec"].domain, name="proc_dointvec")(HANDLERS["proc_dointvec"].call)


def test_legacy_table_names_the_required_behaviours() -> None:
    assert {
        "simple_strtoul",
        "minmax_no_int_check",
        "doulongvec_skip_negative",
        "doulongvec_skip_out_of_range",
        "jiffies_long_max_bound",
        "bitmap_truncate_4095",
    } <= set(LEGACY_BEHAVIOURS)
    assert all(LEGACY_BEHAVIOURS.values())


@pytest.mark.parametrize(
    ("handler", "text", "spec", "value"),
    [
        ("proc_dointvec", "32000\t1024000000\t500\t32000", {"length": 4}, (32000, 1024000000, 500, 32000)),
        ("proc_dointvec_minmax", "-1", {}, (-1,)),
        ("proc_dointvec_jiffies", "7200", {}, (1800000,)),
        ("proc_dointvec_ms_jiffies", "1000", {}, (250,)),
        ("proc_dointvec_userhz_jiffies", "100", {}, (250,)),
        ("proc_doulongvec_ms_jiffies_minmax", "1000", {}, (250,)),
        ("proc_doulongvec_minmax", "18446744073692774399", {}, (18446744073692774399,)),
        ("proc_dobool", "1", {}, (1,)),
        ("proc_dostring", "(none)", {"maxlen": 65}, b"(none)"),
        ("proc_do_large_bitmap", "", {"maxlen": 65536}, 0),
        ("proc_do_large_bitmap", "1,3-4", {"maxlen": 65536}, 0b11010),
        ("addrconf_sysctl_stable_secret", "", {}, b""),
        ("ipv4_local_port_range", "32768\t60999", {"length": 2}, (32768, 60999)),
    ],
)
def test_parse_loads_defaults_in_kernel_units(
    handler: str, text: str, spec: dict[str, object], value: object
) -> None:
    s = SysctlSpec(key="x.y", mode=0o644, handler=handler, **spec)  # type: ignore[arg-type]
    assert HANDLERS[handler].parse(s, text, FakeEnv()) == value
