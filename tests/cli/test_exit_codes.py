"""One exit-code policy for every command (``fakeproc --help`` states it): 0 done, 1 refused or
failed, 2 usage or environment (one ``fakeproc: ...`` line on stderr, no traceback), 127 a command
to run that does not exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakeproc.cli.main import main

FORBIDDEN_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    sysctls: [{name: kernel.sem, value: "10000 1024000000 500 32000"}]
  containers: [{name: c, image: nginx}]
"""


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every command's default state file lives in this test's directory."""
    monkeypatch.setenv("FAKEPROC_STATE", str(tmp_path / "state.json"))
    (tmp_path / "corrupt.json").write_bytes(b"\xff\xfe not json")
    (tmp_path / "forbidden.yaml").write_text(FORBIDDEN_POD)
    return tmp_path


USAGE = [
    ["explain", "no.such.key"],
    ["explain", "kernel.sem", "--kernel", "5.10"],
    ["capture", "--compare", "5.10"],
    ["diff", "6.18", "5.10"],
    ["mount", "/nonexistent/dir"],
    ["umount", "/nonexistent"],
    ["run"],
    ["run", "--kernel", "5.10", "--", "true"],
    ["pod", "get", "nope"],
    ["pod", "apply", "-f", "/no/such/file.yaml"],
    ["pod", "check", "-f", "/no/such/file.yaml"],
    ["pod", "describe", "pod/nope"],
    ["pod", "delete", "nope"],
    ["pod", "exec", "nope", "--", "true"],
    ["demo", "--step", "99"],
    ["reboot", "--etc", "/no/such/dir"],
    ["ns", "tree", "-o", "tree.bmp"],
]


@pytest.mark.parametrize("argv", USAGE, ids=" ".join)
def test_a_usage_error_is_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fakeproc: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--bogus"], ["explain"], ["pod", "apply"], ["diff", "6.18"]], ids=" ".join)
def test_bad_options_exit_2_with_argparse_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert "usage: fakeproc" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["reboot"], ["pod", "get"], ["ns", "tree"]], ids=" ".join)
def test_a_corrupt_state_file_is_a_failure_exit_1(command: list[str], state: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--state", str(state / "corrupt.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fakeproc: state file ") and err.count("\n") == 1


def test_a_pod_that_would_not_start_is_a_refusal_exit_1(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pod", "check", "-f", str(state / "forbidden.yaml")]) == 1


def test_a_missing_command_to_run_exits_127(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--", "no-such-command-for-fakeproc"]) == 127
    assert capsys.readouterr().err == "fakeproc: no-such-command-for-fakeproc: command not found\n"


@pytest.mark.parametrize("argv", [["--json", "explain", "kernel.sem"], ["explain", "kernel.sem", "--json"],
                                  ["explain", "--json", "kernel.sem"], ["diff", "--json", "5.15", "6.8"],
                                  ["--json", "diff", "5.15", "6.8"]], ids=" ".join)
def test_json_is_accepted_before_or_after_the_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    json.loads(capsys.readouterr().out)


def test_help_states_the_exit_status_policy(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for line in ("0    done", "1    the operation ran and was refused or failed", "2    usage or environment",
                 "127  run: the command to run was not found"):
        assert line in out
