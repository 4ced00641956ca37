"""Non-root users, and hosts where FUSE or user namespaces are missing.

The unprivileged scenarios run as a real unprivileged user (created if needed). This machine's
/dev/fuse is 0600, so those tests set it to 0666 for their duration and always restore it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

from fakeproc.errors import UnavailableError
from tests.fuse.support import (
    FUSE_OK,
    FUSE_WHY,
    as_user,
    dev_fuse_mode,
    ensure_test_user,
    requires_root,
    requires_tool,
    unprivileged_python,
)

DEFAULT_SEM = "32000\t1024000000\t500\t32000"


@pytest.fixture(scope="module")
def user_env() -> Iterator[tuple[str, list[str], dict[str, str], str]]:
    """(user, python argv, environment, a work directory the user owns)."""
    if os.geteuid() != 0:
        pytest.skip("creating the unprivileged test user and changing /dev/fuse's mode needs root")
    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is missing")
    user = ensure_test_user()
    work = tempfile.mkdtemp(prefix="fakeproc-unpriv-")
    os.chmod(work, 0o755)
    try:
        python, env = unprivileged_python(user, work)
        import pwd

        pw = pwd.getpwnam(user)
        home = os.path.join(work, "home")
        os.makedirs(home, exist_ok=True)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        env = {**env, "HOME": home, "XDG_RUNTIME_DIR": home}
        yield user, python, env, home
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _userns_ok(user: str, env: dict[str, str]) -> bool:
    return as_user(user, ["unshare", "--user", "--map-root-user", "--mount", "true"], env).returncode == 0


@requires_root
@requires_tool("sysctl", "unshare")
def test_run_as_an_unprivileged_user_in_a_user_namespace(user_env):
    user, python, env, home = user_env
    if not _userns_ok(user, env):
        pytest.skip("unprivileged user namespaces are disabled on this host")
    with open("/proc/sys/kernel/sem") as f:
        host_sem = f.read()
    script = (
        'id -u; sysctl -w kernel.sem="33000 1024000000 500 32000"; unshare --ipc cat /proc/sys/kernel/sem; '
        "cat /proc/sys/kernel/sem; sysctl -a 2>/dev/null | wc -l"
    )
    with dev_fuse_mode(0o666):
        done = as_user(
            user, [*python, "-m", "fakeproc", "run", "--", "sh", "-c", script], env, timeout=120, cwd=home
        )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == [
        "0",
        "kernel.sem = 33000 1024000000 500 32000",
        DEFAULT_SEM,
        "33000\t1024000000\t500\t32000",
    ]
    assert int(lines[4]) > 1000
    with open("/proc/sys/kernel/sem") as f:
        assert f.read() == host_sem


@requires_root
def test_run_as_an_unprivileged_user_with_a_state_file(user_env):
    user, python, env, home = user_env
    if not _userns_ok(user, env):
        pytest.skip("unprivileged user namespaces are disabled on this host")
    state = os.path.join(home, "state.json")
    with dev_fuse_mode(0o666):
        first = as_user(
            user,
            [
                *python,
                "-m",
                "fakeproc",
                "run",
                "--state",
                state,
                "--",
                "sh",
                "-c",
                "echo user.example > /proc/sys/kernel/domainname",
            ],
            env,
            timeout=120,
            cwd=home,
        )
        second = as_user(
            user,
            [*python, "-m", "fakeproc", "run", "--state", state, "--", "cat", "/proc/sys/kernel/domainname"],
            env,
            timeout=120,
            cwd=home,
        )
    assert first.returncode == 0, first.stderr
    assert second.stdout == "user.example\n"
    assert os.stat(state).st_uid != 0


@requires_root
def test_mounted_as_an_unprivileged_user_through_the_setuid_fusermount(user_env):
    user, python, env, home = user_env
    from fakeproc.sandbox._checks import _fusermount

    if _fusermount() is None:
        pytest.skip("no setuid fusermount (apt-get install fuse3)")
    code = (
        "from fakeproc.sandbox import mounted\n"
        "with mounted(profile='6.18') as m:\n"
        "    print(open(m.path + '/kernel/ostype').read(), end='')\n"
        "    open(m.path + '/kernel/sem', 'w').write('1 2 3 4')\n"
        "    print(m.kernel.read('kernel.sem'), end='')\n"
        "with mounted(profile='6.18', identity='user') as m:\n"
        "    open(m.path + '/kernel/sem', 'w').write('1 2 3 4')\n"
    )
    with dev_fuse_mode(0o666):
        done = as_user(user, [*python, "-c", code], env, timeout=120, cwd=home)
    # The mount's owner is root of its fake kernel; with identity="user" it is "other" for 0644 files.
    assert done.stdout == "Linux\n1\t2\t3\t4\n"
    assert "Permission denied" in done.stderr
    with open("/proc/mounts") as f:
        assert not [line for line in f if home in line]


@requires_root
def test_without_dev_fuse_access_run_says_what_is_missing_and_exits_2(user_env):
    user, python, env, home = user_env
    with dev_fuse_mode(0o600):
        done = as_user(user, [*python, "-m", "fakeproc", "run", "--", "true"], env, timeout=120, cwd=home)
    assert done.returncode == 2
    assert "/dev/fuse" in done.stderr and "0666" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------------- unavailability, simulated


def test_missing_dev_fuse_mentions_the_docker_flags(monkeypatch):
    from fakeproc.sandbox import _checks

    real_exists = os.path.exists
    monkeypatch.setattr(_checks.os.path, "exists", lambda p: False if p == "/dev/fuse" else real_exists(p))
    problem = _checks.fuse_problem()
    assert problem is not None and "--device /dev/fuse --cap-add SYS_ADMIN" in problem
    ok, why = _checks.fuse_available()
    assert not ok and "/dev/fuse" in why


def test_without_any_libfuse_the_binding_is_unavailable_and_says_what_to_install(monkeypatch):
    from fakeproc.backends.fuse import _binding

    monkeypatch.setattr(_binding, "_module", None)
    monkeypatch.setattr(_binding, "loadable_libfuses", dict)
    monkeypatch.delenv("FAKEPROC_LIBFUSE", raising=False)
    with pytest.raises(UnavailableError, match=r"^no libfuse is installed .*apt-get install fuse3"):
        _binding.load_binding()


def test_disabled_user_namespaces_are_explained(monkeypatch):
    from fakeproc.sandbox import _checks

    def refuse(*args, **kwargs):
        return subprocess.CompletedProcess(
            args, 1, b"", b"unshare: unshare failed: Operation not permitted\n"
        )

    monkeypatch.setattr(_checks.subprocess, "run", refuse)
    problem = _checks.userns_problem()
    assert problem is not None and "max_user_namespaces" in problem and "seccomp" in problem


def test_the_cli_turns_unavailability_into_exit_2_without_a_traceback(monkeypatch, capsys):
    from fakeproc import sandbox
    from fakeproc.cli.main import main

    def unavailable(argv, **kwargs):
        raise UnavailableError(
            "cannot open /dev/fuse: in Docker, run with --device /dev/fuse --cap-add SYS_ADMIN"
        )

    monkeypatch.setattr(sandbox, "run", unavailable)
    assert main(["run", "--", "true"]) == 2
    err = capsys.readouterr().err
    assert "--device /dev/fuse" in err and "Traceback" not in err
