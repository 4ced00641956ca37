"""``fakeproc reboot``: boot defaults back, then the boot-time configuration as the real tools apply it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fakeproc import Kernel
from fakeproc.cli.commands.reboot import boot_files, reboot, reboot_kernel
from fakeproc.cli.main import main


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    d = tmp_path / "etc"
    _write(d / "sysctl.conf", "vm.swappiness = 10\n")
    _write(d / "sysctl.d" / "60-net.conf", "net.core.somaxconn = 8192\n")
    _write(d / "sysctl.d" / "10-first.conf", "vm.swappiness = 20\n")
    return d


def test_reboot_without_config_resets_written_values_to_boot_defaults() -> None:
    k = Kernel("6.18")
    k.set("vm.swappiness", "10")
    r = reboot_kernel(k)
    assert k.read("vm.swappiness") == "60\n"
    assert r.reset == (("vm.swappiness", "10\n", "60\n"),)
    assert r.files == () and r.settings == ()


def test_reboot_drops_every_non_initial_namespace() -> None:
    k = Kernel("6.18")
    k.unshare(k.init_ns, ipc=True, label="pod")
    r = reboot_kernel(k)
    assert r.dropped_namespaces == 1
    assert k.namespace_by_label("pod") is None


def test_reboot_applies_sysctl_d_in_name_order_then_etc_sysctl_conf(etc: Path) -> None:
    k = Kernel("6.18")
    r = reboot_kernel(k, etc=etc)
    assert r.files == ("/etc/sysctl.d/10-first.conf", "/etc/sysctl.d/60-net.conf", "/etc/sysctl.conf")
    assert r.transcript().splitlines()[:3] == [f"* Applying {f} ..." for f in r.files]
    # /etc/sysctl.conf comes last, so its value wins.
    assert k.read("vm.swappiness") == "10\n"
    assert k.read("net.core.somaxconn") == "8192\n"
    assert r.exit_status == 0


def test_reboot_with_root_lets_etc_shadow_usr_lib_files_of_the_same_name(tmp_path: Path, etc: Path) -> None:
    root = tmp_path / "root"
    _write(root / "usr/lib/sysctl.d/60-net.conf", "net.core.somaxconn = 1\n")
    _write(root / "usr/lib/sysctl.d/50-lib.conf", "kernel.domainname = fromlib\n")
    files = [c.path for c, _ in boot_files(etc=etc, root=root)]
    assert files == ["/etc/sysctl.d/10-first.conf", "/usr/lib/sysctl.d/50-lib.conf",
                     "/etc/sysctl.d/60-net.conf", "/etc/sysctl.conf"]
    k = Kernel("6.18")
    reboot_kernel(k, etc=etc, root=root)
    assert k.read("net.core.somaxconn") == "8192\n"
    assert k.read("kernel.domainname") == "fromlib\n"


def test_reboot_reports_a_kernel_refusal_in_procps_wording_and_fails(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    _write(etc / "sysctl.conf", "kernel.sem = 1 2 3 99999999\nvm.swappiness = 10\n")
    k = Kernel("6.18")
    r = reboot_kernel(k, etc=etc)
    assert 'sysctl: setting key "kernel.sem": Numerical result out of range' in r.lines
    assert [s.key for s in r.refused] == ["kernel.sem"]
    assert [s.key for s in r.applied] == ["vm.swappiness"]
    assert r.exit_status == 1
    # proc_ipc_sem_dointvec puts back only SEMMNI: the first three fields were stored.
    assert k.read("kernel.sem") == "1\t2\t3\t32000\n"


def test_reboot_procps_system_ignores_unknown_keys_silently(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    _write(etc / "sysctl.conf", "vm.no_such_key = 1\n")
    r = reboot_kernel(Kernel("6.18"), etc=etc)
    assert r.exit_status == 0
    assert r.settings[0].status == "ignored" and r.settings[0].message is None


def test_reboot_systemd_does_not_read_etc_sysctl_conf_and_uses_its_wording(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    _write(etc / "sysctl.conf", "vm.swappiness = 10\n")
    _write(etc / "sysctl.d" / "50-x.conf", "kernel.sem = 1 2 3 99999999\nnot an assignment\n")
    k = Kernel("6.18")
    r = reboot_kernel(k, etc=etc, dialect="systemd")
    assert r.files == ("/etc/sysctl.d/50-x.conf",)
    assert "Couldn't write '1 2 3 99999999' to 'kernel/sem': Numerical result out of range" in r.lines
    assert "/etc/sysctl.d/50-x.conf:2: Line is not an assignment, ignoring: not an assignment" in r.lines
    assert k.read("vm.swappiness") == "60\n"
    assert r.exit_status == 1


def test_reboot_of_a_state_file_is_saved(tmp_path: Path, etc: Path) -> None:
    state = tmp_path / "state.json"
    k = Kernel("6.18")
    k.set("kernel.hostname", "before")
    k.save(state)
    reboot(state=state, etc=etc)
    k2 = Kernel.load(state)
    assert k2.read("kernel.hostname") == "(none)\n"
    assert k2.read("vm.swappiness") == "10\n"


def test_cli_reboot_prints_the_tool_output_and_exits_with_its_status(tmp_path: Path, etc: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    assert main(["reboot", "--state", str(state), "--etc", str(etc)]) == 0
    out = capsys.readouterr().out
    assert "* Applying /etc/sysctl.conf ..." in out and "net.core.somaxconn = 8192" in out
    _write(etc / "sysctl.d" / "70-bad.conf", "kernel.sem = 1 2 3 99999999\n")
    assert main(["--json", "reboot", "--state", str(state), "--etc", str(etc)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_status"] == 1 and data["tool"] == "sysctl --system"


def test_cli_reboot_never_uses_the_default_state_when_given_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    default = tmp_path / "default.json"
    monkeypatch.setenv("FAKEPROC_STATE", str(default))
    assert main(["reboot", "--state", str(tmp_path / "mine.json")]) == 0
    assert not default.exists()
    assert os.path.exists(tmp_path / "mine.json")
