"""``fakeproc run --backend``: the registry of launchers, the ``auto`` choice, and what each says."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from fakeproc import backends
from fakeproc.backends import LaunchRequest
from fakeproc.cli.main import main
from fakeproc.errors import UnavailableError, UsageError
from fakeproc.sandbox import choose_backend, run
from tests.fuse.support import REPO, requires_fuse, requires_root


def test_an_unknown_backend_is_one_line_and_exit_2(capsys):
    assert main(["run", "--backend", "magic", "--", "true"]) == 2
    assert capsys.readouterr().err == (
        "fakeproc: unknown backend magic (choose from auto, namespaces, seccomp, emulated)\n"
    )


def test_an_unknown_backend_is_a_usage_error_in_the_api():
    with pytest.raises(UsageError):
        choose_backend("magic")


@pytest.fixture
def fuse_usable(monkeypatch):
    """The FUSE precondition of the seccomp backend passes, whatever this host has (these tests are
    about the launcher registry, and run in containers without /dev/fuse too)."""
    from fakeproc.sandbox import _backends

    monkeypatch.setattr(_backends, "fuse_problem", lambda: None)


@pytest.mark.parametrize("name", ["seccomp", "emulated"])
def test_a_backend_whose_package_is_missing_is_not_available_with_exit_2(monkeypatch, capsys, name, fuse_usable):
    monkeypatch.setitem(backends.LAUNCHERS, name, ("fakeproc.backends.no_such_package", "available", "launch"))
    assert main(["run", "--backend", name, "--", "true"]) == 2
    assert capsys.readouterr().err == (
        f"fakeproc: backend {name} is not available: "
        "fakeproc.backends.no_such_package is not installed in this fakeproc\n"
    )


def _register(monkeypatch, backend: str, reason: str | None, launch) -> None:
    """Make ``backend`` a test launcher: ``available()`` answers ``reason``, ``launch`` runs."""
    name = f"fakeproc_test_{backend}"
    module = types.ModuleType(name)
    module.available = lambda: reason  # type: ignore[attr-defined]
    module.launch = launch  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(backends.LAUNCHERS, backend, (name, "available", "launch"))


def _plugin(monkeypatch, reason: str | None, calls: list[LaunchRequest]) -> None:
    def launch(request: LaunchRequest) -> int:
        calls.append(request)
        with request.start_mount() as handle, open(handle.path + "/kernel/ostype") as f:
            assert f.read() == "Linux\n"
        return 7

    _register(monkeypatch, "seccomp", reason, launch)


def test_an_unavailable_backend_gives_its_own_reason(monkeypatch, fuse_usable):
    _plugin(monkeypatch, "the kernel lacks SECCOMP_USER_NOTIF_FLAG_CONTINUE", [])
    with pytest.raises(UnavailableError, match="^backend seccomp is not available: the kernel lacks"):
        run(["true"], backend="seccomp")


@requires_fuse
@requires_root
def test_a_registered_launcher_gets_the_request_and_can_mount_the_kernel(monkeypatch, kernel):
    calls: list[LaunchRequest] = []
    _plugin(monkeypatch, None, calls)
    outcome = run(["true"], kernel=kernel, backend="seccomp")
    assert (outcome.exit_code, outcome.backend) == (7, "seccomp")
    assert calls[0].kernel is kernel and calls[0].identity == "root" and calls[0].base is None


def test_auto_without_any_backend_names_each_reason(monkeypatch, fuse_usable):
    from fakeproc.sandbox import _backends

    monkeypatch.setattr(_backends, "namespaces_problem", lambda: "no /dev/fuse")
    monkeypatch.setitem(backends.LAUNCHERS, "seccomp", ("fakeproc.backends.no_such_package", "available", "launch"))
    monkeypatch.setitem(backends.LAUNCHERS, "emulated", ("fakeproc.backends.no_such_other", "available", "launch"))
    with pytest.raises(UnavailableError) as info:
        choose_backend("auto")
    assert str(info.value) == (
        "no backend can run here (namespaces: no /dev/fuse; "
        "seccomp: fakeproc.backends.no_such_package is not installed in this fakeproc; "
        "emulated: fakeproc.backends.no_such_other is not installed in this fakeproc)"
    )


def test_auto_falls_back_to_seccomp_where_namespaces_cannot_run(monkeypatch, fuse_usable):
    from fakeproc.sandbox import _backends

    monkeypatch.setattr(_backends, "namespaces_problem", lambda: "user namespaces are disabled")
    _plugin(monkeypatch, None, [])
    assert choose_backend("auto") == "seccomp"


@requires_fuse
@requires_root
def test_json_and_verbose_say_which_backend_ran():
    done = subprocess.run(
        [sys.executable, "-m", "fakeproc", "--json", "run", "-v", "--", "sh", "-c", "exit 3"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )
    assert done.returncode == 3
    assert json.loads(done.stdout) == {"backend": "namespaces", "exit_code": 3}
    assert done.stderr == "fakeproc: backend: namespaces\n"


def _backend_unusable(name: str) -> str | None:
    from fakeproc.sandbox import backend_problem

    return backend_problem(name)


def _fakeproc_run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``fakeproc run --backend NAME ARGS...`` (skips where that backend cannot run here)."""
    reason = _backend_unusable(name)
    if reason:
        pytest.skip(f"backend {name} cannot run here: {reason}")
    return subprocess.run([sys.executable, "-m", "fakeproc", "run", "--backend", name, *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


@pytest.mark.parametrize("name", ["namespaces", "seccomp", "emulated"])
def test_every_backend_runs_real_tools_against_the_same_fake(name):
    script = ("sysctl -w kernel.sem='10000 1024000000 500 32000' >/dev/null; cat /proc/sys/kernel/sem; "
              "echo 7 > /proc/sys/vm/swappiness; echo 5 >> /proc/sys/vm/swappiness; cat /proc/sys/vm/swappiness; "
              "printf x > /proc/sys/kernel/shmmni; echo $?")
    done = _fakeproc_run(name, "-v", "--", "sh", "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["10000\t1024000000\t500\t32000", "5", "1"]
    assert done.stderr.splitlines()[-1] == f"fakeproc: backend: {name}"


@pytest.mark.parametrize("name", ["seccomp", "emulated"])
def test_uname_follows_the_fake_hostname_under_the_supervised_backends(name):
    reason = _backend_unusable(name)
    if reason:
        pytest.skip(f"backend {name} cannot run here: {reason}")
    done = subprocess.run([sys.executable, "-m", "fakeproc", "run", "--backend", name, "--", "sh", "-c",
                           "sysctl -qw kernel.hostname=fake-node; uname -n; hostname"],
                          capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (0, "fake-node\nfake-node\n"), done.stderr


def _emulated_plugin(monkeypatch, calls: list[LaunchRequest]) -> None:
    def launch(request: LaunchRequest) -> int:
        calls.append(request)
        return 5

    _register(monkeypatch, "emulated", None, launch)


def test_auto_hands_the_command_to_emulated_when_the_seccomp_mount_itself_fails(monkeypatch, kernel):
    from fakeproc.sandbox._backends import launch

    def mount_fails(**kwargs):
        raise UnavailableError("libfuse could not mount /run/x (see its message above)")

    def seccomp(request: LaunchRequest) -> int:
        request.start_mount()
        return 0

    calls: list[LaunchRequest] = []
    _emulated_plugin(monkeypatch, calls)
    request = LaunchRequest(argv=["true"], kernel=kernel, base=None, identity="root", start_mount=mount_fails)
    assert launch("seccomp", seccomp, request, auto=True) == (5, "emulated")
    assert calls == [request]
    with pytest.raises(UnavailableError, match="^libfuse could not mount"):
        launch("seccomp", seccomp, request)  # asked for by name: no fallback


def test_auto_does_not_hand_over_a_failure_that_is_not_the_mount(monkeypatch, kernel):
    from fakeproc.sandbox._backends import launch

    def seccomp(request: LaunchRequest) -> int:
        raise UnavailableError("a new seccomp filter is refused here")

    calls: list[LaunchRequest] = []
    _emulated_plugin(monkeypatch, calls)
    request = LaunchRequest(argv=["true"], kernel=kernel, base=None, identity="root", start_mount=lambda **kw: None)
    with pytest.raises(UnavailableError, match="filter is refused"):
        launch("seccomp", seccomp, request, auto=True)
    assert calls == []


@pytest.mark.parametrize("name", ["namespaces", "seccomp", "emulated"])
def test_as_user_makes_the_command_a_plain_user_of_the_fake_under_every_backend(name):
    code = ("import errno, os\n"
            "print(open('/proc/sys/vm/swappiness').read(), end='')\n"
            "try:\n    os.open('/proc/sys/vm/swappiness', os.O_WRONLY)\n"
            "except OSError as e:\n    print(errno.errorcode[e.errno])\n")
    done = _fakeproc_run(name, "--as", "user", "--", sys.executable, "-S", "-c", code)
    assert (done.returncode, done.stdout) == (0, "60\nEACCES\n"), done.stderr


@requires_root  # unshare --ipc needs CAP_SYS_ADMIN
@pytest.mark.parametrize("name", [
    "namespaces",
    "seccomp",  # the supervisor opens the file in the mount acting for the caller
    "emulated",
])
def test_each_backend_attributes_a_read_to_the_callers_own_ipc_namespace(name):
    script = ("sysctl -qw kernel.sem='33000 1024000000 500 32000'; unshare --ipc cat /proc/sys/kernel/sem; "
              "cat /proc/sys/kernel/sem")
    done = _fakeproc_run(name, "--", "sh", "-c", script)
    assert done.returncode == 0, done.stderr
    # A new IPC namespace starts from the compile-time defaults; the first one keeps the write.
    assert done.stdout.splitlines() == ["32000\t1024000000\t500\t32000", "33000\t1024000000\t500\t32000"]


def test_a_kernel_without_seccomp_user_notification_is_one_line_and_exit_2(monkeypatch, capsys):
    import builtins

    from fakeproc.backends import seccomp

    real_open = builtins.open

    def actions_without_user_notif(path, *args, **kwargs):
        if path == "/proc/sys/kernel/seccomp/actions_avail":  # a read of the host's value, faked
            import io

            return io.StringIO("kill_process kill_thread trap errno trace log allow\n")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(seccomp, "open", actions_without_user_notif, raising=False)
    monkeypatch.setattr(seccomp, "_checked", {})  # available() keeps its answer per process
    assert main(["run", "--backend", "emulated", "--", "true"]) == 2
    assert capsys.readouterr().err == (
        "fakeproc: backend emulated is not available: this kernel has no seccomp user notification "
        "(user_notif missing from /proc/sys/kernel/seccomp/actions_avail; CONFIG_SECCOMP_FILTER)\n"
    )
