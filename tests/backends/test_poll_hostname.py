"""poll(2), select and epoll on ``kernel/hostname`` report its changes as procfs does
(``proc_sys_poll``, fs/proc/proc_sysctl.c): through the FUSE mount and the seccomp backend
exactly; under the emulated backend with its stated, logged limits.

The same scenario (tests/backends/poll_scenario.py) runs against the real kernel in a throwaway
UTS namespace, which is where the table comes from; no test changes the machine's names.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.backends.test_uts_names_by_backend import _real_names, own_uts
from tests.fuse.support import FUSE_OK, FUSE_WHY

__all__ = ["own_uts"]

SCENARIO = str(Path(__file__).with_name("poll_scenario.py"))
IN, OUT, PRI, ERR = select.POLLIN, select.POLLOUT, select.POLLPRI, select.POLLERR
RDNORM, WRNORM = select.POLLRDNORM, select.POLLWRNORM
DEFAULT = IN | OUT | RDNORM | WRNORM  # DEFAULT_POLLMASK
CHANGED = IN | RDNORM | ERR | PRI  # proc_sys_poll after a change

#: What procfs (6.18, measured in a throwaway UTS namespace) shows at each step of the scenario.
KERNEL: dict[str, Any] = {
    "unchanged": DEFAULT,
    "unchanged, no events asked": 0,
    "osrelease": DEFAULT,
    "domainname": DEFAULT,
    "after a write through another descriptor": CHANGED,
    "polled again": DEFAULT,  # the poll took the change up
    "the writer's own descriptor": CHANGED,
    "domainname after a hostname write": DEFAULT,  # one counter per entry
    "select after a change": [True, True, True],  # POLLERR counts as readable and writable
    "select again": [True, True, False],
    "after a write of zero bytes": CHANGED,
    "after sethostname": CHANGED,
    "after a change in another UTS namespace": CHANGED,  # one counter for all namespaces
    "hostname in this namespace": "third\n",
    "a poller blocked in poll() is woken": [PRI | ERR, True],
    "epoll, edge-triggered": [PRI | ERR],
    "epoll again": [],
    "epoll added after a change": [select.EPOLLIN | select.EPOLLOUT],  # the ADD's poll took it up
}

#: Through FUSE a write of zero bytes never reaches the server (fuse_direct_io sends nothing).
MOUNT = {**KERNEL, "after a write of zero bytes": DEFAULT}
#: The emulated backend's placeholder socket gives the kernel's masks, but it cannot see CMD's
#: polls: a change shows until the descriptor is read (docs/mount.md).
EMULATED = {**KERNEL, "polled again": CHANGED}


def _other(unshare: list[str]) -> str:
    """The scenario's change from another UTS namespace: a write by a process in a new one."""
    return " ".join(unshare) + " sh -c 'echo other > {root}/kernel/hostname'"


def _unshare_uts() -> list[str]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed")
    return ["unshare", "--uts"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--uts"]


def _scenario(result: tuple[int, str, str] | subprocess.CompletedProcess[str]) -> dict[str, Any]:
    status, out, err = ((result.returncode, result.stdout, result.stderr)
                        if isinstance(result, subprocess.CompletedProcess) else result)
    assert status == 0, err
    seen: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return seen


def test_the_table_is_the_real_kernels_in_a_throwaway_uts_namespace():
    if os.geteuid() != 0:
        pytest.skip("sethostname in a throwaway UTS namespace needs root")
    machine = _real_names()
    real = subprocess.run(["unshare", "--uts", "--", sys.executable, SCENARIO, "/proc/sys",
                           _other(["unshare", "--uts"]), "1"], capture_output=True, text=True, check=False)
    assert _real_names() == machine
    assert _scenario(real) == KERNEL


def test_the_mount_reports_changes_as_procfs(kernel):
    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    from fakeproc.sandbox import mounted

    with mounted(kernel) as m:
        run = subprocess.run([sys.executable, SCENARIO, m.path, _other(_unshare_uts()), "0"],
                             capture_output=True, text=True, check=False)
    without_sethostname = {k: v for k, v in MOUNT.items() if k != "after sethostname"}
    assert _scenario(run) == {**without_sethostname, "hostname in this namespace": "second\n"}
    assert kernel.read("kernel.hostname") == "sixth\n"


@pytest.fixture(params=["seccomp", "emulated"])
def backend_in_own_uts(request: Any, own_uts: tuple[str, bytes], kernel: Any, tmp_path: Path) -> Any:
    """``run(argv) -> (status, stdout)`` under the backend named by the parameter, inside a
    throwaway UTS namespace, as ``fakeproc run`` runs it: the seccomp backend with uname and the
    UTS calls answered from the fake and its opens attributed to the caller."""
    from fakeproc.backends.seccomp import available

    if available() is not None:
        pytest.skip(str(available()))

    out = tmp_path / "seen.json"  # where the scenario writes (FAKEPROC_OUT)

    def finish(result: tuple[int, str]) -> tuple[int, str]:
        assert _real_names() == own_uts, "a UTS call reached the real kernel"
        return result

    if request.param == "emulated":
        from fakeproc.backends.emulated import run_emulated

        def run(argv: list[str]) -> tuple[int, str]:
            status = run_emulated(argv, kernel=kernel, env={**os.environ, "FAKEPROC_OUT": str(out)})
            return finish((status, out.read_text()))

        run.backend = "emulated"  # type: ignore[attr-defined]
        yield run
        return
    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    from fakeproc.backends.seccomp import run_redirected, uname_of, uts_target_of
    from fakeproc.sandbox import mounted

    with mounted(kernel) as m:
        resolver = m.session.resolver

        def run_s(argv: list[str]) -> tuple[int, str]:
            status = run_redirected(argv, mountpoint=m.path, env={**os.environ, "FAKEPROC_OUT": str(out)},
                                    uname=uname_of(kernel, kernel.init_ns),
                                    uts=uts_target_of(kernel.init_ns, kernel=kernel),
                                    acting_for=resolver.acting_for if resolver is not None else None)
            return finish((status, out.read_text()))

        run_s.backend = "seccomp"  # type: ignore[attr-defined]
        yield run_s


def test_each_backend_reports_changes_as_procfs_or_as_its_stated_limits(backend_in_own_uts, kernel, caplog):
    status, out = backend_in_own_uts([sys.executable, SCENARIO, "/proc/sys", _other(["unshare", "--uts"]), "1"])
    emulated = backend_in_own_uts.backend == "emulated"
    assert _scenario((status, out, "")) == (EMULATED if emulated else MOUNT)
    limit = [r for r in caplog.records if "report a change until the descriptor is read" in r.getMessage()]
    assert len(limit) == (1 if emulated else 0)
    assert kernel.read("kernel.hostname") == "sixth\n"


def test_a_mount_poller_is_woken_by_a_change_the_model_notifies(kernel):
    """``sethostname`` answered from the model (seccomp, emulated), the namespace backend's mirror:
    a change notified through ``Kernel.polls`` wakes a poller sleeping on the mount."""
    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    from fakeproc.sandbox import mounted

    with mounted(kernel) as m:
        fd = os.open(m.path + "/kernel/domainname", os.O_RDONLY)
        try:
            timer = threading.Timer(0.3, kernel.polls.notify, ("kernel.domainname",))
            timer.start()
            poller = select.poll()
            poller.register(fd, select.POLLPRI)
            start = time.monotonic()
            assert poller.poll(20000) == [(fd, PRI | ERR)]
            assert time.monotonic() - start < 10
            timer.join()
            assert poller.poll(0) == []
        finally:
            os.close(fd)


def test_an_emulated_placeholder_is_still_answered_from_the_model(kernel, capfd):
    """The socket behind a pollable placeholder never shows: stat, F_GETFL, reads, writes, dup
    copies, and sendfile refused as from a memfd placeholder."""
    from fakeproc.backends.emulated import available, run_emulated

    if available() is not None:
        pytest.skip(str(available()))
    probe = (
        "import os, stat, fcntl\n"
        "fd = os.open('/proc/sys/kernel/hostname', os.O_RDWR)\n"
        "st = os.fstat(fd)\n"
        "print(oct(st.st_mode), st.st_size, oct(fcntl.fcntl(fd, fcntl.F_GETFL) & 0o3))\n"
        "print(os.write(fd, b'box'), os.pread(fd, 64, 0), os.lseek(fd, 0, 0), os.read(os.dup(fd), 64))\n"
        "try:\n"
        "    os.sendfile(1, fd, 0, 64)\n"
        "except OSError as e:\n"
        "    print('sendfile', e.errno)\n"
    )
    capfd.readouterr()
    status = run_emulated([sys.executable, "-S", "-c", probe], kernel=kernel)
    out = capfd.readouterr().out
    assert (status, out) == (0, "0o100644 0 0o2\n3 b'box\\n' 0 b'box\\n'\nsendfile 9\n")


def test_the_namespace_backend_reports_writes_and_hostname_inside_as_procfs(kernel, tmp_path):
    """``fakeproc run --backend namespaces``: CMD's UTS names live in a real namespace; its
    ``sethostname`` (real, in its private namespace) notifies the fake's pollers at once, and a
    write through the mount, which the fake mirrors into the real namespace, is one change."""
    from fakeproc.sandbox import backend_problem

    if backend_problem("namespaces"):
        pytest.skip(str(backend_problem("namespaces")))
    machine = _real_names()
    out = tmp_path / "seen.json"
    run = subprocess.run(
        [sys.executable, "-m", "fakeproc", "run", "--backend", "namespaces", "--", sys.executable, SCENARIO,
         "/proc/sys", _other(["unshare", "--uts"]), "1"],
        capture_output=True, text=True, check=False, env={**os.environ, "FAKEPROC_OUT": str(out)})
    assert run.returncode == 0, run.stderr
    assert _real_names() == machine
    assert json.loads(out.read_text()) == MOUNT


def test_the_emulated_supervisor_keeps_no_placeholder_of_a_closed_file(kernel, capfd):
    """Each open of a pollable file makes a socketpair; the supervisor lets go of its side once
    CMD has closed every copy, so its descriptors stay bounded however often CMD opens them."""
    from fakeproc.backends.emulated import available, run_emulated

    if available() is not None:
        pytest.skip(str(available()))
    loop = ("import os\n"
            "for _ in range(400):\n"
            "    os.close(os.open('/proc/sys/kernel/hostname', os.O_RDONLY))\n"
            "fd = os.open('/proc/sys/kernel/domainname', os.O_WRONLY)\n"
            "os.write(fd, b'x')\n")
    before = len(os.listdir("/proc/self/fd"))
    most = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            most.append(len(os.listdir("/proc/self/fd")))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        status = run_emulated([sys.executable, "-S", "-c", loop], kernel=kernel)
    finally:
        done.set()
        sampler.join()
    assert status == 0, capfd.readouterr().err
    assert max(most) - before < 40
    # <=: objects of earlier tests that the collector finalises meanwhile may close descriptors.
    assert len(os.listdir("/proc/self/fd")) <= before
    assert kernel.read("kernel.domainname") == "x\n"


def test_an_unwatched_copy_of_a_pollable_placeholder_is_the_logged_limit(kernel, capfd, caplog):
    from fakeproc.backends.emulated import available, run_emulated

    if available() is not None:
        pytest.skip(str(available()))
    probe = ("import os\n"
             "fd = os.open('/proc/sys/kernel/hostname', os.O_RDONLY)\n"
             "os.dup2(fd, 5)\n"
             "print(os.read(5, 64), os.read(fd, 64))\n"
             "try:\n"
             "    os.read(5, 64)\n"
             "except OSError as e:\n"
             "    print(e.errno)\n")
    capfd.readouterr()
    status = run_emulated([sys.executable, "-S", "-c", probe], kernel=kernel)
    assert (status, capfd.readouterr().out) == (0, "b'\\x00' b'(none)\\n'\n11\n")  # then EAGAIN: never blocks
    logged = [r.getMessage() for r in caplog.records if "to fd 5," in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].endswith("which the filter does not watch: reads there get the placeholder socket's "
                              "datagram and writes are lost")


def test_the_emulated_limit_is_logged_only_where_a_watcher_may_poll(kernel, capfd, caplog):
    """Reading every key and writing the name through one descriptor show no change to anyone
    else: nothing is logged (the scenario above, with a watcher's descriptor, logs it once)."""
    from fakeproc.backends.emulated import available, run_emulated

    if available() is not None:
        pytest.skip(str(available()))
    if shutil.which("sysctl") is None:
        pytest.skip("procps sysctl is not installed")
    status = run_emulated(["sh", "-c", ("sysctl -a >/dev/null && echo box > /proc/sys/kernel/hostname && "
                                       "sysctl -w kernel.domainname=net && hostname")], kernel=kernel)
    assert (status, capfd.readouterr().out) == (0, "kernel.domainname = net\nbox\n")
    assert [r for r in caplog.records if "report a change" in r.getMessage()] == []
