"""The table of differential cases: every namespaced handler family, real kernel vs model.

>>> len({c.id for c in CASES}) == len(CASES)
True

Each :class:`~tests.differential.realkernel.Case` runs in one fresh ipc/net/uts namespace set,
on the real kernel and on the model, and every step's errno, count and read-back must agree.
Cases on which the model is known to differ carry ``xfail=...`` (see docs/differential.md);
they are marked strict, so the suite turns red when a fix lands and the mark can go.
"""

from __future__ import annotations

from tests.differential.realkernel import Case, bounds, read, write, write_all

__all__ = ["CASES", "GLOBAL_BACKED", "KNOWN", "KNOWN_BOUNDS", "KNOWN_SWEEP", "NUMERIC_HANDLERS", "PARSE_KEYS", "PARSE_TOKENS",
           "bounds_cases", "bounds_keys", "sweep_cases"]

# Known model differences found by this suite (details: docs/differential.md). Keyed by case id;
# the value is the strict-xfail reason ("model differs (Dn): ..."). D1..D14 are the numbers used in
# the doc; all of them are fixed now, so the tables are empty. A new difference goes here, marked
# strict, so the suite turns red when it is fixed and the mark can go.
KNOWN: dict[str, str] = {}
# The same, as seen by the sweep over every writable entry (keyed by key).
KNOWN_SWEEP: dict[str, str] = {}

# ------------------------------------------------------------------ number parsing rules

# Tokens written at offset 0 to one entry of each integer handler family.
PARSE_TOKENS: list[tuple[str, bytes]] = [
    ("dec", b"7"),
    ("dec_nl", b"7\n"),
    ("lead_ws", b" \t\n 7 \n"),
    ("hex_lower", b"0x1f"),
    ("hex_upper", b"0X1F"),
    ("octal", b"010"),
    ("octal_bad_digit_08", b"08"),
    ("bare_0x", b"0x"),
    ("zero", b"0"),
    ("minus_zero", b"-0"),
    ("plus", b"+5"),
    ("minus_space", b"- 5"),
    ("double_minus", b"--5"),
    ("lone_minus", b"-"),
    ("negative", b"-3"),
    ("empty", b""),
    ("spaces_only", b"   "),
    ("newline_only", b"\n"),
    ("crlf", b"12\r"),
    ("comma", b"12,"),
    ("alpha_trailer", b"12abc"),
    ("decimal_point", b"1.5"),
    ("tok_20_chars", b"00000000000000000001"),
    ("tok_21_chars", b"000000000000000000001"),
    ("int_max", b"2147483647"),
    ("int_max_plus1", b"2147483648"),
    ("int_min", b"-2147483648"),
    ("int_min_minus1", b"-2147483649"),
    ("uint_max", b"4294967295"),
    ("uint_max_plus1", b"4294967296"),
    ("ulong_max", b"18446744073709551615"),
    ("ulong_max_plus1", b"18446744073709551616"),
    ("u8_max", b"255"),
    ("u8_max_plus1", b"256"),
    ("two_numbers", b"5 6"),
    ("number_then_garbage", b"5 x"),
    ("nul_after", b"5\x00"),
    ("leading_nul", b"\x005"),
    ("vertical_tab_ff", b"\x0b\x0c9"),
]

# One entry per integer handler family (all namespaced).
PARSE_KEYS: list[str] = [
    "fs.mqueue.queues_max",  # proc_dointvec, no bounds
    "net.core.somaxconn",  # proc_dointvec_minmax [0, -]
    "kernel.msgmax",  # proc_dointvec_minmax [0, INT_MAX]
    "net.ipv4.tcp_notsent_lowat",  # proc_douintvec
    "net.ipv4.tcp_syncookies",  # proc_dou8vec_minmax
    "kernel.shmmax",  # proc_doulongvec_minmax (unsigned long)
    "net.ipv4.tcp_keepalive_time",  # proc_dointvec_jiffies
    "net.ipv4.neigh.lo.retrans_time_ms",  # proc_dointvec_ms_jiffies
    "net.ipv4.neigh.lo.locktime",  # proc_dointvec_userhz_jiffies
    "net.bridge.bridge-nf-call-iptables",  # proc_dobool (if br_netfilter is present)
]


def _parse_cases() -> list[Case]:
    out = []
    for key in PARSE_KEYS:
        for name, token in PARSE_TOKENS:
            out.append(Case(f"parse-{key}-{name}", (read(key), write(key, token))))
        # strict mode: a numeric write at a non-zero offset is ignored but reports the full count
        out.append(Case(f"parse-{key}-offset3", (write(key, b"9", 3), write(key, b"1 2 3", 1))))
        out.append(Case(f"parse-{key}-read_offset", (read(key, 100, 1), read(key, 1, 0), read(key, 100, 100))))
    return out


# ------------------------------------------------------------------ IPC

_SEM = "kernel.sem"

IPC_CASES: list[Case] = [
    Case("sem-full-vector", (read(_SEM), write(_SEM, "250 32000 32 128"))),
    Case("sem-partial-two-fields", (write(_SEM, "100 101"),)),
    Case("sem-partial-one-field-nl", (write(_SEM, "7\n"),)),
    Case("sem-semmni-ipcmni-ok", (write(_SEM, "1 2 3 32768"),)),
    Case("sem-semmni-above-ipcmni-erange-keeps-first-three", (write(_SEM, "1 2 3 32769"),)),
    Case("sem-semmni-negative-erange", (write(_SEM, "1 2 3 -1"),)),
    Case("sem-semmni-zero", (write(_SEM, "1 2 3 0"),)),
    Case("sem-negative-first-fields", (write(_SEM, "-5 -6 -7 10"),)),
    Case("sem-surplus-numbers-short-write", (write(_SEM, "1 2 3 4 5 6"),)),
    Case("sem-surplus-garbage-short-write", (write(_SEM, "1 2 3 4 x"),)),
    Case("sem-surplus-ws-then-number", (write(_SEM, "1 2 3 4 \n\t 5"),)),
    Case("sem-garbage-mid-vector-partial-store", (write(_SEM, "11 12 x 14"),)),
    Case("sem-overflow-first-field", (write(_SEM, "2147483648 1 1 1"),)),
    Case("sem-int-min-first-field", (write(_SEM, "-2147483648 1 1 1"),)),
    Case("sem-tabs-and-newlines", (write(_SEM, "1\t2\n3 4\n"),)),
    Case("sem-hex-octal", (write(_SEM, "0x10 010 0 0X7"),)),
    Case("sem-empty-write", (write(_SEM, ""),)),
    Case("sem-whitespace-only", (write(_SEM, "  \n"),)),
    Case("sem-write-at-offset-ignored", (write(_SEM, "1 2 3 4", 3),)),
    Case("sem-write-then-continue", (write_all(_SEM, "1 2 3 4 5 6 7 8"),)),
    Case("sem-semmni-erange-after-overflow-in-fourth", (write(_SEM, "1 2 3 2147483648"),)),
    Case("sem-read-at-offset-eof", (read(_SEM, 100, 3),)),
    Case("sem-read-small-buffer-truncates", (read(_SEM, 3), read(_SEM, 27), read(_SEM, 28))),
    Case("sem-open-rdwr", (write(_SEM, "5 6 7 8", flags="rw"),)),
]
for _key, _lo, _hi in (("kernel.shmmni", 0, 32768), ("kernel.msgmni", 0, 32768)):
    IPC_CASES += [
        Case(f"{_key}-at-max", (read(_key), write(_key, str(_hi)))),
        Case(f"{_key}-above-max", (write(_key, str(_hi + 1)),)),
        Case(f"{_key}-at-min", (write(_key, str(_lo)),)),
        Case(f"{_key}-below-min", (write(_key, str(_lo - 1)),)),
    ]
for _key in ("kernel.msgmax", "kernel.msgmnb"):
    IPC_CASES += [
        Case(f"{_key}-int-max", (read(_key), write(_key, "2147483647"))),
        Case(f"{_key}-negative", (write(_key, "-1"),)),
        Case(f"{_key}-zero", (write(_key, "0"),)),
    ]
for _key in ("kernel.shmmax", "kernel.shmall"):
    IPC_CASES += [
        Case(f"{_key}-ulong-max", (read(_key), write(_key, "18446744073709551615"))),
        Case(f"{_key}-above-ulong-max", (write(_key, "18446744073709551616"),)),
        Case(f"{_key}-negative", (write(_key, "-1"),)),
        Case(f"{_key}-minus-zero", (write(_key, "-0"),)),
        Case(f"{_key}-zero", (write(_key, "0"),)),
        Case(f"{_key}-surplus-short-write", (write(_key, "1 2"),)),
        Case(f"{_key}-hex", (write(_key, "0xffffffffffffffff"),)),
    ]
IPC_CASES += [
    Case("shm_rmid_forced-one", (read("kernel.shm_rmid_forced"), write("kernel.shm_rmid_forced", "1"))),
    Case("shm_rmid_forced-two", (write("kernel.shm_rmid_forced", "2"),)),
    Case("shm_rmid_forced-negative", (write("kernel.shm_rmid_forced", "-1"),)),
    Case("shm_rmid_forced-one-then-zero", (write("kernel.shm_rmid_forced", "1"),
                                            write("kernel.shm_rmid_forced", "0"))),
    Case("auto_msgmni-one-discarded", (read("kernel.auto_msgmni"), write("kernel.auto_msgmni", "1"))),
    Case("auto_msgmni-zero", (write("kernel.auto_msgmni", "0"),)),
    Case("auto_msgmni-two", (write("kernel.auto_msgmni", "2"),)),
    Case("auto_msgmni-garbage", (write("kernel.auto_msgmni", "x"),)),
]
for _key in ("kernel.sem_next_id", "kernel.msg_next_id", "kernel.shm_next_id"):
    IPC_CASES += [
        Case(f"{_key}-root-writes-5", (read(_key), write(_key, "5"))),
        Case(f"{_key}-minus-one", (write(_key, "-1"),)),
        Case(f"{_key}-int-max", (write(_key, "2147483647"),)),
        Case(f"{_key}-rdwr", (write(_key, "0", flags="rw"),)),
    ]
for _key, _lo, _hi in (
    ("fs.mqueue.msg_max", 1, 65536),
    ("fs.mqueue.msg_default", 1, 65536),
    ("fs.mqueue.msgsize_max", 128, 16777216),
    ("fs.mqueue.msgsize_default", 128, 16777216),
):
    IPC_CASES += [
        Case(f"{_key}-at-max", (read(_key), write(_key, str(_hi)))),
        Case(f"{_key}-above-max", (write(_key, str(_hi + 1)),)),
        Case(f"{_key}-at-min", (write(_key, str(_lo)),)),
        Case(f"{_key}-below-min", (write(_key, str(_lo - 1)),)),
    ]
IPC_CASES += [
    Case("mqueue-queues_max-negative", (read("fs.mqueue.queues_max"), write("fs.mqueue.queues_max", "-5"))),
    Case("mqueue-queues_max-int-max", (write("fs.mqueue.queues_max", "2147483647"),)),
]

# ------------------------------------------------------------------ UTS

def _uts(key: str) -> list[Case]:
    s = write(key, "start\n")  # a neutral value: a new UTS ns copies the host's name, not the profile's
    return [
        Case(f"{key}-plain", (s, write(key, "abc"))),
        Case(f"{key}-newline-ends", (s, write(key, "abc\ndef"))),
        Case(f"{key}-nul-ends", (s, write(key, "ab\x00cd"))),
        Case(f"{key}-64-chars-kept", (s, write(key, "h" * 64))),
        Case(f"{key}-70-chars-truncated-to-64", (s, write(key, "x" * 70))),
        Case(f"{key}-5000-chars", (s, write(key, "y" * 5000))),
        Case(f"{key}-spaces-kept", (s, write(key, "  sp  "))),
        Case(f"{key}-lone-newline-empties", (s, write(key, "\n"))),
        Case(f"{key}-zero-byte-write", (s, write(key, ""))),
        Case(f"{key}-pwrite-inside", (s, write(key, "abcdef"), write(key, "XY", 2))),
        Case(f"{key}-pwrite-at-end-appends", (s, write(key, "abc"), write(key, "def\n", 3))),
        Case(f"{key}-pwrite-past-end-ignored", (s, write(key, "abc"), write(key, "zz", 4))),
        Case(f"{key}-pwrite-near-64", (s, write(key, "a" * 60), write(key, "bcdefgh", 60))),
        Case(f"{key}-pwrite-at-64", (s, write(key, "a" * 64), write(key, "b", 64))),
        Case(f"{key}-write-all-long", (s, write_all(key, "q" * 100))),
        Case(f"{key}-read-offsets", (s, write(key, "abcdef"), read(key, 100, 2), read(key, 100, 6),
                                     read(key, 100, 7), read(key, 3, 0), read(key, 6, 0))),
        Case(f"{key}-high-bytes", (s, write(key, b"\xff\xfe\x80abc"))),
    ]


UTS_CASES: list[Case] = _uts("kernel.hostname") + _uts("kernel.domainname") + [
    Case("uts-ostype-read-only", (write("kernel.hostname", "start\n"), read("kernel.ostype"),
                                  read("kernel.ostype", 100, 2))),
]

# ------------------------------------------------------------------ NET

_PR = "net.ipv4.ip_local_port_range"
_UPS = "net.ipv4.ip_unprivileged_port_start"
_PG = "net.ipv4.ping_group_range"
_RES = "net.ipv4.ip_local_reserved_ports"

NET_CASES: list[Case] = [
    Case("somaxconn-1024", (read("net.core.somaxconn"), write("net.core.somaxconn", "1024"))),
    Case("somaxconn-negative", (write("net.core.somaxconn", "-1"),)),
    # ip_local_port_range
    Case("port_range-valid", (read(_PR), write(_PR, "1024 65535"))),
    Case("port_range-low-below-unprivileged-start", (write(_PR, "1000 60999"),)),
    Case("port_range-inverted", (write(_PR, "40000 30000"),)),
    Case("port_range-equal", (write(_PR, "50000 50000"),)),
    Case("port_range-one-number-changes-low", (write(_PR, "40000"),)),
    Case("port_range-one-number-above-high", (write(_PR, "61000"),)),
    Case("port_range-zero-low", (write(_PR, "0 100"),)),
    Case("port_range-above-65535", (write(_PR, "1024 65536"),)),
    Case("port_range-surplus-short-write", (write(_PR, "2000 3000 4000"),)),
    Case("port_range-garbage-second-atomic", (write(_PR, "40000 x"),)),
    Case("port_range-after-unprivileged-start-zero", (write(_UPS, "0"), write(_PR, "1 100"))),
    Case("port_range-at-offset-ignored", (write(_PR, "2000 3000", 1),)),
    Case("port_range-read-3-bytes", (read(_PR, 3), read(_PR, 100, 3))),
    # ip_unprivileged_port_start
    Case("unprivileged_port_start-zero", (read(_UPS), write(_UPS, "0"))),
    Case("unprivileged_port_start-equal-low", (write(_UPS, "32768"),)),
    Case("unprivileged_port_start-above-low", (write(_UPS, "32769"),)),
    Case("unprivileged_port_start-65536", (write(_UPS, "65536"),)),
    Case("unprivileged_port_start-negative", (write(_UPS, "-1"),)),
    Case("unprivileged_port_start-two-numbers", (write(_UPS, "100 200"),)),
    # ping_group_range
    Case("ping_group_range-all", (read(_PG), write(_PG, "0 4294967294"))),
    Case("ping_group_range-zero-zero", (write(_PG, "0 0"),)),
    Case("ping_group_range-above-gid-max", (write(_PG, "0 4294967295"),)),
    Case("ping_group_range-inverted-resets", (write(_PG, "10 5"),)),
    Case("ping_group_range-negative", (write(_PG, "-1 5"),)),
    Case("ping_group_range-one-number", (write(_PG, "100"),)),
    Case("ping_group_range-surplus", (write(_PG, "1 2 3"),)),
    # tcp_rmem / tcp_wmem
    Case("tcp_rmem-three", (read("net.ipv4.tcp_rmem"), write("net.ipv4.tcp_rmem", "1 2 3"))),
    Case("tcp_rmem-zero-first", (write("net.ipv4.tcp_rmem", "0 1 1"),)),
    Case("tcp_rmem-zero-third-partial-store", (write("net.ipv4.tcp_rmem", "5 6 0"),)),
    Case("tcp_rmem-one-number", (write("net.ipv4.tcp_rmem", "5"),)),
    Case("tcp_rmem-garbage-third", (write("net.ipv4.tcp_rmem", "1 2 x"),)),
    Case("tcp_rmem-surplus", (write("net.ipv4.tcp_rmem", "1 2 3 4"),)),
    Case("tcp_wmem-three", (read("net.ipv4.tcp_wmem"), write("net.ipv4.tcp_wmem", "4096 16384 4194304"))),
    Case("tcp_wmem-negative", (write("net.ipv4.tcp_wmem", "-1"),)),
    # u8
    Case("tcp_syncookies-2", (read("net.ipv4.tcp_syncookies"), write("net.ipv4.tcp_syncookies", "2"))),
    Case("tcp_keepalive_probes-255", (read("net.ipv4.tcp_keepalive_probes"),
                                      write("net.ipv4.tcp_keepalive_probes", "255"))),
    # jiffies (seconds)
    Case("tcp_keepalive_time-max", (read("net.ipv4.tcp_keepalive_time"),
                                    write("net.ipv4.tcp_keepalive_time", "8589934"))),
    Case("tcp_keepalive_time-above-max", (write("net.ipv4.tcp_keepalive_time", "8589935"),)),
    Case("tcp_keepalive_time-negative", (write("net.ipv4.tcp_keepalive_time", "-5"),)),
    Case("tcp_keepalive_time-negative-max", (write("net.ipv4.tcp_keepalive_time", "-8589934"),)),
    Case("tcp_keepalive_time-negative-above", (write("net.ipv4.tcp_keepalive_time", "-8589935"),)),
    Case("tcp_fin_timeout-1", (read("net.ipv4.tcp_fin_timeout"), write("net.ipv4.tcp_fin_timeout", "1"))),
    Case("tcp_keepalive_intvl-0", (read("net.ipv4.tcp_keepalive_intvl"),
                                   write("net.ipv4.tcp_keepalive_intvl", "0"))),
]

_NEIGH = "net.ipv4.neigh.lo."
for _name, _vals in (
    ("retrans_time_ms", ("1", "1001", "4", "5", "0", "-1", "2147483647", "4294967295", "-4")),
    ("base_reachable_time_ms", ("1", "999", "-1")),
    ("interval_probe_time_ms", ("1", "0", "5000")),
    ("locktime", ("1", "3", "100", "250", "-1", "-3", "2147483647")),
    ("retrans_time", ("1", "100", "123")),
    ("anycast_delay", ("1", "7")),
    ("base_reachable_time", ("1", "8589934", "8589935")),
    ("delay_first_probe_time", ("0", "-1")),
    ("gc_stale_time", ("60",)),
    ("mcast_solicit", ("-1", "2147483647")),
    ("unres_qlen", ("1", "-1", "2147483647")),
    ("unres_qlen_bytes", ("1", "-1")),
    ("proxy_qlen", ("1",)),
):
    for _v in _vals:
        NET_CASES.append(Case(f"neigh-lo-{_name}-{_v}", (read(_NEIGH + _name), write(_NEIGH + _name, _v))))
for _name, _vals in (("retrans_time_ms", ("1", "1001")), ("locktime", ("1", "100")),
                     ("base_reachable_time_ms", ("1",))):
    for _v in _vals:
        _k = "net.ipv6.neigh.lo." + _name
        NET_CASES.append(Case(f"neigh6-lo-{_name}-{_v}", (read(_k), write(_k, _v))))

# ip_local_reserved_ports (proc_do_large_bitmap)
_LONG_LIST = ",".join(str(p) for p in range(1000, 4000, 2))  # about 7.5 kB: needs chunking
_LONG_RANGES = ",".join(f"{p}-{p + 1}" for p in range(10000, 13000, 3))
NET_CASES += [
    Case("reserved_ports-list-and-ranges", (read(_RES), write(_RES, "1,2-4,8080"))),
    Case("reserved_ports-newlines-between", (write(_RES, "\n1\n2\n"),)),
    Case("reserved_ports-space-after-comma", (write(_RES, "1, 2"),)),
    Case("reserved_ports-space-separated", (write(_RES, "1 2"),)),
    Case("reserved_ports-inverted-range", (write(_RES, "5-3"),)),
    Case("reserved_ports-65535", (write(_RES, "65535"),)),
    Case("reserved_ports-65536", (write(_RES, "65536"),)),
    Case("reserved_ports-negative", (write(_RES, "-1"),)),
    Case("reserved_ports-hex-octal", (write(_RES, "0x10,010"),)),
    Case("reserved_ports-overlap-duplicates", (write(_RES, "5-10,7,7,8-12"),)),
    Case("reserved_ports-newline-clears", (write(_RES, "1-3"), write(_RES, "\n"))),
    Case("reserved_ports-zero-byte-keeps", (write(_RES, "1-3"), write(_RES, ""))),
    Case("reserved_ports-error-keeps-old", (write(_RES, "1-3"), write(_RES, "7,x"))),
    Case("reserved_ports-offset0-replaces", (write(_RES, "1-3"), write(_RES, "9"))),
    Case("reserved_ports-offset-ors", (write(_RES, "1-3"), write(_RES, "9", 5))),
    Case("reserved_ports-trailing-comma", (write(_RES, "1,"),)),
    Case("reserved_ports-double-comma", (write(_RES, "1,,2"),)),
    Case("reserved_ports-range-then-dash", (write(_RES, "1-2-3"),)),
    Case("reserved_ports-plus", (write(_RES, "+1"),)),
    Case("reserved_ports-crlf", (write(_RES, "1\r\n"),)),
    Case("reserved_ports-nul-trailer", (write(_RES, "1-2\x00"),)),
    Case("reserved_ports-long-single-write-short", (write(_RES, _LONG_LIST),)),
    Case("reserved_ports-long-write-all-chunks", (write_all(_RES, _LONG_LIST),)),
    Case("reserved_ports-long-ranges-write-all", (write_all(_RES, _LONG_RANGES),)),
    Case("reserved_ports-exactly-4095", (write(_RES, ("1," * 2048)[:4094] + "5"),)),
    Case("reserved_ports-4096-split-token", (write(_RES, "7," * 2047 + "12345"),)),
    Case("reserved_ports-read-small", (write(_RES, "1,3,5-9"), read(_RES, 3), read(_RES, 100, 1))),
    Case("icmp6_ratemask-set", (read("net.ipv6.icmp.ratemask"), write("net.ipv6.icmp.ratemask", "0-255"))),
    Case("icmp6_ratemask-256", (write("net.ipv6.icmp.ratemask", "256"),)),
]

# conf.all / conf.default / conf.lo and friends (devinet / addrconf handlers)
for _key, _vals in (
    ("net.ipv4.conf.all.forwarding", ("1", "0", "2", "-1")),
    ("net.ipv4.ip_forward", ("1", "2")),
    ("net.ipv4.conf.default.rp_filter", ("2", "3", "-1")),
    ("net.ipv4.conf.lo.arp_ignore", ("8", "9")),
    ("net.ipv4.conf.all.accept_local", ("1",)),
    ("net.ipv4.conf.lo.disable_policy", ("0",)),
    ("net.ipv4.conf.all.log_martians", ("1", "x")),
    ("net.ipv6.conf.lo.mtu", ("1280", "1279", "65536", "65537")),
    ("net.ipv6.conf.all.mtu", ("1280", "1279", "65535", "65536")),
    ("net.ipv6.conf.default.mtu", ("65535", "65536")),
    ("net.ipv4.tcp_reordering", ("1", "0")),
    ("net.ipv4.tcp_max_reordering", ("1", "0")),
    ("net.ipv6.conf.all.rpl_seg_enabled", ("1", "2", "-1")),
    ("net.ipv6.conf.default.addr_gen_mode", ("3", "4", "3 4", "-1")),
    ("net.ipv4.route.flush", ("1", "x", "3 4")),
    ("net.mptcp.path_manager", ("kernel", "userspace", "nope")),
    ("net.mptcp.scheduler", ("default", "nope")),
    ("net.netfilter.nf_log.2", ("nf_log_ipv4", "NONE", "nope")),
    ("net.ipv6.conf.all.disable_ipv6", ("1", "2", "-1")),
    ("net.ipv6.conf.default.hop_limit", ("0", "1", "255", "256")),
    ("net.ipv6.conf.all.forwarding", ("1", "2")),
    ("net.ipv6.conf.lo.accept_dad", ("2", "-2")),
    ("net.ipv6.conf.all.accept_ra", ("2",)),
    ("net.ipv6.conf.default.use_tempaddr", ("2", "-5")),
    ("net.ipv6.conf.lo.stable_secret", ("::1", "fe80::1", "x")),
    ("net.ipv4.conf.lo.accept_source_route", ("1",)),
):
    for _v in _vals:
        NET_CASES.append(Case(f"conf-{_key}-{_v}", (read(_key), write(_key, _v))))

# other net handlers
for _key, _vals in (
    ("net.ipv4.tcp_notsent_lowat", ("0", "4294967295")),
    ("net.ipv4.tcp_child_ehash_entries", ("0", "16777216", "16777217")),
    ("net.ipv4.tcp_probe_interval", ("17179869", "17179870")),
    ("net.ipv4.ipfrag_high_thresh", ("3145728", "3145727", "5000000")),
    ("net.ipv4.ipfrag_low_thresh", ("4194304", "4194305", "0")),
    ("net.ipv4.icmp_ratelimit", ("1", "1001")),
    ("net.ipv4.route.mtu_expires", ("1", "-1")),
    ("net.unix.max_dgram_qlen", ("-1",)),
    ("net.ipv4.tcp_congestion_control", ("reno", "cubic", "nope", "")),
    ("net.ipv4.tcp_allowed_congestion_control", ("reno", "nope")),
    ("net.core.rps_default_mask", ("0", "1", "3", "zz", "-1", "  \n", "ffffffff,ffffffff,1")),
    ("net.ipv4.tcp_fastopen_key", ("00000001-00000002-00000003-00000004", "1",
                                   "00000001-00000002-00000003-00000004,00000005-00000006-00000007-00000008")),
    ("net.bridge.bridge-nf-call-iptables", ("0", "-7", "2147483648")),
):
    for _v in _vals:
        NET_CASES.append(Case(f"net-{_key}-{_v or 'empty'}", (read(_key), write(_key, _v))))

# Handlers with their own grammar (D1, D2, D4, D5, D10, D11 once fixed): more inputs, all per netns.
_RPS = "net.core.rps_default_mask"
_TFO = "net.ipv4.tcp_fastopen_key"
_NFL = "net.netfilter.nf_log."
for _key, _vals in (
    ("net.ipv6.conf.lo.mtu", ("65535", "1500", "1280 99999")),
    ("net.ipv4.tcp_congestion_control", ("bbr", "bbr\n", "cubic\n")),
    (_RPS, ("2", "4", "0,1", "1,", "00000003", "000000001", "1 0", ",,3,,", "\t3\n", "3\n4", "0x1", "fffffffc",
            "0,0,1", "ffffffff")),
    (_TFO, (" 1-2-3-4", "0x1f-2-3-4", "1-2-3", "1-2-3-4,5", "1-2-3-4,", "123456789-1-1-1", "a-b-c-d\n",
            "1 -2-3-4", "1- 2-3-4", "ffffffff-0-0-0xyz", "-1-2-3-4", "1-2-3-4,a-b-c-d,e-f-0-1", "",
            "0001-0002-0003-0004\n")),
    ("net.mptcp.scheduler", ("", "default\n", "Default")),
    ("net.mptcp.path_manager", ("userspace\n", "", "kernel ")),
    (_NFL + "2", ("", "NF_LOG_IPV4", "nf_log_ipv4xyz", "nfnetlink_log", "none", "NONE\n", "nf_log", "NONEX")),
    (_NFL + "0", ("nfnetlink_log", "nf_log_ipv4", "NONE")),
    (_NFL + "10", ("nf_log_ipv6", "nf_log_ipv4")),
):
    for _v in _vals:
        NET_CASES.append(Case(f"special-{_key}-{_v or 'empty'}", (read(_key), write(_key, _v))))
NET_CASES += [
    Case("special-rps-nul-ends", (write(_RPS, "3\x004"),)),
    Case("special-rps-read-sizes", (write(_RPS, "3"), read(_RPS, 1), read(_RPS, 2), read(_RPS, 100, 1))),
    Case("special-rps-write-at-offset", (write(_RPS, "2", 5),)),
    Case("special-rps-overflow-keeps-low-chunk", (write(_RPS, "1 2 3"), write(_RPS, "1,2"))),
    Case("special-tfo-two-then-one", (write(_TFO, "1-2-3-4,5-6-7-8"), write(_TFO, "9-a-b-c"))),
    Case("special-tfo-append-at-end", (write(_TFO, "1-2-3-4"), write(_TFO, ",5-6-7-8", 35))),
    Case("special-tfo-read-offset", (read(_TFO, 10, 30), read(_TFO, 100, 36))),
    Case("special-nflog-at-offset", (write(_NFL + "2", "nf_log_ipv4", 3),)),
    Case("special-nflog-none-then-back", (write(_NFL + "2", "NONE"), write(_NFL + "2", "nf_log_ipv4"))),
    Case("special-cc-child-after-allowed", (write("net.ipv4.tcp_congestion_control", "reno"),
                                            write("net.ipv4.tcp_congestion_control", "cubic"))),
]

_MIB4 = 4 << 20
EDGE_CASES: list[Case] = [
    Case("size-4MiB-write-enomem", (write("net.core.somaxconn", b"1" * _MIB4),)),
    Case("size-4MiB-minus-1-write-einval", (write("net.core.somaxconn", b"1" * (_MIB4 - 1)),)),
    Case("size-4MiB-read-enomem", (read("net.core.somaxconn", _MIB4),)),
    Case("size-zero-read", (read("net.core.somaxconn", 0),)),
    Case("hostname-4MiB-minus-1", (write("kernel.hostname", b"z" * (_MIB4 - 1)),)),
    Case("page-leading-spaces-5000-then-number", (write("net.core.somaxconn", b" " * 5000 + b"7"),)),
    Case("page-number-at-4094", (write("net.core.somaxconn", b" " * 4094 + b"7"),)),
    Case("page-number-across-4095", (write("net.core.somaxconn", b" " * 4093 + b"77"),)),
    Case("page-sem-surplus-spaces", (write("kernel.sem", b"1 2 3 4" + b" " * 5000 + b"9"),)),
    Case("page-sem-vector-across-page", (write("kernel.sem", b"1" + b" " * 4092 + b"2 3 4"),)),
    Case("reserved_ports-dash-end", (write(_RES, "1-"),)),
    Case("reserved_ports-lone-dash", (write(_RES, "-"),)),
    Case("reserved_ports-leading-comma", (write(_RES, ",1"),)),
    Case("reserved_ports-leading-spaces", (write(_RES, " 1"),)),
    Case("reserved_ports-range-nl", (write(_RES, "1-3\n"),)),
    Case("reserved_ports-whole", (write(_RES, "0-65535"),)),
    Case("reserved_ports-21-digit", (write(_RES, "000000000000000000001"),)),
    Case("port_range-continue-after-short", (write_all(_PR, "40000 50000 60000"),)),
    Case("ping_group_range-max-max", (write(_PG, "4294967294 4294967294"),)),
    Case("bool-two-numbers", (write("net.bridge.bridge-nf-call-iptables", "1 2"),)),
    Case("u8-hex", (write("net.ipv4.tcp_syncookies", "0x1f"),)),
    Case("sem-5000-byte-write-all", (write_all("kernel.sem", "1 2 3 4 " * 700),)),
    Case("hostname-rdwr-offset", (write("kernel.hostname", "abc"), write("kernel.hostname", "Z", 1, flags="rw"))),
    Case("tcp_congestion_control-nope-then-reno", (write("net.ipv4.tcp_congestion_control", "nope"),
                                                   write("net.ipv4.tcp_congestion_control", "reno\n"))),
]

# Found by the bounds probe (test_bounds.py): bounds that depend on another entry or on state.
_RO, _MRO = "net.ipv4.tcp_reordering", "net.ipv4.tcp_max_reordering"
_AGM = "net.ipv6.conf.lo.addr_gen_mode"
BOUNDS_FOLLOWUP_CASES: list[Case] = [
    Case("tcp_reordering-max-is-300-in-a-fresh-netns", (write(_RO, "300"), write(_RO, "301"))),
    Case("tcp_reordering-max-follows-tcp_max_reordering",
         (write(_MRO, "500"), write(_RO, "400"), write(_MRO, "100"), write(_RO, "200"))),
    Case("addr_gen_mode-lo-0-1-3-without-stable-secret",
         (write(_AGM, "1"), write(_AGM, "2"), write(_AGM, "3"), write(_AGM, "4"))),
    Case("addr_gen_mode-lo-2-after-stable-secret",
         (write("net.ipv6.conf.lo.stable_secret", "2001:db8::1"), write(_AGM, "2"))),
    Case("addr_gen_mode-all-default-accept-2", (write("net.ipv6.conf.all.addr_gen_mode", "2"),
                                               write("net.ipv6.conf.default.addr_gen_mode", "2"))),
]

CASES: list[Case] = _parse_cases() + IPC_CASES + UTS_CASES + NET_CASES + EDGE_CASES + BOUNDS_FOLLOWUP_CASES


# ------------------------------------------------------------------ a sweep over every writable entry

SWEEP_PROBES: tuple[bytes, ...] = (b"0\n", b"1\n", b"-1\n", b"2147483648\n", b"x\n", b"  \n", b"3 4\n")


# Visible and writable in a fresh netns, but global data: writing them there changes the host.
from fakeproc.profiles.probe import GLOBAL_BACKED

_UTS_KEYS = ("kernel.hostname", "kernel.domainname")


def sweep_cases(keys: list[str]) -> list[Case]:
    """One case per key: read it, then write each generic probe (read-back after each).

    UTS keys start with a neutral write: a new UTS namespace copies the host's name.
    """
    out = []
    for key in keys:
        if key in GLOBAL_BACKED:
            continue
        setup = (write(key, "start\n", readback=False),) if key in _UTS_KEYS else ()
        out.append(Case(f"sweep-{key}", setup + (read(key),) + tuple(write(key, p) for p in SWEEP_PROBES)))
    return out


# ------------------------------------------------------------------ the bounds probe

# Handlers that take one or more integers (everything else, strings, bitmaps and the special
# parsers, is left to the table and the sweep). The real handler behind a model row may be a
# wrapper (addrconf_sysctl_*, neigh_proc_*, devinet_conf_proc ...); the probe measures it anyway.
NUMERIC_HANDLERS = frozenset({
    "proc_dointvec", "proc_dointvec_minmax", "proc_douintvec", "proc_douintvec_minmax",
    "addrconf_sysctl_addr_gen_mode",
    "proc_dou8vec_minmax", "proc_doulongvec_minmax", "proc_dobool",
    "proc_dointvec_jiffies", "proc_dointvec_ms_jiffies", "proc_dointvec_userhz_jiffies",
    "proc_dointvec_ms_jiffies_minmax",
    "proc_ipc_sem_dointvec", "proc_ipc_dointvec_minmax_orphans", "proc_ipc_auto_msgmni",
    "ipv4_local_port_range", "ipv4_privileged_ports", "ipv4_ping_group_range", "addrconf_sysctl_mtu",
})

# Keys the bounds probe measures differently on the model (strict xfail; reason = why it is left).
KNOWN_BOUNDS: dict[str, str] = {}


_NEXT_ID = frozenset({"kernel.msg_next_id", "kernel.sem_next_id", "kernel.shm_next_id"})


def bounds_keys(kernel: object) -> list[str]:
    """Writable, truly per-namespace integer entries of a fresh ipc/net/uts set, per the model.

    Only ``namespace`` ipc/net (UTS has no integers) with no ``registered_in``/``child_mode``
    (those are global data shown in a child namespace), a numeric handler, and not in
    :data:`GLOBAL_BACKED`.
    """
    import fakeproc

    assert isinstance(kernel, fakeproc.Kernel)
    ns = kernel.unshare(kernel.init_ns, ipc=True, net=True, uts=True)
    keys = []
    for key in kernel.keys(ns=ns):
        spec = kernel.spec(key, ns=ns)
        writable = spec.mode & 0o222 or key in _NEXT_ID  # *_next_id: 0444, but root may write
        if (spec.namespace.value in ("ipc", "net") and writable and spec.registered_in is None
                and spec.child_mode is None and spec.handler in NUMERIC_HANDLERS and key not in GLOBAL_BACKED):
            keys.append(key)
    kernel.drop_namespaces(ns)
    return sorted(keys)


def bounds_cases(keys: list[str]) -> list[Case]:
    """One case per key: the bounds probe in its own fresh namespace set."""
    return [Case(f"bounds-{key}", (bounds(key),)) for key in keys]
