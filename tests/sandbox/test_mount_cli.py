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
