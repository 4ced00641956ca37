"""``fakeproc demo``: every step runs and prints the article's values, in-process and through the mount."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakeproc.cli.main import main
from fakeproc.demo import Printer, Transcript, asset_text, run_demo
from fakeproc.errors import UsageError

HOST = "33000\t1024000000\t500\t32000"
CHILD = "32000\t1024000000\t500\t32000"
POD = "10000\t1024000000\t500\t32000"
FORBIDDEN = 'forbidden sysctl: "kernel.sem" not allowlisted'


def _fuse_ok() -> bool:
    from fakeproc.sandbox import fuse_available

    return fuse_available()[0]


def _our_mounts() -> list[str]:
    """FUSE mounts served by this process (other processes may mount concurrently)."""
    with open("/proc/mounts") as f:
        return [line for line in f if line.startswith(f"fakeproc:{os.getpid()} ")]


def _check_article_values(t: Transcript) -> None:
    assert t.exit_code == 0, [r for r in t.records if r.missing]
    assert t.steps == [1, 2, 3, 4, 5]
    ipc = t.output_of("./ipcns") if any(r.command == "./ipcns" for r in t.records) else t.output_of("python3")
    assert f"at parent - host ipc ns\n{HOST}" in ipc
    assert f"at child - new ipc ns\n{CHILD}" in ipc
    assert "SysctlForbidden" in t.text() and FORBIDDEN in t.text()
    assert t.output_of("fakeproc pod exec joo-modify-sysctl -- cat /proc/sys/kernel/sem") == POD + "\n"
    node = [r.output for r in t.records if r.step == 5 and r.command == "cat /proc/sys/kernel/sem"]
    assert node == [HOST + "\n"]
    assert "size 0" in t.output_of("stat")


def test_demo_in_process_prints_the_article_values_and_says_why() -> None:
    buf = io.StringIO()
    t = run_demo(in_process=True, out=buf)
    _check_article_values(t)
    assert t.mode == "in-process" and t.in_process_steps == [1, 2, 3, 4, 5]
    assert "steps 1, 2, 3, 4, 5 ran in-process only" in buf.getvalue()
    assert "\033[" not in buf.getvalue()


@pytest.mark.fuse
@pytest.mark.skipif(not _fuse_ok(), reason="FUSE is not usable here")
def test_demo_through_the_mount_runs_real_programs_and_leaves_no_mount() -> None:
    buf = io.StringIO()
    t = run_demo(out=buf)
    _check_article_values(t)
    assert t.mode == "mount" and t.in_process_steps == []
    modes = {r.command: r.mode for r in t.records}
    assert modes["sysctl -p demo.conf"] == "mount"
    assert modes["fakeproc pod exec joo-modify-sysctl -- cat /proc/sys/kernel/sem"] == "mount"
    assert "ran in-process only" not in buf.getvalue()
    assert _our_mounts() == []


@pytest.mark.fuse
@pytest.mark.skipif(not _fuse_ok(), reason="FUSE is not usable here")
def test_python_ipc_test_through_the_mount_prints_host_then_defaults(tmp_path: Path) -> None:
    from fakeproc import Kernel
    from fakeproc.sandbox import mounted

    script = tmp_path / "ipcns.py"
    script.write_text(asset_text("ipcns.py"))
    k = Kernel("6.18")
    k.set("kernel.sem", "33000 1024000000 500 32000")
    with mounted(kernel=k) as m:
        r = m.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"at parent - host ipc ns\n{HOST}\n\n\nat child - new ipc ns\n{CHILD}\n\n\n"


def test_demo_step_option_runs_only_the_chosen_steps() -> None:
    t = run_demo(steps=[4], in_process=True, out=io.StringIO())
    assert t.steps == [4] and {r.step for r in t.records} == {4}
    assert t.exit_code == 0


def test_demo_rejects_an_unknown_step_before_running_anything() -> None:
    buf = io.StringIO()
    with pytest.raises(UsageError):
        run_demo(steps=[9], in_process=True, out=buf)
    assert buf.getvalue() == ""


def test_demo_with_the_4_15_kernel_and_an_older_kubernetes() -> None:
    t = run_demo(steps=[3, 4, 5], kernel="4.15", kubernetes_version="1.25", in_process=True, out=io.StringIO())
    assert t.exit_code == 0
    assert "4.15" in t.output_of("fakeproc explain kernel.sem")


def test_demo_does_not_touch_the_default_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEPROC_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    run_demo(steps=[2], in_process=True, out=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_printer_colours_only_when_asked_or_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.StringIO()
    Printer(buf, color=True).command("ls")
    assert "\033[" in buf.getvalue()

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert Printer(Tty()).color
    monkeypatch.setenv("NO_COLOR", "1")
    assert not Printer(Tty()).color
    assert not Printer(io.StringIO()).color


def test_cli_demo_writes_plain_text_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--in-process", "--step", "1"]) == 0
    out = capsys.readouterr().out
    assert "$ cat /proc/sys/kernel/sem\n32000\t1024000000\t500\t32000\n" in out
    assert "\033[" not in out


def test_cli_demo_json_has_the_records(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["--json", "demo", "--in-process", "--step", "4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["steps"] == [4] and data["exit_code"] == 0
    assert any(CHILD in r["output"] for r in data["records"])


@pytest.mark.slow
def test_demo_runs_end_to_end_as_a_subprocess() -> None:
    env = dict(os.environ, NO_COLOR="1")
    r = subprocess.run([sys.executable, "-m", "fakeproc", "demo"], capture_output=True, text=True,
                       timeout=600, env=env, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    for value in (HOST, CHILD, POD, "SysctlForbidden", FORBIDDEN):
        assert value in r.stdout


@pytest.mark.fuse
@pytest.mark.skipif(not _fuse_ok(), reason="FUSE is not usable here")
def test_demo_without_a_compiler_runs_the_python_ipc_test_through_the_mount(monkeypatch: pytest.MonkeyPatch) -> None:
    import fakeproc.demo._steps as steps

    monkeypatch.setattr(steps.shutil, "which", lambda name: None)
    t = run_demo(steps=[4], out=io.StringIO())
    assert t.exit_code == 0, t.text()
    r = next(r for r in t.records if r.command == "python3 ipcns.py")
    assert r.mode == "mount"
    assert f"at child - new ipc ns\n{CHILD}" in r.output
