"""Net handlers with their own grammar: device MTU, congestion control in a child netns, the RPS
cpumask, TCP Fast Open keys, MPTCP names and netfilter loggers.

Every expected answer below was also observed on a real 6.18.44 kernel (HZ=250, 2 CPUs) in
throwaway namespaces: see tests/differential/cases.py (``special-*`` cases) and docs/differential.md.
"""

from __future__ import annotations

import errno

import pytest

from fakeproc.handlers.net.bitmap_str import bitmap_parse, format_cpumask
from fakeproc.handlers.net.ipv4_sysctl import sscanf_key
from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

EINVAL, ENOENT, EPERM, EOVERFLOW = errno.EINVAL, errno.ENOENT, errno.EPERM, errno.EOVERFLOW


def _env(initial: bool = True, **values: object) -> FakeEnv:
    env = FakeEnv(initial=initial)
    env.values.update(
        {
            "net.ipv4.tcp_available_congestion_control": b"reno bbr cubic",
            "net.ipv4.tcp_allowed_congestion_control": b"reno bbr",
            "net.mptcp.available_path_managers": b"kernel userspace",
            "net.mptcp.available_schedulers": b"default",
        }
    )
    env.values.update(values)  # type: ignore[arg-type]
    return env


# --------------------------------------------------------------------------- addrconf_sysctl_mtu


def mtu(value: tuple[int, ...] = (65536, 65536)) -> Sysctl:
    return make_sysctl("addrconf_sysctl_mtu", value, key="net.ipv6.conf.<dev>.mtu", min=1280)


@pytest.mark.parametrize(
    ("data", "err", "count", "shown"),
    [
        (b"1280", 0, 4, b"1280\n"),
        (b"65536", 0, 5, b"65536\n"),
        (b"65535", 0, 5, b"65535\n"),
        (b"1279", EINVAL, 0, b"65536\n"),
        (b"65537", EINVAL, 0, b"65536\n"),
        (b"1280 99999", 0, 5, b"1280\n"),  # one element: the rest is left unread
        (b"x", EINVAL, 0, b"65536\n"),
    ],
)
def test_device_mtu_is_bounded_by_ipv6_min_mtu_and_the_device_mtu(
    data: bytes, err: int, count: int, shown: bytes
) -> None:
    s = mtu()
    res = s.write(data)
    assert (res.errno, res.count) == (err, count)
    assert s.cat() == shown
    assert s.value[1:] == (65536,)  # the device MTU is kept


def test_device_mtu_after_lowering_mtu6_is_still_the_device_mtu() -> None:
    s = mtu((1400, 1400))
    assert s.write(b"1300").errno == 0
    assert s.write(b"1400").errno == 0
    assert s.write(b"1401").errno == EINVAL
    assert s.value == (1400, 1400)


def test_device_mtu_unknown_for_a_device_copied_from_default_has_no_upper_bound() -> None:
    s = mtu((1280,))
    assert s.write(b"2147483647").errno == 0
    assert s.value == (2147483647,)


def test_device_mtu_parse_stores_the_boot_value_as_the_device_mtu() -> None:
    from fakeproc.handlers import HANDLERS

    h = HANDLERS["addrconf_sysctl_mtu"]
    assert h.parse(mtu().spec, "65536", FakeEnv()) == (65536, 65536)


# --------------------------------------------------------------------------- proc_tcp_congestion_control


@pytest.mark.parametrize(
    ("initial", "data", "err", "value"),
    [
        (True, b"cubic", 0, b"cubic"),  # init_net may pick a restricted algorithm
        (False, b"cubic", EPERM, b"bbr"),  # a child netns may not
        (False, b"cubic\n", EPERM, b"bbr"),
        (False, b"reno", 0, b"reno"),
        (False, b"bbr\n", 0, b"bbr"),
        (False, b"nope", ENOENT, b"bbr"),  # unknown beats restricted
        (False, b"", 0, b"bbr"),  # zero bytes: the current name is set again
    ],
)
def test_congestion_control_in_a_child_netns_needs_an_allowed_algorithm(
    initial: bool, data: bytes, err: int, value: bytes
) -> None:
    s = make_sysctl("proc_tcp_congestion_control", b"bbr", _env(initial), key="net.ipv4.tcp_congestion_control",
                    maxlen=16)
    res = s.write(data)
    assert res.errno == err
    assert res.count == (0 if err else len(data))
    assert s.value == value


# --------------------------------------------------------------------------- proc_allowed_congestion_control


@pytest.mark.parametrize(
    ("data", "err", "count", "shown"),
    [
        (b"reno cubic\n", 0, 11, b"reno cubic\n"),
        (b"cubic reno", 0, 10, b"reno cubic\n"),  # flags on the algorithms: the available list's order
        (b"bbr bbr reno", 0, 12, b"reno bbr\n"),  # each name once
        (b"cubic", 0, 5, b"cubic\n"),
        (b"reno  cubic", 0, 11, b"reno\n"),  # strsep stops at the first empty name
        (b" cubic", 0, 6, b"\n"),  # a leading space allows nothing
        (b"\n", 0, 1, b"\n"),
        (b"reno\tbbr", ENOENT, 0, b"reno bbr\n"),  # a tab is part of the name
        (b"reno vegas", ENOENT, 0, b"reno bbr\n"),  # one unknown name: nothing changes
        (b"nope", ENOENT, 0, b"reno bbr\n"),
        (b"", 0, 0, b"reno bbr\n"),
    ],
)
def test_allowed_congestion_control_takes_available_names_and_reads_them_in_list_order(
    data: bytes, err: int, count: int, shown: bytes
) -> None:
    s = make_sysctl("proc_allowed_congestion_control", b"reno bbr", _env(),
                    key="net.ipv4.tcp_allowed_congestion_control", maxlen=2048)
    res = s.write(data)
    assert (res.errno, res.count) == (err, count)
    assert s.cat() == shown


# --------------------------------------------------------------------------- rps_default_mask_sysctl


def rps(value: int = 0, nbits: int = 2) -> Sysctl:
    return make_sysctl("rps_default_mask_sysctl", value, key="net.core.rps_default_mask", maxlen=nbits)


@pytest.mark.parametrize(
    ("data", "err", "shown"),
    [
        (b"0", 0, b"0\n"),
        (b"1", 0, b"1\n"),
        (b"3", 0, b"3\n"),
        (b"2", 0, b"2\n"),
        (b"4", EOVERFLOW, b"0\n"),  # bit 2 stored, but only 2 bits are shown
        (b"ffffffff", EOVERFLOW, b"3\n"),
        (b"fffffffc", EOVERFLOW, b"0\n"),
        (b"00000003", 0, b"3\n"),
        (b"000000001", EOVERFLOW, b"0\n"),  # 9 digits in one chunk
        (b"0,1", EOVERFLOW, b"1\n"),  # chunk 0 written before the second chunk overflows
        (b"0,0,1", EOVERFLOW, b"1\n"),
        (b"ffffffff,ffffffff,1", EOVERFLOW, b"1\n"),
        (b"1,", 0, b"1\n"),
        (b",,3,,", 0, b"3\n"),
        (b"\t3\n", 0, b"3\n"),
        (b"3\n4", 0, b"3\n"),  # parsing stops at the newline
        (b"3\x004", 0, b"3\n"),  # ... and at a NUL
        (b"1 0", EOVERFLOW, b"0\n"),
        (b"3 4", EOVERFLOW, b"0\n"),
        (b"2147483648", EOVERFLOW, b"0\n"),
        (b"0x1", EINVAL, b"0\n"),
        (b"zz", EINVAL, b"0\n"),
        (b"-1", EINVAL, b"0\n"),
        (b"  \n", 0, b"0\n"),  # no chunk at all: the mask is cleared
    ],
)
def test_rps_default_mask_is_a_cpumask_of_nr_cpu_ids_bits(data: bytes, err: int, shown: bytes) -> None:
    s = rps()
    res = s.write(data)
    assert res.errno == err
    assert res.count == (0 if err else len(data))
    assert s.cat() == shown


def test_rps_default_mask_overflow_keeps_the_chunks_already_parsed() -> None:
    s = rps(3)
    assert s.write(b"1 2 3").errno == EOVERFLOW  # "3" is chunk 0, "2" one chunk too many
    assert s.cat() == b"3\n"
    assert s.write(b"1,2").errno == EOVERFLOW
    assert s.cat() == b"2\n"


def test_rps_default_mask_write_ignores_the_position_and_read_gives_nothing_past_zero() -> None:
    s = rps()
    res = s.write(b"2", pos=5)
    assert (res.errno, res.count, res.pos, s.value) == (0, 1, 5, 2)
    assert s.read(100, 1).output == b""


@pytest.mark.parametrize(("size", "out"), [(0, b""), (1, b""), (2, b"3\n"), (100, b"3\n")])
def test_rps_default_mask_read_cuts_the_text_to_size_minus_one_then_adds_a_newline(size: int, out: bytes) -> None:
    assert rps(3).read(size).output == out


@pytest.mark.parametrize(
    ("bits", "nbits", "text"),
    [(0, 2, b"0"), (3, 2, b"3"), (0x1F, 5, b"1f"), (1 << 32, 40, b"01,00000000"), (0xFFFFFFFF, 32, b"ffffffff"),
     (5, 64, b"00000000,00000005")],
)
def test_format_cpumask_prints_32_bit_chunks(bits: int, nbits: int, text: bytes) -> None:
    assert format_cpumask(bits, nbits) == text


def test_bitmap_parse_wide_masks() -> None:
    assert bitmap_parse(b"1,00000000", 40, 0) == (1 << 32, 0)
    assert bitmap_parse(b"100,00000000", 40, 0) == (1 << 40, EOVERFLOW)
    assert bitmap_parse(b"ff", 40, 0xFF << 32) == (0xFF, 0)  # bits above the last chunk cleared


# --------------------------------------------------------------------------- proc_tcp_fastopen_key

ZERO_KEY = b"00000000-00000000-00000000-00000000"


def tfo(value: bytes = ZERO_KEY) -> Sysctl:
    return make_sysctl("proc_tcp_fastopen_key", value, key="net.ipv4.tcp_fastopen_key", mode=0o600, maxlen=74)


@pytest.mark.parametrize(
    ("data", "err", "shown"),
    [
        (b"1-2-3-4", 0, b"00000001-00000002-00000003-00000004"),
        (b" 1-2-3-4", 0, b"00000001-00000002-00000003-00000004"),
        (b"1- 2-3-4", 0, b"00000001-00000002-00000003-00000004"),
        (b"0x1f-2-3-4", 0, b"0000001f-00000002-00000003-00000004"),
        (b"a-b-c-d\n", 0, b"0000000a-0000000b-0000000c-0000000d"),
        (b"123456789-1-1-1", 0, b"23456789-00000001-00000001-00000001"),  # wraps to 32 bits
        (b"ffffffff-0-0-0xyz", 0, b"ffffffff-00000000-00000000-00000000"),  # trailing text ignored
        (b"0001-0002-0003-0004\n", 0, b"00000001-00000002-00000003-00000004"),
        (b"1-2-3-4,a-b-c-d,e-f-0-1", 0,
         b"00000001-00000002-00000003-00000004,0000000a-0000000b-0000000c-0000000d"),
        (b"", 0, ZERO_KEY),
        (b"1-2-3", EINVAL, ZERO_KEY),
        (b"1-2-3-4,5", EINVAL, ZERO_KEY),
        (b"1-2-3-4,", EINVAL, ZERO_KEY),
        (b"1 -2-3-4", EINVAL, ZERO_KEY),
        (b"-1-2-3-4", EINVAL, ZERO_KEY),
        (b"1", EINVAL, ZERO_KEY),
        (b"x", EINVAL, ZERO_KEY),
        (b"  \n", EINVAL, ZERO_KEY),
    ],
)
def test_fastopen_key_takes_one_or_two_hex_keys(data: bytes, err: int, shown: bytes) -> None:
    s = tfo()
    res = s.write(data)
    assert res.errno == err
    assert res.count == (0 if err else len(data))
    assert s.cat() == shown + b"\n"


def test_fastopen_key_one_key_replaces_two_and_a_write_at_the_end_appends_a_backup() -> None:
    s = tfo()
    assert s.write(b"1-2-3-4,5-6-7-8").errno == 0
    assert s.write(b"9-a-b-c").errno == 0
    assert s.value == b"00000009-0000000a-0000000b-0000000c"
    assert s.write(b",5-6-7-8", pos=35).errno == 0
    assert s.value == b"00000009-0000000a-0000000b-0000000c,00000005-00000006-00000007-00000008"


def test_sscanf_key_needs_four_numbers() -> None:
    assert sscanf_key(b"1-2-3-4") == (1, 2, 3, 4)
    assert sscanf_key(b"1-2-3-") is None
    assert sscanf_key(b"g-2-3-4") is None


# --------------------------------------------------------------------------- MPTCP names


@pytest.mark.parametrize(
    ("handler", "key", "value", "data", "err", "after"),
    [
        ("proc_scheduler", "net.mptcp.scheduler", b"default", b"default\n", 0, b"default"),
        ("proc_scheduler", "net.mptcp.scheduler", b"default", b"Default", ENOENT, b"default"),
        ("proc_scheduler", "net.mptcp.scheduler", b"default", b"nope", ENOENT, b"default"),
        ("proc_scheduler", "net.mptcp.scheduler", b"default", b"", 0, b"default"),
        ("proc_path_manager", "net.mptcp.path_manager", b"kernel", b"userspace\n", 0, b"userspace"),
        ("proc_path_manager", "net.mptcp.path_manager", b"kernel", b"kernel ", ENOENT, b"kernel"),
        ("proc_path_manager", "net.mptcp.path_manager", b"kernel", b"0", ENOENT, b"kernel"),
        ("proc_path_manager", "net.mptcp.path_manager", b"kernel", b"", 0, b"kernel"),
    ],
)
def test_mptcp_names_must_be_available(
    handler: str, key: str, value: bytes, data: bytes, err: int, after: bytes
) -> None:
    s = make_sysctl(handler, value, _env(), key=key, maxlen=16)
    res = s.write(data)
    assert res.errno == err
    assert s.value == after


# --------------------------------------------------------------------------- nf_log_proc_dostring


def nf_log(pf: int = 2, default: str = "nf_log_ipv4", value: bytes | None = None) -> Sysctl:
    return make_sysctl("nf_log_proc_dostring", default.encode() if value is None else value,
                       key=f"net.netfilter.nf_log.{pf}", maxlen=64, default=default)


@pytest.mark.parametrize(
    ("pf", "default", "data", "err", "shown"),
    [
        (2, "nf_log_ipv4", b"NF_LOG_IPV4", 0, b"nf_log_ipv4"),  # case-insensitive
        (2, "nf_log_ipv4", b"nf_log_ipv4xyz", 0, b"nf_log_ipv4"),  # prefix match, stored by its name
        (2, "nf_log_ipv4", b"nfnetlink_log", 0, b"nfnetlink_log"),
        (2, "nf_log_ipv4", b"NONE\n", 0, b"NONE"),
        (2, "nf_log_ipv4", b"none", ENOENT, b"nf_log_ipv4"),  # NONE is exact
        (2, "nf_log_ipv4", b"NONEX", ENOENT, b"nf_log_ipv4"),
        (2, "nf_log_ipv4", b"nf_log", ENOENT, b"nf_log_ipv4"),
        (2, "nf_log_ipv4", b"", ENOENT, b"nf_log_ipv4"),  # the buffer starts empty
        (0, "NONE", b"nfnetlink_log", 0, b"nfnetlink_log"),
        (0, "NONE", b"nf_log_ipv4", ENOENT, b"NONE"),  # another family's logger
        (10, "nf_log_ipv6", b"nf_log_ipv4", ENOENT, b"nf_log_ipv6"),
    ],
)
def test_nf_log_binds_a_logger_of_the_family(pf: int, default: str, data: bytes, err: int, shown: bytes) -> None:
    s = nf_log(pf, default)
    res = s.write(data)
    assert res.errno == err
    assert s.cat() == shown + b"\n"


def test_nf_log_write_at_an_offset_sees_an_empty_name() -> None:
    s = nf_log()
    assert s.write(b"nf_log_ipv4", pos=3).errno == ENOENT


def test_nf_log_rebinds_the_boot_logger_after_none() -> None:
    s = nf_log(value=b"NONE")
    assert s.write(b"nf_log_ipv4").errno == 0
    assert s.value == b"nf_log_ipv4"
