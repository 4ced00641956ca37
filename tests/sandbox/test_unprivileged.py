"""Non-root users, and hosts where FUSE or user namespaces are missing, each simulated.

Every scenario runs as a plain uid without creating an account, in a private mount namespace
where root first made the environment (a private 0666 or 0600 fuse device node bound over
/dev/fuse, no /dev/fuse, libfuse2 hidden, a Docker-like seccomp filter against user
namespaces, user namespaces confined as AppArmor's restriction does, root without
CAP_SYS_ADMIN): see ``tests/sandbox/plain_user.py``. The machine's
/dev/fuse and accounts are never changed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from fakeproc.errors import UnavailableError
from tests.fuse.support import requires_root
from tests.sandbox.plain_user import PLAIN_UID, Workdir, as_plain_user, workdir

DEFAULT_SEM = "32000\t1024000000\t500\t32000"
PY = sys.executable
FAKEPROC = [PY, "-m", "fakeproc"]

DOCKER = "in Docker/Podman, run the container with `--device /dev/fuse --cap-add SYS_ADMIN`"
NO_DEV_FUSE = f"/dev/fuse does not exist: load the fuse kernel module (`modprobe fuse`) or, {DOCKER}"
DEV_FUSE_0600 = (
    "cannot open /dev/fuse (Permission denied): it must be usable by your user; most distributions "
    f"ship it as mode 0666 (fix with `sudo chmod 0666 /dev/fuse`), or run as root; {DOCKER}"
)
NO_CAP = f"root without CAP_SYS_ADMIN cannot mount: {DOCKER}"
NO_USERNS = (
    "unprivileged user namespaces are not available (unshare: unshare failed: Operation not permitted): "
    "allow them with `sysctl -w user.max_user_namespaces=15000` (and `kernel.unprivileged_userns_clone=1` "
    "on older Debian kernels, `kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 23.10+); in Docker, "
    "the default seccomp profile forbids them: use `--security-opt seccomp=unconfined` or run as root"
)

CONFINED = (
    "user namespaces are created here but get no capabilities inside (writing /proc/self/uid_map: Operation "
    "not permitted), as AppArmor's restriction of unprivileged user namespaces does (Ubuntu 23.10+): lift it "
    "with `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or use `--backend seccomp`, which "
    "needs no user namespace"
)

pytestmark = [requires_root, pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is missing")]

MOUNTED = """
import errno, fakeproc
with fakeproc.mounted(profile="6.18") as m:
    print(open(m.path + "/kernel/ostype").read(), end="")
    open(m.path + "/kernel/sem", "w").write("1 2 3 4")
    print(m.kernel.read("kernel.sem"), end="")
    print(m.run(["sysctl", "-n", "kernel.sem"], capture_output=True, text=True).stdout, end="")
with fakeproc.mounted(profile="6.18", identity="user") as m:
    try:
        open(m.path + "/kernel/sem", "w").write("1 2 3 4")
    except PermissionError as e:
        print("plain user:", errno.errorcode[e.errno])
"""

FIXTURE_TEST = """
def test_fixture(fake_procsys):
    r = fake_procsys.run(["sysctl", "-w", "vm.swappiness=9"], capture_output=True, text=True)
    assert r.stdout == "vm.swappiness = 9\\n", r.stderr
    assert fake_procsys.kernel.read("vm.swappiness") == "9\\n"
"""


@pytest.fixture
def work() -> Iterator[Workdir]:
    with workdir() as w:
        yield w


def _seccomp_problem() -> str | None:
    from fakeproc.sandbox import backend_problem

    return backend_problem("seccomp")


def _emulated_problem() -> str | None:
    from fakeproc.sandbox import backend_problem

    return backend_problem("emulated")


def _assert_unavailable(done: subprocess.CompletedProcess[str], namespaces_reason: str,
                        seccomp_reason: str | None = None) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"fakeproc: no backend can run here (namespaces: {namespaces_reason}; "
        f"seccomp: {seccomp_reason or _seccomp_problem()}; emulated: {_emulated_problem()})\n"
    )


def _assert_emulated_or_unavailable(work: Workdir, namespaces_reason: str, **env: object) -> None:
    """Where neither mount-based backend can run, ``auto`` serves CMD through the emulated one
    (no FUSE needed); where that cannot run either, one line names every reason."""
    done = as_plain_user([*FAKEPROC, "run", "-v", "--", "cat", "/proc/sys/kernel/ostype"], work, **env)
    if _emulated_problem() is None:
        assert (done.returncode, done.stdout, done.stderr) == (0, "Linux\n", "fakeproc: backend: emulated\n")
    else:
        _assert_unavailable(done, namespaces_reason, namespaces_reason)


# ---------------------------------------------------------------------- /dev/fuse usable (0666)


def test_run_as_a_plain_user_finds_sysctl_off_path_and_is_root_of_the_fake(work):
    script = (
        'id -u; /usr/sbin/sysctl -w kernel.sem="33000 1024000000 500 32000"; unshare --ipc cat /proc/sys/kernel/sem; '
        "cat /proc/sys/kernel/sem"
    )
    done = as_plain_user([*FAKEPROC, "run", "--", "sh", "-c", script], work)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "0",
        "kernel.sem = 33000 1024000000 500 32000",
        DEFAULT_SEM,
        "33000\t1024000000\t500\t32000",
    ]
    direct = as_plain_user([*FAKEPROC, "run", "--", "sysctl", "-n", "kernel.ostype"], work)
    assert (direct.returncode, direct.stdout) == (0, "Linux\n")


def test_run_as_a_plain_user_with_a_state_file_keeps_it_between_runs(work):
    state = os.path.join(work.home, "state.json")
    first = as_plain_user(
        [*FAKEPROC, "run", "--state", state, "--", "sh", "-c", "echo user.example > /proc/sys/kernel/domainname"],
        work,
    )
    second = as_plain_user([*FAKEPROC, "run", "--state", state, "--", "cat", "/proc/sys/kernel/domainname"], work)
    assert first.returncode == 0, first.stderr
    assert second.stdout == "user.example\n"
    assert os.stat(state).st_uid == PLAIN_UID


def test_mounted_makes_its_owner_root_of_the_fake_and_exits_silently(work):
    done = as_plain_user([PY, "-c", MOUNTED], work)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Linux\n1\t2\t3\t4\n1\t2\t3\t4\nplain user: EACCES\n"
    assert done.stderr == ""


MOUNT_CLI = """set -u
fp() { "$PY" -m fakeproc "$@"; }
mkdir "$HOME/root" "$HOME/user"
fp mount "$HOME/root" >/dev/null && fp mount --as user "$HOME/user" >/dev/null || exit 9
echo 5 > "$HOME/root/vm/swappiness"; cat "$HOME/root/vm/swappiness"
(echo 6 > "$HOME/user/vm/swappiness") 2>&1 | sed 's/.*: //'
cat "$HOME/user/vm/swappiness"
fp umount "$HOME/root" >/dev/null && fp umount "$HOME/user" >/dev/null && echo unmounted
fp run --as user -- sh -c 'echo 1 > /proc/sys/vm/swappiness' 2>&1 | sed 's/.*: //'
"""


def test_fakeproc_mount_makes_its_owner_root_and_as_user_makes_them_a_plain_user(work):
    done = as_plain_user(["sh", "-c", MOUNT_CLI], work, env={"PY": PY})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["5", "Permission denied", "60", "unmounted", "Permission denied"]


def test_the_fixture_works_for_a_plain_user(work):
    path = os.path.join(work.home, "test_fixture.py")
    with open(path, "w") as f:
        f.write(FIXTURE_TEST)
    done = as_plain_user([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", path], work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_plain_users_get_their_own_runtime_directories(work):
    probe = [PY, "-c", "from fakeproc.sandbox import runtime_dir; print(runtime_dir())"]
    inside = [*FAKEPROC, "run", "--", *probe]
    first = as_plain_user(inside, work)
    second = as_plain_user(inside, work, uid=PLAIN_UID + 1)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.strip() == os.path.join(work.tmp, f"fakeproc-{PLAIN_UID}")
    assert second.stdout.strip() == os.path.join(work.tmp, f"fakeproc-{PLAIN_UID + 1}")


@pytest.mark.parametrize("kind", ["symlink", "directory"])
def test_a_planted_runtime_directory_is_never_used(work, kind):
    planted = os.path.join(work.tmp, f"fakeproc-{PLAIN_UID}")
    if kind == "symlink":
        os.symlink(work.scratch, planted)  # owned by root: another user's trap
    else:
        os.mkdir(planted, 0o777)  # another user's directory, open to all
        os.chmod(planted, 0o777)
    done = as_plain_user([*FAKEPROC, "run", "--", "cat", "/proc/sys/kernel/ostype"], work)
    assert (done.returncode, done.stdout) == (0, "Linux\n"), done.stderr
    assert os.listdir(work.scratch) == [] and os.listdir(planted) == []
    # One line names the refused directory and the fresh one used instead.
    # (root's uid reads as the overflow uid 65534 inside the run's user namespace, where this is checked)
    why = "it is a symbolic link" if kind == "symlink" else "it is owned by uid 65534"
    assert re.fullmatch(rf"not using {re.escape(planted)} \({why}\): made "
                        rf"{re.escape(planted)}-\w+ instead\n", done.stderr), done.stderr


# ---------------------------------------------------------------------- environments without the mount


def test_dev_fuse_0600_run_falls_back_to_the_emulated_backend(work):
    _assert_emulated_or_unavailable(work, DEV_FUSE_0600, dev_fuse="0600")


def test_dev_fuse_absent_run_falls_back_to_the_emulated_backend(work):
    _assert_emulated_or_unavailable(work, NO_DEV_FUSE, dev_fuse="absent")


def test_root_without_cap_sys_admin_run_falls_back_to_the_emulated_backend(work):
    _assert_emulated_or_unavailable(work, NO_CAP, uid=0, drop_cap_sys_admin=True)


def test_dev_fuse_0600_with_the_namespaces_backend_says_so_and_exits_2(work):
    done = as_plain_user([*FAKEPROC, "run", "--backend", "namespaces", "--", "true"], work, dev_fuse="0600")
    assert (done.returncode, done.stderr) == (2, f"fakeproc: {DEV_FUSE_0600}\n")


def test_user_namespaces_denied_by_seccomp_run_says_so_and_mounted_still_works(work):
    done = as_plain_user([*FAKEPROC, "run", "-v", "--", "cat", "/proc/sys/kernel/ostype"], work, deny_userns=True)
    if _seccomp_problem() is None:
        assert (done.returncode, done.stdout, done.stderr) == (0, "Linux\n", "fakeproc: backend: seccomp\n")
    else:
        _assert_unavailable(done, NO_USERNS)
    mounted = as_plain_user([PY, "-c", MOUNTED], work, deny_userns=True)
    assert mounted.returncode == 0, mounted.stderr
    # handle.run has no user namespace to bind the mount in: the seccomp backend redirects it.
    assert mounted.stdout == "Linux\n1\t2\t3\t4\n1\t2\t3\t4\nplain user: EACCES\n"


def test_libfuse2_absent_run_and_mounted_work_with_libfuse3(work):
    from fakeproc.backends.fuse._binding import loadable_libfuses

    if 3 not in loadable_libfuses():
        pytest.skip("libfuse3 is not installed here")
    done = as_plain_user([*FAKEPROC, "run", "--", "sysctl", "-n", "kernel.ostype"], work, hide_libfuse2=True)
    assert (done.returncode, done.stdout) == (0, "Linux\n"), done.stderr
    mounted = as_plain_user([PY, "-c", MOUNTED], work, hide_libfuse2=True)
    assert (mounted.returncode, mounted.stderr) == (0, "")


# ---------------------------------------------------------------------- AppArmor-like confinement (ubuntu-24.04)

CONFINEMENT_PROBE = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def outcome(call):
    try:
        call()
        return "ok"
    except OSError as e:
        return os.strerror(e.errno)
def check(rc):
    if rc != 0:
        raise OSError(ctypes.get_errno(), "")
uid = os.geteuid()
print("unshare:", outcome(lambda: check(libc.unshare(0x10000000 | 0x20000))))
print("open setgroups:", outcome(lambda: open("/proc/self/setgroups", "w")))
uid_map = open("/proc/self/uid_map", "w")
print("write uid_map:", outcome(lambda: uid_map.write(f"0 {uid} 1") and uid_map.flush()))
print("uid_map:", repr(open("/proc/self/uid_map").read()))
print("mount:", outcome(lambda: check(libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None))))
print("unshare mount ns:", outcome(lambda: check(libc.unshare(0x20000))))
"""


def test_the_apparmor_like_confinement_fails_where_ubuntu_24_04_fails(work):
    """The simulation itself: namespace creation succeeds, then every step that needs a capability
    inside fails with the errno the restriction gives; outside a new namespace nothing changes."""
    plain = as_plain_user(["unshare", "--user", "true"], work, confine_userns=True)
    mapped = as_plain_user(["unshare", "--user", "--map-root-user", "true"], work, confine_userns=True)
    probe = as_plain_user([PY, "-c", CONFINEMENT_PROBE], work, confine_userns=True)
    assert (plain.returncode, plain.stderr) == (0, "")
    assert (mapped.returncode, mapped.stderr) == (1, "unshare: write failed /proc/self/uid_map: Operation not permitted\n")
    assert probe.stdout.splitlines() == [
        "unshare: ok", "open setgroups: Permission denied", "write uid_map: Operation not permitted",
        "uid_map: ''", "mount: Permission denied", "unshare mount ns: Operation not permitted",
    ], probe.stderr
    unconfined = as_plain_user([PY, "-c", CONFINEMENT_PROBE], work)
    assert unconfined.stdout.splitlines()[:3] == ["unshare: ok", "open setgroups: ok", "write uid_map: ok"]


def test_user_namespaces_confined_by_apparmor_run_falls_back_to_the_seccomp_backend(work):
    done = as_plain_user([*FAKEPROC, "run", "-v", "--", "sysctl", "-n", "kernel.ostype"], work, confine_userns=True)
    if _seccomp_problem() is None:
        assert (done.returncode, done.stdout, done.stderr) == (0, "Linux\n", "fakeproc: backend: seccomp\n")
    else:
        _assert_emulated_or_unavailable(work, CONFINED, confine_userns=True)


def test_user_namespaces_confined_by_apparmor_the_namespaces_backend_names_the_restriction_and_exits_2(work):
    done = as_plain_user([*FAKEPROC, "run", "--backend", "namespaces", "--", "true"], work, confine_userns=True)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"fakeproc: {CONFINED}\n")


def test_user_namespaces_confined_by_apparmor_mounted_and_the_fixture_work_through_fusermount(work):
    mounted = as_plain_user([PY, "-c", MOUNTED], work, confine_userns=True)
    assert (mounted.returncode, mounted.stdout, mounted.stderr) == (
        0, "Linux\n1\t2\t3\t4\n1\t2\t3\t4\nplain user: EACCES\n", "")
    path = os.path.join(work.home, "test_fixture.py")
    with open(path, "w") as f:
        f.write(FIXTURE_TEST)
    argv = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", path]
    fixture = as_plain_user(argv, work, confine_userns=True, env={"FAKEPROC_REQUIRE_MOUNT": "1"})
    assert fixture.returncode == 0, fixture.stdout + fixture.stderr
    assert "1 passed" in fixture.stdout


NO_CAP_IN_BOUNDING_SET = (
    "the setuid fusermount cannot mount: CAP_SYS_ADMIN is not in this process's capability bounding set "
    f"(a container started without it); {DOCKER}"
)
MOUNT_CALL_FAILED = "libfuse could not mount "  # + the private mountpoint + " (see its message above)"
DOCKER_DEVICE_ONLY = {"deny_userns": True, "drop_cap_sys_admin": True}  # --device /dev/fuse, no --cap-add


@pytest.mark.parametrize(("scenario", "reason"), [
    ({"dev_fuse": "0600"}, DEV_FUSE_0600),
    ({"dev_fuse": "absent"}, NO_DEV_FUSE),
    (DOCKER_DEVICE_ONLY, NO_CAP_IN_BOUNDING_SET),
    ({"deny_mount": True}, MOUNT_CALL_FAILED),  # every precondition passes, the mount call fails
], ids=["dev-fuse-0600", "dev-fuse-absent", "no-cap-sys-admin-in-bounding-set", "mount-call-refused"])
def test_the_fixture_skips_with_the_reason_and_require_mount_makes_it_fail(work, scenario, reason):
    path = os.path.join(work.home, "test_fixture.py")
    with open(path, "w") as f:
        f.write(FIXTURE_TEST)
    argv = [PY, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", path]
    skipped = as_plain_user(argv, work, **scenario)
    assert skipped.returncode == 0, skipped.stdout
    assert f"fakeproc: FUSE mount unavailable: {reason}" in skipped.stdout and "1 skipped" in skipped.stdout
    failed = as_plain_user(argv, work, **scenario, env={"FAKEPROC_REQUIRE_MOUNT": "1"})
    assert failed.returncode == 1 and "1 error" in failed.stdout  # the fixture fails the setup
    assert "FAKEPROC_REQUIRE_MOUNT=1" in failed.stdout


def test_a_container_with_dev_fuse_but_without_cap_sys_admin_runs_the_emulated_backend(work):
    """Docker's ``--device /dev/fuse`` without ``--cap-add SYS_ADMIN``, as a plain user: the setuid
    fusermount3 gains no CAP_SYS_ADMIN, so seccomp is not tried; the emulated backend serves."""
    done = as_plain_user([*FAKEPROC, "run", "-v", "--", "sysctl", "-n", "kernel.ostype"], work, **DOCKER_DEVICE_ONLY)
    if _emulated_problem() is None:
        assert (done.returncode, done.stdout, done.stderr) == (0, "Linux\n", "fakeproc: backend: emulated\n")
    else:
        _assert_unavailable(done, NO_USERNS, NO_CAP_IN_BOUNDING_SET)
    seccomp = as_plain_user([*FAKEPROC, "run", "--backend", "seccomp", "--", "true"], work, **DOCKER_DEVICE_ONLY)
    assert (seccomp.returncode, seccomp.stderr) == (
        2, f"fakeproc: backend seccomp is not available: {NO_CAP_IN_BOUNDING_SET}\n")


def test_when_the_mount_call_itself_fails_auto_hands_the_command_to_the_emulated_backend(work):
    done = as_plain_user([*FAKEPROC, "run", "-v", "--", "sysctl", "-n", "kernel.ostype"], work, deny_mount=True)
    lines = done.stderr.splitlines()
    if _emulated_problem() is not None:
        assert done.returncode == 2 and lines[-1].startswith(f"fakeproc: {MOUNT_CALL_FAILED}"), done.stderr
        return
    assert (done.returncode, done.stdout) == (0, "Linux\n"), done.stderr
    assert lines[0] == "fusermount3: mount failed: Operation not permitted"  # libfuse's own line
    assert lines[1].startswith("running under the emulated backend: the FUSE mount failed: libfuse could not mount ")
    assert lines[2:] == ["fakeproc: backend: emulated"]
    asked = as_plain_user([*FAKEPROC, "run", "--backend", "seccomp", "--", "true"], work, deny_mount=True)
    assert asked.returncode == 2 and asked.stderr.splitlines()[-1].startswith(f"fakeproc: {MOUNT_CALL_FAILED}")


# ---------------------------------------------------------------------- unavailability, in-process


def test_without_any_libfuse_the_binding_is_unavailable_and_says_what_to_install(monkeypatch):
    from fakeproc.backends.fuse import _binding

    monkeypatch.setattr(_binding, "_module", None)
    monkeypatch.setattr(_binding, "loadable_libfuses", dict)
    monkeypatch.delenv("FAKEPROC_LIBFUSE", raising=False)
    with pytest.raises(UnavailableError, match=r"^no libfuse is installed .*apt-get install fuse3"):
        _binding.load_binding()


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


def test_the_demo_runs_every_step_through_the_mount_as_a_plain_user(work):
    done = as_plain_user([*FAKEPROC, "demo"], work, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "in-process" not in done.stdout + done.stderr
