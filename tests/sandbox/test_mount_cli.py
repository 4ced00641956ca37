"""``fakeproc mount`` / ``umount``: a long-lived server, its state, and recovery from a killed server."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeproc.sandbox import mounted
from fakeproc.sandbox._mounts import find_mount
from tests.fuse.support import REPO, requires_fuse, requires_root
from tests.helpers import assert_errno

__all__: list[str] = []

pytestmark = [requires_fuse, requires_root]

FAKEPROC = [sys.executable, "-m", "fakeproc"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FAKEPROC, *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )


@contextlib.contextmanager
def cleanup(path: Path) -> Iterator[Path]:
    """Whatever happens, nothing stays mounted at ``path``."""
    try:
        yield path
    finally:
        for _ in range(5):
            if find_mount(str(path)) is None:
                break
            subprocess.run(["umount", "-l", str(path)], check=False)


def _server_pid(path: Path) -> int:
    entry = find_mount(str(path))
    assert entry is not None
    return int(entry.source.split(":")[1])


def test_mount_in_the_background_then_umount_saves_the_state(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    state = tmp_path / "state.json"
    with cleanup(mnt):
        done = cli("mount", str(mnt), "--state", str(state))
        assert done.returncode == 0, done.stderr
        assert "mounted at" in done.stdout
        assert (mnt / "kernel" / "ostype").read_text() == "Linux\n"
        (mnt / "vm" / "swappiness").write_text("12\n")
        pid = _server_pid(mnt)
        done = cli("umount", str(mnt))
        assert done.returncode == 0, done.stderr
        assert find_mount(str(mnt)) is None
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        assert not os.path.exists(f"/proc/{pid}") or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    with mounted(state=str(state)) as m:
        assert (Path(m.path) / "vm" / "swappiness").read_text() == "12\n"


def test_mount_foreground_ends_cleanly_on_sigterm(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    state = tmp_path / "state.json"
    with cleanup(mnt):
        proc = subprocess.Popen(
            [*FAKEPROC, "mount", str(mnt), "--foreground", "--state", str(state)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_mounted(mnt)
            (mnt / "kernel" / "domainname").write_text("fg.example\n")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert find_mount(str(mnt)) is None
        assert b"Traceback" not in proc.stderr.read()
    assert '"fg.example' in state.read_text() or "fg.example" in state.read_text()


def _wait_mounted(mnt: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = find_mount(str(mnt))
        if entry is not None and entry.fstype == "fuse.fakeproc":
            try:
                os.stat(mnt / "kernel")
                return
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"{mnt} never came up")


def test_a_killed_server_leaves_a_dead_mount_that_the_next_mount_cleans_up(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with cleanup(mnt):
        assert cli("mount", str(mnt)).returncode == 0
        os.kill(_server_pid(mnt), signal.SIGKILL)
        time.sleep(0.2)
        assert_errno(errno.ENOTCONN, os.stat, mnt / "kernel")
        done = cli("mount", str(mnt))
        assert done.returncode == 0, done.stderr
        assert (mnt / "kernel" / "ostype").read_text() == "Linux\n"
        assert cli("umount", str(mnt)).returncode == 0
        assert find_mount(str(mnt)) is None


def test_umount_of_a_dead_mount_cleans_it_up(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with cleanup(mnt):
        assert cli("mount", str(mnt)).returncode == 0
        os.kill(_server_pid(mnt), signal.SIGKILL)
        time.sleep(0.2)
        done = cli("umount", str(mnt))
        assert done.returncode == 0 and "dead" in done.stdout
        assert find_mount(str(mnt)) is None


def test_mounting_over_a_live_mount_is_refused(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with cleanup(mnt), mounted(mountpoint=str(mnt)):
        done = cli("mount", str(mnt))
        assert done.returncode == 2 and "already mounted" in done.stderr


def test_umount_of_something_else_is_refused(tmp_path):
    done = cli("umount", str(tmp_path))
    assert done.returncode == 2 and "not mounted" in done.stderr


def test_mounted_into_a_given_directory_and_inspect_the_write_log(tmp_path, kernel):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with cleanup(mnt), mounted(kernel, mountpoint=str(mnt)) as m:
        assert m.path == str(mnt)
        subprocess.run(["sh", "-c", f"echo 5 > {mnt}/vm/swappiness"], check=True)
        assert kernel.write_log[-1].key == "vm.swappiness"
        assert m.run(["cat", "/proc/sys/vm/swappiness"], capture_output=True, text=True).stdout == "5\n"
    assert find_mount(str(mnt)) is None


def test_mounted_with_both_kernel_and_state_is_a_usage_error(tmp_path, kernel):
    from fakeproc.errors import UsageError

    with pytest.raises(UsageError), mounted(kernel, state=str(tmp_path / "s.json")):
        pass


def test_umount_says_the_server_ended_and_saved_its_state(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    state = tmp_path / "state.json"
    with cleanup(mnt):
        assert cli("mount", str(mnt), "--state", str(state)).returncode == 0
        pid = _server_pid(mnt)
        done = cli("umount", str(mnt))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"unmounted {mnt}; the server (pid {pid}) ended and saved its state to {state}\n"


def test_umount_of_a_mount_held_in_another_namespace_waits_names_the_holder_and_exits_1(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    state = tmp_path / "state.json"
    with cleanup(mnt):
        assert cli("mount", str(mnt), "--state", str(state)).returncode == 0
        (mnt / "vm" / "swappiness").write_text("21\n")
        pid = _server_pid(mnt)
        holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sleep", "60"])
        try:
            _wait_for_mount_in(holder.pid, pid)
            done = cli("umount", "--timeout", "1", str(mnt))
            assert done.returncode == 1
            lines = done.stderr.splitlines()
            assert lines[0].startswith(f"fakeproc: the server (pid {pid}) keeps serving: its mount is still held by pid {holder.pid} (sleep 60)")
            assert lines[1].startswith(f"fakeproc: unmounted {mnt} here, but its server (pid {pid}) did not end")
            assert f"pid {holder.pid} (sleep 60)" in lines[1] and len(lines) == 2
        finally:
            holder.kill()
            holder.wait()
        _wait_gone(pid)
    assert '"21' in state.read_text() or "21" in state.read_text()


def _wait_for_mount_in(pid: int, server: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if f"fakeproc:{server} " in Path(f"/proc/{pid}/mountinfo").read_text():
                return
        time.sleep(0.02)
    raise AssertionError("the holder never had the mount")


def _wait_gone(pid: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError(f"server {pid} still running")


def test_a_lazily_unmounted_server_still_saves(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    state = tmp_path / "state.json"
    with cleanup(mnt):
        assert cli("mount", str(mnt), "--state", str(state)).returncode == 0
        (mnt / "kernel" / "domainname").write_text("lazy.example\n")
        pid = _server_pid(mnt)
        subprocess.run(["umount", "-l", str(mnt)], check=True)
        _wait_gone(pid)
    assert "lazy.example" in state.read_text()


def test_run_on_a_state_held_by_a_live_mount_exits_2_at_once(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    state = tmp_path / "state.json"
    with cleanup(mnt):
        assert cli("mount", str(mnt), "--state", str(state)).returncode == 0
        pid = _server_pid(mnt)
        try:
            start = time.monotonic()
            done = cli("run", "--state", str(state), "--", "true")
            assert time.monotonic() - start < 30
            assert done.returncode == 2
            assert done.stderr == (
                f"fakeproc: state file {state} is in use by the fakeproc mount at {mnt} (server pid {pid}); "
                f"use that mount, or `fakeproc umount {mnt}` first\n"
            )
        finally:
            assert cli("umount", str(mnt)).returncode == 0


def test_a_lock_wait_names_the_holder_once_and_honours_the_timeout(tmp_path):
    state = tmp_path / "state.json"
    lock = tmp_path / "state.json.lock"
    hold = (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        done = cli("run", "--state", str(state), "--lock-timeout", "0.5", "--", "true")
    finally:
        holder.kill()
        holder.wait()
    who = f"pid {holder.pid} ({sys.executable} -c {hold} {lock})"
    assert done.returncode == 2
    assert done.stderr == (
        f"fakeproc: waiting for the lock on {state}, held by {who} (at most 0.5 s)\n"
        f"fakeproc: gave up after 0.5 s waiting for the lock on {state}, held by {who}\n"
    )
