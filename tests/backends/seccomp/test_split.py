"""``fakeproc run --backend seccomp`` in two processes: the model's and the supervisor's.

The parent serves the mount and keeps the model; a forked child holds the listener and runs CMD.
Attribution crosses between them through a shared table (:mod:`fakeproc.serve._proxies`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fakeproc.backends.seccomp import available
from fakeproc.serve._proxies import SLOTS, Acting, SharedProxies
from tests.fuse.support import REPO, requires_fuse, requires_root

FAKEPROC = [sys.executable, "-m", "fakeproc", "run", "--backend", "seccomp", "--"]
needs_backend = pytest.mark.skipif(available() is not None, reason=str(available()))


# ---------------------------------------------------------------------- the shared table


def test_a_slot_written_by_another_process_is_read_for_that_thread_only():
    table = SharedProxies()
    try:
        slot = table.reserve()
        up_r, up_w = os.pipe()
        down_r, down_w = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the writer
            acting = Acting(table.path(), slot)
            with acting.on(4242):
                os.write(up_w, acting.tid.to_bytes(4, "little"))
                os.read(down_r, 1)  # held until the parent has looked
            os._exit(0)
        tid = int.from_bytes(os.read(up_r, 4), "little")
        assert table.get(tid, 7) == 4242
        assert table.get(tid + 1, 7) == 7  # another thread is itself
        os.write(down_w, b"x")
        os.waitpid(child, 0)
        assert table.get(tid, 7) == 7  # the block ended: the thread is itself again
        for fd in (up_r, up_w, down_r, down_w):
            os.close(fd)
    finally:
        table.close()


def test_a_released_slot_is_not_read_and_slots_run_out_with_eagain():
    table = SharedProxies()
    try:
        slot = table.reserve()
        acting = Acting(table.fd, slot)
        with acting.on(99):
            table.release(slot)
            assert table.get(acting.tid, 0) == 0
            assert not table
        for _ in range(SLOTS):
            table.reserve()
        with pytest.raises(OSError, match="no free slot"):
            table.reserve()
    finally:
        table.close()


def test_in_process_entries_and_slots_are_both_read():
    table = SharedProxies()
    try:
        table[11] = 22
        assert (table.get(11, 0), bool(table)) == (22, True)
        assert table.pop(11) == 22
        assert (table.get(11, 0), bool(table)) == (0, False)
    finally:
        table.close()


# ---------------------------------------------------------------------- through `fakeproc run`


def _run(*argv: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FAKEPROC, *argv], capture_output=True, text=True, cwd=REPO, timeout=120,
                          check=False, **kw)  # type: ignore[call-overload]


@needs_backend
@requires_fuse
def test_the_supervisor_runs_in_a_process_of_its_own_below_the_server():
    # sh's parent is the supervisor; its parent is fakeproc, which serves the mount
    script = 'p=$(awk "/^PPid/{print \\$2}" /proc/$$/status); awk "/^PPid/{print \\$2}" /proc/$p/status; echo $p'
    proc = subprocess.Popen([*FAKEPROC, "sh", "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    out, _ = proc.communicate(timeout=120)
    grandparent, parent = (int(x) for x in out.split())
    assert proc.returncode == 0
    assert grandparent == proc.pid
    assert parent != proc.pid


@needs_backend
@requires_fuse
@requires_root  # unshare --ipc needs CAP_SYS_ADMIN
def test_a_write_and_a_new_ipc_namespace_are_attributed_to_the_caller_across_processes(tmp_path):
    state = str(tmp_path / "state.json")
    script = ("sysctl -qw kernel.sem='33000 1024000000 500 32000'; unshare --ipc cat /proc/sys/kernel/sem; "
              "unshare --ipc sh -c 'echo 1 2 3 4 > /proc/sys/kernel/sem; cat /proc/sys/kernel/sem'; "
              "cat /proc/sys/kernel/sem")
    done = subprocess.run([sys.executable, "-m", "fakeproc", "run", "--state", state, "--backend", "seccomp", "--",
                           "sh", "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["32000\t1024000000\t500\t32000", "1\t2\t3\t4", "33000\t1024000000\t500\t32000"]
    with open(state) as f:  # the server's process saved what the command wrote
        assert "33000" in json.dumps(json.load(f))


@needs_backend
@requires_fuse
def test_the_commands_exit_status_and_a_missing_command_come_back_from_the_supervisor():
    assert _run("sh", "-c", "exit 3").returncode == 3
    done = _run("sh", "-c", "kill -TERM $$")
    assert done.returncode == 128 + signal.SIGTERM


@needs_backend
@requires_fuse
def test_sigterm_to_fakeproc_reaches_the_command_through_the_supervisor():
    script = 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done'
    proc = subprocess.Popen([*FAKEPROC, "sh", "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (7, "got TERM\n")


@needs_backend
@requires_fuse
def test_python_m_fakeproc_backends_seccomp_uses_the_same_launcher():
    done = subprocess.run([sys.executable, "-m", "fakeproc.backends.seccomp", "--", "sh", "-c",
                           "echo 5 > /proc/sys/vm/swappiness; cat /proc/sys/vm/swappiness; uname -n"],
                          capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "5\n(none)\n", "")


# ---------------------------------------------------------------------- MountHandle.run, redirected

DEFAULT_SEM = "32000\t1024000000\t500\t32000"


@needs_backend
@requires_fuse
@requires_root  # unshare --ipc needs CAP_SYS_ADMIN
def test_mount_handle_run_redirected_attributes_the_supervisors_opens_to_the_caller(monkeypatch, mount):
    # The path a normal user without user namespaces takes: the supervisor in a process of its own
    from fakeproc.sandbox import _mount

    monkeypatch.setattr(_mount, "redirect_needed", lambda: True)
    mount.kernel.write("kernel.sem", "33000 1024000000 500 32000")
    script = "unshare --ipc cat /proc/sys/kernel/sem; cat /proc/sys/kernel/sem"
    done = mount.run(["sh", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # A new IPC namespace starts from the compile-time defaults; the first one keeps the write.
    assert done.stdout.splitlines() == [DEFAULT_SEM, "33000\t1024000000\t500\t32000"]
    assert mount._slots == []  # the slot went back when the command ended


@needs_backend
@requires_fuse
def test_a_popen_redirected_holds_its_slot_until_the_mount_closes(monkeypatch, mount):
    from fakeproc.sandbox import _mount

    monkeypatch.setattr(_mount, "redirect_needed", lambda: True)
    with mount.popen(["cat", "/proc/sys/kernel/ostype"], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.communicate(timeout=60)[0] == "Linux\n"
    assert len(mount._slots) == 1
    del proc  # the slot goes back with the Popen
    assert mount._slots == []
    kept = mount.popen(["true"])
    kept.wait()
    mount.close()
    assert mount._slots == []


@needs_backend
@requires_fuse
def test_with_every_slot_taken_a_redirected_command_still_runs(monkeypatch, mount, caplog):
    from fakeproc.sandbox import _mount

    monkeypatch.setattr(_mount, "redirect_needed", lambda: True)
    table = mount.resolver.share_proxies()
    for _ in range(SLOTS):
        table.reserve()
    done = mount.run(["cat", "/proc/sys/kernel/ostype"], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "Linux\n")
    assert "no free slot to attribute cat's opens" in caplog.text


# ---------------------------------------------------------------------- the API: split or one process


@needs_backend
@requires_fuse
@pytest.mark.parametrize("split", [True, False])
def test_the_model_that_changes_is_the_callers_in_both_topologies(monkeypatch, capfd, split):
    import threading

    import fakeproc
    from fakeproc.backends.seccomp import _split
    from fakeproc.sandbox import run

    if split and threading.active_count() > 1:
        pytest.skip("another thread runs in this test process: the launcher would not fork")
    calls: list[bool] = []
    real = _split.run_split

    def spy(*args, **kwargs):
        calls.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(_split, "run_split", spy)
    monkeypatch.setattr(_split, "can_fork", lambda: split)  # False: as when another thread runs
    kernel = fakeproc.Kernel("6.18")
    capfd.readouterr()
    kernel.write("kernel.hostname", "box")
    # (sethostname itself is tested in a throwaway UTS namespace: test_uts_names_by_backend.py)
    done = run(["sh", "-c", "echo 9 > /proc/sys/vm/swappiness; uname -n; cat /proc/sys/vm/swappiness"],
               kernel=kernel, backend="seccomp")
    assert (done.exit_code, capfd.readouterr().out) == (0, "box\n9\n")
    assert calls == ([True] if split else [])
    # the server's process holds the model: what CMD wrote is in the caller's kernel
    assert kernel.read("vm.swappiness") == "9\n"


@pytest.mark.parametrize(("env", "load", "cpus", "want"), [
    (None, 0.4, 2, 200.0),   # a CPU is free for the spinning server
    (None, 1.0, 2, 200.0),
    (None, 1.3, 2, 0.0),     # it would take the CPU the command and the supervisor need
    (None, 0.1, 1, 0.0),     # one CPU (the server does not spin there anyway)
    ("50", 3.0, 2, 50.0),    # the environment decides
    ("", 0.1, 2, 0.0),
])
def test_the_split_servers_busy_poll_follows_free_cpus_unless_the_environment_says(monkeypatch, env, load, cpus, want):
    from fakeproc.backends import seccomp

    if env is None:
        monkeypatch.delenv("FAKEPROC_FUSE_BUSY_POLL_US", raising=False)
    else:
        monkeypatch.setenv("FAKEPROC_FUSE_BUSY_POLL_US", env)
    monkeypatch.setattr(seccomp.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(seccomp.os, "sched_getaffinity", lambda pid: set(range(cpus)))
    assert seccomp.busy_poll_us() == want
