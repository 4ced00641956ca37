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
UNSHARE = ("unshare --ipc sh -c 'cat /proc/sys/kernel/sem; sysctl -w kernel.sem=\"20000 1024000000 500 32000\"; "
           "cat /proc/sys/kernel/sem'")
NS_TREE = """\
ipc 3  initial  kernel.sem = 33000 1024000000 500 32000
└── ipc 10  pod sandbox default/joo-modify-sysctl  kernel.sem = 10000 1024000000 500 32000
net 4  initial  devices: lo, eth0, ifb0, ifb1
└── net 11  pod sandbox default/joo-modify-sysctl  devices: lo, eth0
uts 5  initial  kernel.hostname = (none)
└── uts 12  pod sandbox default/joo-modify-sysctl  kernel.hostname = joo-modify-sysctl
user 2  initial
"""
UNSHARE_OUTPUT = f"{CHILD}\nkernel.sem = 20000 1024000000 500 32000\n20000\t1024000000\t500\t32000\n"


def _fuse_ok() -> bool:
    from fakeproc.sandbox import fuse_available

    return fuse_available()[0]


def _our_mounts() -> list[str]:
    """FUSE mounts served by this process (other processes may mount concurrently)."""
    with open("/proc/mounts") as f:
        return [line for line in f if line.startswith(f"fakeproc:{os.getpid()} ")]


def _check_article_values(t: Transcript) -> None:
    assert t.exit_code == 0, [r for r in t.records if r.missing]
    assert t.steps == [1, 2, 3, 4, 5, 6, 7, 8]
    ipc = t.output_of("./ipcns") if any(r.command == "./ipcns" for r in t.records) else t.output_of("python3")
    assert f"at parent - host ipc ns\n{HOST}" in ipc
    assert f"at child - new ipc ns\n{CHILD}" in ipc
    assert "SysctlForbidden" in t.text() and FORBIDDEN in t.text()
    assert t.output_of("fakeproc pod exec joo-modify-sysctl -- cat /proc/sys/kernel/sem") == POD + "\n"
    node = [r.output for r in t.records if r.step == 7 and r.command == "cat /proc/sys/kernel/sem"]
    assert node == [HOST + "\n"]
    assert "size 0" in t.output_of("stat")


def test_demo_in_process_prints_the_article_values_and_says_why() -> None:
    buf = io.StringIO()
    t = run_demo(in_process=True, out=buf)
    _check_article_values(t)
    assert t.mode == "in-process" and t.in_process_steps == [1, 2, 3, 4, 5, 7]
    assert "steps 1, 2, 3, 4, 5, 7 ran in-process only" in buf.getvalue()
    assert t.output_of("fakeproc ns tree") == NS_TREE
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
    assert modes[UNSHARE] == "mount"
    assert t.output_of(UNSHARE) == UNSHARE_OUTPUT
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

    which = steps.shutil.which  # no compiler, every other program as it is (unshare, fusermount3)
    monkeypatch.setattr(steps.shutil, "which", lambda name, *a, **kw: None if name in ("gcc", "cc") else which(name, *a, **kw))
    t = run_demo(steps=[5], out=io.StringIO())
    assert t.exit_code == 0, t.text()
    r = next(r for r in t.records if r.command == "python3 ipcns.py")
    assert r.mode == "mount"
    assert f"at child - new ipc ns\n{CHILD}" in r.output


def test_demo_steps_follow_the_seed_in_its_order() -> None:
    from fakeproc.demo import STEPS

    assert [s.title() for s in STEPS] == [
        "procfs: the /proc/sys tree",
        "sysctl -w and sysctl -p",
        "kernel.sem: fields and defaults",
        "sysctl -w in the parent and in a new IPC namespace",
        "the article's C program (clone with CLONE_NEWIPC)",
        "Kubernetes: the pod refused, then allowed",
        "exec: kernel.sem on the node and in the pod",
        "the namespaces as a tree",
    ]


def test_sysctl_w_in_a_new_ipc_namespace_leaves_the_parent_value() -> None:
    t = run_demo(steps=[4], in_process=True, out=io.StringIO())
    assert t.exit_code == 0
    assert [(r.command, r.output) for r in t.records] == [
        ('sysctl -w kernel.sem="33000 1024000000 500 32000"', "kernel.sem = 33000 1024000000 500 32000\n"),
        ("cat /proc/sys/kernel/sem", HOST + "\n"),
        (UNSHARE, UNSHARE_OUTPUT),
        ("cat /proc/sys/kernel/sem", HOST + "\n"),
    ]


@pytest.mark.parametrize("minor", range(16, 38))
def test_every_kubernetes_version_passes_its_own_checks(minor: int) -> None:
    word = "whitelisted" if minor < 22 else "allowlisted"
    prefix = "Pod " if minor < 26 else "Pod was rejected: "
    t = run_demo(steps=[6, 7], kubernetes_version=f"1.{minor}", in_process=True, out=io.StringIO())
    assert t.exit_code == 0, t.text()
    describe = t.output_of("fakeproc pod describe joo-modify-sysctl")
    assert f'Message:          {prefix}forbidden sysctl: "kernel.sem" not {word}\n' in describe
    assert t.output_of("fakeproc pod exec joo-modify-sysctl -- cat /proc/sys/kernel/sem") == POD + "\n"
    assert [r.command for r in t.records if r.command.startswith("fakeproc pod apply")] == [
        f"fakeproc pod apply -f sysctl_test.yaml --kubernetes-version 1.{minor}",
        f"fakeproc pod apply -f sysctl_test.yaml --kubernetes-version 1.{minor} --allowed-unsafe-sysctls 'kernel.sem'",
    ]


def test_exec_step_alone_deploys_the_pod_first() -> None:
    t = run_demo(steps=[7], in_process=True, out=io.StringIO())
    assert t.exit_code == 0
    assert [r.command for r in t.records] == [
        "fakeproc pod apply -f sysctl_test.yaml --allowed-unsafe-sysctls 'kernel.sem'",
        "cat /proc/sys/kernel/sem",
        "fakeproc pod exec joo-modify-sysctl -- cat /proc/sys/kernel/sem",
    ]
    assert [r.output for r in t.records][1:] == [CHILD + "\n", POD + "\n"]


def test_korean_tells_the_same_commands_and_outputs_in_the_seed_terms() -> None:
    en, ko = io.StringIO(), io.StringIO()
    t_en = run_demo(steps=[1, 3, 4, 5], in_process=True, out=en)
    t_ko = run_demo(steps=[1, 3, 4, 5], in_process=True, out=ko, lang="ko")
    assert t_ko.exit_code == 0
    assert [(r.command, r.output) for r in t_ko.records] == [(r.command, r.output) for r in t_en.records]
    text = ko.getvalue()
    for term in ("== 1/8단계: proc file system: /proc/sys 하위 구조 ==",
                 "== 4/8단계: IPC namespace 분리 시 kernel.sem 값 확인: sysctl -w ==",
                 "host ipc namespace에서 sysctl로 kernel.sem을 변경합니다",
                 "새로운 ipc ns를 갖는 자식 process", "host와 다른 값(default 값)을 가지며"):
        assert term in text
    k8s = io.StringIO()
    assert run_demo(steps=[6], in_process=True, out=k8s, lang="ko").exit_code == 0
    assert "# disabled unsafe sysctls를 사용한 pod은 스케줄링까지는 되지만, launch는 실패합니다" in k8s.getvalue()


def test_every_sentence_has_both_languages_and_no_unknown_fields() -> None:
    import string

    from fakeproc.demo._text import TEXT

    for key, (en, ko) in TEXT.items():
        assert en and ko, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (en, ko)]
        assert fields[1] <= fields[0], key  # Korean needs no plural marker


def test_unknown_language_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown language 'fr'"):
        run_demo(steps=[1], in_process=True, out=io.StringIO(), lang="fr")


class _Keyboard(io.StringIO):
    """stdin that records when Enter was read, relative to what was printed."""

    def __init__(self, out: io.StringIO, presses: str) -> None:
        super().__init__(presses)
        self.out = out
        self.read_at: list[int] = []

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        self.read_at.append(len(self.out.getvalue()))
        return super().readline()


def test_pause_waits_for_enter_before_each_step_after_the_first() -> None:
    out = io.StringIO()
    keys = _Keyboard(out, "\n\n")
    t = run_demo(steps=[1, 3, 4], in_process=True, out=out, pause=True, stdin=keys)
    assert t.exit_code == 0
    text = out.getvalue()
    assert len(keys.read_at) == 2
    assert text[:keys.read_at[0]].endswith("[Enter: step 3]\n")
    assert "Step 3/8" not in text[:keys.read_at[0]] and "Step 3/8" in text[keys.read_at[0]:]
    assert text[:keys.read_at[1]].endswith("[Enter: step 4]\n")
    assert keys.read() == ""  # both presses consumed


def test_pause_goes_on_at_the_end_of_input_and_cli_reads_stdin(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["demo", "--in-process", "--pause", "--lang", "ko", "--step", "1", "--step", "2"]) == 0
    assert "[Enter: 2단계로]\n" in capsys.readouterr().out
