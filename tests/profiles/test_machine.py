"""The machine model: boot-time defaults computed by each version's formula for a declared machine.

Expected numbers are worked out by hand from the kernel's formulas (cited in
scripts/profilegen/machine.yaml), not from the code under test.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from fakeproc.cli.main import main
from fakeproc.errors import UsageError
from fakeproc.model import Kernel
from fakeproc.profiles import Machine, available_profiles, load_profile, parse_machine, profile_from_dict
from fakeproc.profiles.loader import profile_to_dict
from fakeproc.profiles.machine import FORMULAS, machine_defaults

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = ROOT / "scripts" / "profilegen" / "captures" / "6.18" / "sysctl-a-6.18.txt"
SIZES = {"THREAD_SIZE": 16384, "INOTIFY_WATCH_COST": 1312, "INODE_MARK_COST": 1232, "EP_ITEM_COST": 184}

# 8 GiB of MemTotal, 4 CPUs, round boot-time counts.
M8 = Machine(cpus=4, totalram_pages=2097152, memblock_free_pages=2000000, boot_free_pages=2096000,
             buffer_pages=2080000, initcall_free_pages=1500000)
TINY = Machine(cpus=1, totalram_pages=1000, memblock_free_pages=320, boot_free_pages=900,
               buffer_pages=1000, initcall_free_pages=10000)
HUGE = Machine(cpus=8192, totalram_pages=1 << 30, memblock_free_pages=1 << 30, boot_free_pages=0,
               buffer_pages=1 << 30, initcall_free_pages=1 << 30)


def _run(formula: str, machine: Machine) -> dict[str, object]:
    return FORMULAS[formula](machine, 4096, SIZES)


@pytest.mark.parametrize(("formula", "machine", "expected"), [
    # threads-max = pages * 4096 / (16384 * 8) = pages / 32, clamped to [20, 0x3fffffff]
    ("threads_max_totalram", M8, {"default": "65536"}),
    ("threads_max_memblock", M8, {"default": "62500"}),
    ("threads_max_totalram", TINY, {"default": "31"}),
    ("threads_max_memblock", TINY, {"default": "20"}),          # 320 / 32 = 10 < MIN_THREADS
    ("threads_max_totalram", HUGE, {"default": "33554432"}),
    # the namespace ucounts are max_threads / 2
    ("ucount_totalram", M8, {"default": "32768"}),
    ("ucount_memblock", M8, {"default": "31250"}),
    ("ucount_memblock", TINY, {"default": "10"}),
    # file-max: reserve = (2097152 - 2096000) * 3 / 2 = 1728; (2097152 - 1728) * 4 / 10
    ("file_max", M8, {"default": "838169"}),
    ("file_max", TINY, {"default": "8192"}),                    # 340 < NR_FILE
    ("file_max", HUGE, {"default": "8192"}),                    # reserve capped at totalram - 1: 1 page
    # inotify: 2097152 / 100 = 20971 pages = 85897216 bytes / 1312
    ("inotify_watches", M8, {"default": "65470"}),
    ("inotify_watches", TINY, {"default": "8192"}),
    ("inotify_watches", HUGE, {"default": "1048576"}),
    ("inotify_watches_fixed", HUGE, {"default": "8192"}),
    # fanotify: 85897216 / 1232
    ("fanotify_marks", M8, {"default": "69721"}),
    ("fanotify_marks", TINY, {"default": "8192"}),
    ("fanotify_marks", HUGE, {"default": "1048576"}),
    # epoll: 2097152 / 25 = 83886 pages = 343597056 bytes / 184
    ("epoll_watches", M8, {"default": "1867375"}),
    ("epoll_watches", TINY, {"default": "890"}),                # 40 pages = 163840 / 184
    # tcp_mem: limit = 2080000 / 16 = 130000; [97500, 130000, 195000]
    ("tcp_mem", M8, {"default": "97500\t130000\t195000"}),
    ("tcp_mem", TINY, {"default": "96\t128\t192"}),             # limit at least 128
    # udp_mem: limit = 2080000 / 8 = 260000
    ("udp_mem", M8, {"default": "195000\t260000\t390000"}),
    ("udp_mem", TINY, {"default": "96\t128\t192"}),
    # reserves: free kB / 32 = 1500000 * 4 / 32 = 187500, capped at 128 MiB / 8 MiB
    ("user_reserve_kbytes", M8, {"default": "131072"}),
    ("admin_reserve_kbytes", M8, {"default": "8192"}),
    ("user_reserve_kbytes", TINY, {"default": "1250"}),
    ("admin_reserve_kbytes", TINY, {"default": "1250"}),
    # pid_max = min(4194304, max(32768, 1024 * cpus)); minimum max(301, 8 * cpus)
    ("pid_max", M8, {"default": "32768", "min": 301}),
    ("pid_max", TINY, {"default": "32768", "min": 301}),
    ("pid_max", Machine(64, 1, 1, 1, 1, 1), {"default": "65536", "min": 512}),
    ("pid_max", HUGE, {"default": "4194304", "min": 65536}),
])
def test_each_formula_gives_the_kernels_number(formula, machine, expected):
    assert _run(formula, machine) == expected


def _captured() -> dict[str, str]:
    out = {}
    for line in CAPTURE.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            out[key] = "\t".join(value.split())
    return out


def test_the_formulas_reproduce_every_captured_machine_value_of_6_18_exactly():
    p = load_profile("6.18")
    captured = _captured()
    computed = machine_defaults(p.machine_formulas, p.machine, p.page_size, p.constants)
    assert len(computed) == 20
    assert {k: v["default"] for k, v in computed.items()} == {k: captured[k] for k in computed}


def test_every_shipped_profile_states_its_reference_machine_and_its_defaults_follow_the_formulas():
    for name in available_profiles():
        p = load_profile(name)
        assert p.machine == load_profile("6.18").machine, name
        computed = machine_defaults(p.machine_formulas, p.machine, p.page_size, p.constants)
        for key, changes in computed.items():
            for field, value in changes.items():
                assert getattr(p.spec(key), field) == value, (name, key, field)


@pytest.mark.parametrize(("profile", "key", "formula", "default"), [
    ("4.15", "fs.inotify.max_user_watches", "inotify_watches_fixed", "8192"),   # formula from 5.11
    ("4.15", "user.max_inotify_watches", "inotify_watches_fixed", "8192"),
    ("5.15", "fs.inotify.max_user_watches", "inotify_watches", "192536"),
    ("4.15", "kernel.threads-max", "threads_max_totalram", "192725"),         # totalram up to 6.11
    ("6.8", "kernel.threads-max", "threads_max_totalram", "192725"),
    ("6.8", "user.max_user_namespaces", "ucount_totalram", "96362"),
    ("6.12", "kernel.threads-max", "threads_max_memblock", "192730"),         # memblock estimate from 6.12
    ("6.18", "user.max_net_namespaces", "ucount_memblock", "96365"),
    ("6.18", "kernel.pid_max", "pid_max", "32768"),
])
def test_each_version_uses_its_own_formula(profile, key, formula, default):
    p = load_profile(profile)
    assert p.machine_formulas[key] == formula
    assert p.spec(key).default == default


def test_a_declared_machine_changes_what_the_kernel_reads():
    k = Kernel(load_profile("6.18", machine="mem=8G,cpus=64"))
    assert k.read("kernel.pid_max") == "65536\n"
    assert k.read("fs.inotify.max_user_watches") == "65470\n"
    assert k.read("fs.epoll.max_user_watches") == "1867375\n"
    assert k.read("user.max_inotify_watches") == "65470\n"
    with pytest.raises(OSError) as e:
        k.write("kernel.pid_max", "511")           # the minimum grew with the CPUs
    assert e.value.errno == errno.EINVAL
    k.write("kernel.pid_max", "512")
    assert k.read("kernel.pid_max") == "512\n"


def test_the_reference_machine_reproduces_the_shipped_profile():
    p = load_profile("6.18")
    assert load_profile("6.18", machine=p.machine) == p


def test_mem_and_cpus_scale_the_boot_counts_like_the_reference_machine():
    ref = load_profile("6.18").machine
    m = parse_machine("mem=8G,cpus=4", reference=ref)
    assert m.cpus == 4 and m.totalram_pages == 2097152
    assert m.buffer_pages == 6141872 * 2097152 // 6167225 == 2088530
    m = parse_machine("cpus=3,buffer_pages=4000", reference=ref)
    assert (m.totalram_pages, m.buffer_pages, m.cpus) == (6167225, 4000, 3)
    assert parse_machine("mem=512MiB", reference=ref).totalram_pages == 131072
    assert parse_machine("mem=1073741824", reference=ref).totalram_pages == 262144


@pytest.mark.parametrize(("text", "message"), [
    ("cpus=0", "--machine: cpus must be a positive integer, not '0'"),
    ("cpus=x", "--machine: cpus must be a positive integer, not 'x'"),
    ("cpus=9000", "--machine: cpus must be at most 8192, not 9000"),
    ("mem=8Q", "--machine: mem must be a size like 8G, 512M or 8589934592, not '8Q'"),
    ("mem=1", "--machine: mem=1 is less than one page"),
    ("cpu=4", ("--machine: unknown item 'cpu' (known: mem, cpus, totalram_pages, memblock_free_pages, "
               "boot_free_pages, buffer_pages, initcall_free_pages)")),
    ("8G", "--machine: expected NAME=VALUE items like mem=8G,cpus=4, not '8G'"),
    ("cpus=2,cpus=4", "--machine: cpus given twice"),
    ("mem=1G,buffer_pages=300000", "--machine: buffer_pages cannot exceed totalram_pages (262144)"),
])
def test_a_malformed_machine_is_refused_with_one_line(text, message):
    with pytest.raises(UsageError) as e:
        load_profile("6.18", machine=text)
    assert str(e.value) == message


def test_a_profile_without_a_machine_model_keeps_its_values_and_refuses_a_machine():
    data = profile_to_dict(load_profile("6.18"))
    del data["machine"], data["machine_formulas"]
    captured = profile_from_dict(data, "capture")
    assert captured.machine is None
    from fakeproc.profiles import apply_machine

    with pytest.raises(UsageError, match=r"^profile 6.18 has no machine model \(a captured profile keeps"):
        apply_machine(captured, "cpus=4")


def test_the_machine_survives_a_profile_round_trip_and_a_saved_state(tmp_path):
    p = load_profile("6.18", machine="mem=2G,cpus=8")
    assert profile_from_dict(profile_to_dict(p)) == p
    k = Kernel(p)
    k.save(tmp_path / "state.json")
    again = Kernel.load(tmp_path / "state.json")
    assert again.profile.machine == p.machine
    assert again.read("kernel.threads-max") == k.read("kernel.threads-max")


def test_explain_shows_every_version_on_the_declared_machine(capsys):
    assert main(["explain", "kernel.threads-max", "--machine", "mem=8G"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\n    4\.15 +4\.15\.0 +65536\n", out)
    assert re.search(r"\n   \*6\.18 +6\.18\.44 +65537\n", out)     # 6.12+: memblock estimate, scaled


@pytest.mark.parametrize("command", [
    ["explain", "kernel.pid_max", "--machine", "cpus=-1"],
    ["run", "--machine", "cpus=-1", "--", "true"],
    ["mount", "--machine", "cpus=-1", "/nonexistent-mountpoint"],
])
def test_the_cli_refuses_a_bad_machine_with_one_line_and_exit_2(command, capsys):
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err == "fakeproc: --machine: cpus must be a positive integer, not '-1'\n"
