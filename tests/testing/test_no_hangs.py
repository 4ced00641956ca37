"""No hangs and no mounts left behind: a property test that fails and shrinks through a live mount
finishes; SIGTERM unmounts; after SIGKILL the next run cleans the dead mount up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from fakeproc.testing import skip_reason

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = [pytest.mark.fuse, pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))]


def fakeproc_mounts() -> set[str]:
    with open("/proc/mounts") as f:
        return {line.split()[1] for line in f if line.split()[2] == "fuse.fakeproc"}


def start_pytest(tmp_path, source: str, *args: str) -> subprocess.Popen[str]:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-s", str(tmp_path),
                             *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path, proc, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the test never got going"
        time.sleep(0.05)


def test_a_tool_that_never_finishes_fails_the_example_and_shrinking_ends(tmp_path):
    # The tool hangs on every example with an assignment, as stdio-based tools did on a write
    # the fake kernel answered with 0 bytes (vm.stat_refresh): each run is killed after its
    # timeout, so Hypothesis reports the minimal example instead of stalling.
    proc = start_pytest(tmp_path, """
        from hypothesis import HealthCheck, given, settings
        from fakeproc.strategies import sysctl_conf_documents

        @settings(max_examples=20, derandomize=True, database=None, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(doc=sysctl_conf_documents(max_size=3))
        def test_tool(fake_procsys, doc):
            fake_procsys.reset()
            script = "sleep 600" if doc.writes() else "true"
            fake_procsys.run(["sh", "-c", script], timeout=0.5)
        """)
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 1, out
    assert "TimeoutExpired" in out and "Failing test case" in out, out
    assert not any(m for m in fakeproc_mounts() if str(proc.pid) in m)


def test_sigterm_unmounts_and_kills_the_running_tool(tmp_path):
    before = fakeproc_mounts()
    ready = tmp_path / "ready"
    proc = start_pytest(tmp_path, f"""
        import pathlib

        def test_slow(fake_procsys):
            pathlib.Path({str(ready)!r}).write_text(fake_procsys.path)
            fake_procsys.run(["sleep", "600"], timeout=None)
        """)
    wait_for(ready, proc)
    mount = ready.read_text()
    assert mount in fakeproc_mounts()
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode != 0, out
    assert mount not in fakeproc_mounts(), out
    assert fakeproc_mounts() <= before | fakeproc_mounts()


def test_after_sigkill_the_next_run_removes_the_dead_mount(tmp_path):
    ready = tmp_path / "ready"
    proc = start_pytest(tmp_path, f"""
        import pathlib, time

        def test_slow(fake_procsys):
            pathlib.Path({str(ready)!r}).write_text(fake_procsys.path)
            time.sleep(600)
        """)
    wait_for(ready, proc)
    mount = ready.read_text()
    proc.kill()
    proc.communicate(timeout=60)
    assert mount in fakeproc_mounts()                   # dead: nobody could unmount it
    (tmp_path / "ready").unlink()
    nxt = start_pytest(tmp_path, """
        def test_next(fake_procsys):
            assert fake_procsys.run(["true"]).returncode == 0
        """)
    out = nxt.communicate(timeout=120)[0]
    assert nxt.returncode == 0, out
    assert mount not in fakeproc_mounts(), out
