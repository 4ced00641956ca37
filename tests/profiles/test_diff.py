"""``fakeproc diff A B``: keys added and removed, changed fields, grouped by subsystem."""

from __future__ import annotations

import json

import pytest

from fakeproc.cli.main import main
from fakeproc.errors import UsageError
from fakeproc.profiles import load_profile, profile_to_dict
from fakeproc.profiles.diff import diff_profiles, subsystem_of


def test_upgrade_5_15_to_6_8_adds_io_uring_and_memfd_noexec_and_removes_tcp_rx_skb_cache():
    d = diff_profiles("5.15", "6.8")
    added = {c.key for s in d.subsystems.values() for c in s.added}
    removed = {c.key for s in d.subsystems.values() for c in s.removed}
    assert {"kernel.io_uring_disabled", "vm.memfd_noexec", "net.mptcp.pm_type"} <= added
    assert {"net.ipv4.tcp_rx_skb_cache", "kernel.sched_child_runs_first"} <= removed
    assert not added & removed


def test_changed_keys_report_old_and_new_value_of_each_field():
    d = diff_profiles("5.15", "6.8")
    assert d.subsystems["vm"].changed_keys()["vm.watermark_scale_factor"] == {"max": (1000, 3000)}
    assert d.subsystems["kernel"].changed_keys()["kernel.sem_next_id"]["mode"] == ("0644", "0444")
    assert d.header["hz"] == (250, 1000)


def test_keys_are_grouped_by_subsystem_with_net_split_by_family():
    assert [subsystem_of(k) for k in ("kernel.sem", "net.ipv4.tcp_ecn", "net.unix.max_dgram_qlen", "vm.swappiness")] \
        == ["kernel", "net.ipv4", "net.unix", "vm"]
    d = diff_profiles("6.1", "6.12")
    for name, s in d.subsystems.items():
        assert all(subsystem_of(c.key) == name for c in s.added + s.removed + s.changed)


def test_a_profile_compared_with_itself_has_no_differences():
    d = diff_profiles("6.12", "6.12")
    assert d.counts() == {"added": 0, "removed": 0, "changed": 0} and d.subsystems == {}


def test_a_capture_file_is_accepted_as_a_side(tmp_path):
    data = profile_to_dict(load_profile("6.8"))
    data["name"] = "my-node"
    data["entries"] = [e for e in data["entries"] if e["key"] != "kernel.io_uring_disabled"]
    path = tmp_path / "node.json"
    path.write_text(json.dumps(data))
    d = diff_profiles(str(path), "6.8")
    assert [c.key for c in d.subsystems["kernel"].added] == ["kernel.io_uring_disabled"]
    assert d.counts() == {"added": 1, "removed": 0, "changed": 0}


def test_unknown_profile_is_a_usage_error():
    with pytest.raises(UsageError):
        diff_profiles("5.15", "5.99")


def test_cli_prints_grouped_report_and_exits_0(capsys):
    assert main(["diff", "5.15", "6.8"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5.15 (5.15.0) -> 6.8 (6.8.0): 873 -> 921 keys;")
    assert "\n[kernel] " in out and "  + kernel.io_uring_disabled = 0  (0644, proc_dointvec_minmax [0, 2])\n" in out


def test_cli_json_after_the_subcommand_or_before_it(capsys):
    assert main(["diff", "6.1", "6.8", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert main(["--json", "diff", "6.1", "6.8"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert after == before
    assert after["from"]["name"] == "6.1" and after["to"]["name"] == "6.8"
    assert any(c["key"] == "kernel.io_uring_disabled" for c in after["subsystems"]["kernel"]["added"])


def test_cli_unknown_profile_exits_2_with_one_line(capsys):
    assert main(["diff", "5.15", "5.99"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fakeproc: unknown kernel profile '5.99'")
