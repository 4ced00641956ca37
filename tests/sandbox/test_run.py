"""``fakeproc run``: exit status, isolation from the host, teardown on every kind of ending."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fakeproc.errors import UsageError
from fakeproc.sandbox import run_command
from tests.fuse.support import REPO, fuse_mount_lines, requires_fuse, requires_root, requires_tool

pytestmark = [requires_fuse, requires_root, requires_tool("unshare", "mount")]

FAKEPROC = [sys.executable, "-m", "fakeproc"]


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("timeout", 120)
    kwargs.setdefault("check", False)
    return subprocess.run([*FAKEPROC, *args], capture_output=True, text=True, cwd=REPO, **kwargs)  # noqa: PLW1510


def _mounts_of(pid: int) -> set[str]:
    """Host FUSE mounts served by process ``pid`` (other suites may mount at the same time)."""
    return {line for line in fuse_mount_lines() if line.startswith(f"fakeproc:{pid} ")}


def test_run_returns_the_command_exit_status(kernel):
    assert run_command(["sh", "-c", "exit 7"], kernel=kernel) == 7
    assert run_command(["true"], kernel=kernel) == 0
    assert run_command(["sh", "-c", "kill -TERM $$"], kernel=kernel) == 128 + signal.SIGTERM


def test_run_with_an_unknown_command_raises_command_not_found_with_status_127(kernel):
    from fakeproc.errors import CommandNotFound

    with pytest.raises(CommandNotFound) as info:
        run_command(["/no/such/command"], kernel=kernel)
    assert info.value.exit_code == 127


def test_run_without_a_command_is_a_usage_error(kernel):
    with pytest.raises(UsageError):
        run_command([], kernel=kernel)


def test_run_writes_go_to_the_given_kernel_and_never_to_the_host(kernel):
    with open("/proc/sys/kernel/domainname") as f:
        host = f.read()
    assert run_command(["sh", "-c", "echo sandbox.example > /proc/sys/kernel/domainname"], kernel=kernel) == 0
    assert kernel.read("kernel.domainname") == "sandbox.example\n"
    with open("/proc/sys/kernel/domainname") as f:
        assert f.read() == host


def test_the_host_proc_sys_is_not_visible_inside(kernel, tmp_path):
    out = tmp_path / "out"
    # mountinfo field 3 is the device: count the mounts of /proc/sys's device (the fake's own FUSE
    # connection), whatever other mounts the machine has.
    script = (
        f"grep -c ' /proc/sys ' /proc/self/mounts > {out}; "
        f"dev=$(awk '$5 == \"/proc/sys\" {{print $3}}' /proc/self/mountinfo); "
        f"awk -v d=\"$dev\" '$3 == d' /proc/self/mountinfo | wc -l >> {out}; "
        f"cat /proc/sys/kernel/domainname >> {out}"
    )
    kernel.write("kernel.domainname", "fake-only")
    assert run_command(["sh", "-c", script], kernel=kernel) == 0
    # One mount at /proc/sys (the fake one) and no other copy of the FUSE mount inside.
    assert out.read_text().split() == ["1", "1", "fake-only"]


def test_run_leaves_no_mount_behind_also_after_a_failure(kernel):
    run_command(["sh", "-c", "exit 3"], kernel=kernel)
    run_command(["sh", "-c", "kill -KILL $$"], kernel=kernel)
    assert _mounts_of(os.getpid()) == set()


def test_cli_run_prints_nothing_of_its_own_and_passes_the_status():
    done = cli("run", "--", "sh", "-c", "cat /proc/sys/kernel/ostype; exit 5")
    assert (done.returncode, done.stdout, done.stderr) == (5, "Linux\n", "")


def test_cli_run_with_another_profile():
    done = cli("run", "--kernel", "4.15", "--", "cat", "/proc/sys/kernel/osrelease")
    assert done.returncode == 0 and done.stdout.startswith("4.15")


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_ends_the_command_and_tears_everything_down(tmp_path, sig):
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [*FAKEPROC, "run", "--", "sh", "-c", f"touch {marker}; exec sleep 60"],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(marker.exists)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # what the terminal does on Ctrl-C: the whole process group
        else:
            proc.send_signal(sig)  # only fakeproc: it forwards to the command
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert rc == 128 + sig
    assert b"Traceback" not in proc.stderr.read()
    assert _mounts_of(proc.pid) == set()


def test_killing_the_command_with_sigkill_tears_down(tmp_path):
    pidfile = tmp_path / "pid"
    proc = subprocess.Popen(
        [*FAKEPROC, "run", "--", "sh", "-c", f"echo $$ > {pidfile}; exec sleep 60"], cwd=REPO
    )
    try:
        _wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
        os.kill(int(pidfile.read_text()), signal.SIGKILL)
        assert proc.wait(timeout=30) == 128 + signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _mounts_of(proc.pid) == set()


def test_killing_fakeproc_itself_leaves_nothing_mounted_on_the_host(tmp_path):
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [*FAKEPROC, "run", "--", "sh", "-c", f"touch {marker}; exec sleep 30"],
        cwd=REPO,
        start_new_session=True,
    )
    try:
        _wait_for(marker.exists)
        proc.kill()  # SIGKILL the server: no cleanup code runs
        proc.wait()
        # The host copy was detached as soon as the command's bind was in place.
        assert _mounts_of(proc.pid) == set()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def test_run_state_file_persists_between_runs(tmp_path):
    state = str(tmp_path / "state.json")
    assert (
        cli("run", "--state", state, "--", "sh", "-c", "echo kept > /proc/sys/kernel/domainname").returncode
        == 0
    )
    done = cli("run", "--state", state, "--", "cat", "/proc/sys/kernel/domainname")
    assert done.stdout == "kept\n"
    json.loads((tmp_path / "state.json").read_text())


def test_concurrent_runs_on_one_state_file_are_serialised(tmp_path):
    state = str(tmp_path / "state.json")
    script = "v=$(cat /proc/sys/vm/swappiness); sleep 0.1; echo $((v + 1)) > /proc/sys/vm/swappiness"
    procs = [
        subprocess.Popen([*FAKEPROC, "run", "--state", state, "--", "sh", "-c", script], cwd=REPO)
        for _ in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    done = cli("run", "--state", state, "--", "cat", "/proc/sys/vm/swappiness")
    assert done.stdout == "64\n"


def test_sigterm_saves_the_state(tmp_path):
    state = tmp_path / "state.json"
    marker = tmp_path / "written"
    proc = subprocess.Popen(
        [
            *FAKEPROC,
            "run",
            "--state",
            str(state),
            "--",
            "sh",
            "-c",
            f"echo 77 > /proc/sys/vm/swappiness; touch {marker}; exec sleep 60",
        ],
        cwd=REPO,
        start_new_session=True,
    )
    try:
        _wait_for(marker.exists)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    done = cli("run", "--state", str(state), "--", "cat", "/proc/sys/vm/swappiness")
    assert done.stdout == "77\n"


def test_ns_label_maps_the_command_to_a_labelled_namespace_set(kernel):
    pod = kernel.unshare(kernel.init_ns, ipc=True, uts=True, label="pod/default/web")
    kernel.write("kernel.hostname", "web-0", ns=pod)
    kernel.write("kernel.shmmni", "100", ns=pod)
    script = "cat /proc/sys/kernel/hostname /proc/sys/kernel/shmmni; echo 200 > /proc/sys/kernel/shmmni"
    rc = run_command(["sh", "-c", script], kernel=kernel, ns_label="pod/default/web")
    assert rc == 0
    assert kernel.read("kernel.shmmni", ns=pod) == "200\n"
    assert kernel.read("kernel.shmmni") == "4096\n"
    with pytest.raises(UsageError):
        run_command(["true"], kernel=kernel, ns_label="no/such/label")


def test_run_of_a_missing_command_exits_127_before_mounting(capsys) -> None:  # type: ignore[no-untyped-def]
    from fakeproc.cli.main import main

    assert main(["run", "--", "/nonexistent/fakeproc-no-such-command"]) == 127
    assert capsys.readouterr().err == "fakeproc: /nonexistent/fakeproc-no-such-command: command not found\n"


def test_the_next_run_reclaims_the_mountpoint_a_killed_run_left(tmp_path):
    import glob

    from fakeproc.sandbox import runtime_dir

    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [*FAKEPROC, "run", "--", "sh", "-c", f"touch {marker}; exec sleep 30"], cwd=REPO, start_new_session=True
    )
    try:
        _wait_for(marker.exists)
        proc.kill()
        proc.wait()
        left = glob.glob(os.path.join(runtime_dir(), f"mnt-{proc.pid}-*"))
        assert len(left) == 1
        assert cli("run", "--", "true").returncode == 0
        assert not os.path.exists(left[0])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
