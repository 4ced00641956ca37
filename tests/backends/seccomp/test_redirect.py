"""Unmodified programs under the seccomp backend read and write the mounted fake, not the host."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakeproc.backends.seccomp import available, run_redirected
from tests.fuse.support import requires_root

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

UNPRIV = ["setpriv", "--reuid=1001", "--regid=1001", "--clear-groups"]
BUSYBOX_STATIC = "/tmp/fakeproc-test-busybox-static/bin/busybox"


def run(mount, argv, capfd, **kw):
    """Run under the backend; returns (status, stdout, stderr)."""
    capfd.readouterr()
    status = run_redirected(argv, mountpoint=mount.path, **kw)
    out, err = capfd.readouterr()
    return status, out, err


def py(code: str) -> list[str]:
    return [sys.executable, "-S", "-c", code]


def test_procps_sysctl_reads_the_fake_value(mount, capfd):
    mount.kernel.write("kernel.sem", "1 2 3 4")
    assert run(mount, ["sysctl", "kernel.sem"], capfd)[:2] == (0, "kernel.sem = 1\t2\t3\t4\n")


def test_procps_sysctl_w_writes_the_fake_and_not_the_host(mount, capfd):
    host = Path("/proc/sys/vm/swappiness").read_text()
    assert run(mount, ["sysctl", "-w", "vm.swappiness=7"], capfd)[:2] == (0, "vm.swappiness = 7\n")
    assert mount.kernel.read("vm.swappiness") == "7\n"
    assert Path("/proc/sys/vm/swappiness").read_text() == host


def same_user_namespace_view(text: str) -> list[str]:
    """``sysctl -a`` lines comparable between a command in the initial user namespace (the
    backends) and ``mount.run``, which for a normal user runs it in a new user namespace: there
    the user.* limits start at INT_MAX and ping_group_range reads through the new ID maps."""
    lines = text.splitlines()
    if os.geteuid() == 0:
        return lines
    return [line for line in lines if not line.startswith(("user.", "net.ipv4.ping_group_range "))]


def test_sysctl_a_lists_what_the_mount_lists(mount, capfd):
    status, out, _ = run(mount, ["sysctl", "-a"], capfd)
    direct = mount.run(["sysctl", "-a"], capture_output=True, text=True).stdout
    assert status == 0
    assert same_user_namespace_view(out) == same_user_namespace_view(direct)


def test_sysctl_n_and_cat(mount, capfd):
    mount.kernel.write("kernel.hostname", "box")
    assert run(mount, ["sysctl", "-n", "kernel.hostname"], capfd)[1] == "box\n"
    assert run(mount, ["cat", "/proc/sys/kernel/hostname"], capfd)[1] == "box\n"


def test_shell_redirection_writes_through_the_injected_descriptor(mount, capfd):
    assert run(mount, ["sh", "-c", "echo 13 > /proc/sys/vm/swappiness"], capfd)[0] == 0
    assert mount.kernel.read("vm.swappiness") == "13\n"


def test_invalid_write_gets_the_kernels_errno(mount, capfd):
    code = ("import os\nfd = os.open('/proc/sys/kernel/sem', os.O_WRONLY)\n"
            "try:\n    os.write(fd, b'1 2 3 99999999')\nexcept OSError as e:\n    print(e.errno)")
    assert run(mount, py(code), capfd)[1] == f"{errno.ERANGE}\n"


@pytest.mark.parametrize(("path", "flags", "err"), [
    ("/proc/sys/kernel/nope", os.O_RDONLY, errno.ENOENT),
    ("/proc/sys/kernel/nope", os.O_WRONLY | os.O_CREAT, errno.ENOENT),
    ("/proc/sys/kernel/ostype", os.O_WRONLY, errno.EACCES),
    ("/proc/sys/kernel", os.O_WRONLY, errno.EISDIR),
    ("/proc/sys/kernel/ostype/", os.O_RDONLY, errno.ENOTDIR),
])
def test_open_errnos_are_the_mounts(mount, capfd, path, flags, err):
    code = f"import os\ntry:\n    os.open({path!r}, {flags})\nexcept OSError as e:\n    print(e.errno)"
    assert run(mount, py(code), capfd)[1] == f"{err}\n"


def test_relative_path_after_chdir_and_dirfd_open(mount, capfd):
    mount.kernel.write("vm.swappiness", "21")
    code = ("import os\nos.chdir('/proc/sys/vm')\nprint(open('swappiness').read(), end='')\n"
            "d = os.open('/proc/sys', os.O_RDONLY | os.O_DIRECTORY)\n"
            "print(os.read(os.open('vm/swappiness', os.O_RDONLY, dir_fd=d), 99).decode(), end='')\n"
            "print(os.read(os.open('kernel/../vm/swappiness', os.O_RDONLY, dir_fd=d), 99).decode(), end='')")
    assert run(mount, py(code), capfd)[1] == "21\n21\n21\n"


def test_symlinks_and_proc_self_root_are_followed(mount, capfd, tmp_path):
    mount.kernel.write("vm.swappiness", "22")
    (tmp_path / "link").symlink_to("/proc/sys/vm")
    code = (f"print(open({str(tmp_path / 'link' / 'swappiness')!r}).read(), end='')\n"
            "print(open('/proc/self/root/proc/sys/vm/swappiness').read(), end='')\n"
            "print(open('/proc/thread-self/root/proc/../proc/sys/vm/swappiness').read(), end='')")
    assert run(mount, py(code), capfd)[1] == "22\n22\n22\n"


def test_stat_results_equal_the_mounts(mount, capfd):
    code = ("import os\nfor p in ('kernel/sem', 'kernel/ostype', 'kernel', 'net/ipv4/conf/lo'):\n"
            "    s = os.stat('/proc/sys/' + p)\n    print(s.st_mode, s.st_ino, s.st_uid, s.st_size, s.st_nlink)\n"
            "print(os.access('/proc/sys/kernel/ostype', os.W_OK), os.access('/proc/sys/kernel/sem', os.W_OK))")
    out = run(mount, py(code), capfd)[1]
    want = ""
    for p in ("kernel/sem", "kernel/ostype", "kernel", "net/ipv4/conf/lo"):
        s = os.stat(f"{mount.path}/{p}")
        want += f"{s.st_mode} {s.st_ino} {s.st_uid} {s.st_size} {s.st_nlink}\n"
    assert out == want + "False True\n"


def test_uname_follows_the_fake_hostname(mount, capfd):
    k = mount.kernel
    k.write("kernel.hostname", "fakehost")
    status, out, _ = run(mount, ["sh", "-c", "hostname; uname -n"], capfd,
                         uname=lambda: {"nodename": k.read("kernel.hostname").strip()})
    assert (status, out) == (0, "fakehost\nfakehost\n")


def test_cmd_that_never_touches_proc_sys_is_unaffected(mount, capfd, tmp_path):
    (tmp_path / "f").write_text("hello\n")
    status, out, _ = run(mount, ["sh", "-c", f"cat {tmp_path}/f; ls {tmp_path}; exit 3"], capfd)
    assert (status, out) == (3, "hello\nf\n")


@requires_root  # setpriv to uid 1001
def test_namespace_creation_gets_the_kernels_eperm_unprivileged(mount, capfd):
    status, _, err = run(mount, [*UNPRIV, "unshare", "--uts", "true"], capfd)
    assert status == 1 and "Operation not permitted" in err


@requires_root  # setpriv to uid 1001
def test_unprivileged_caller_reads_and_is_refused_writes_like_a_plain_user(mount, capfd):
    status, out, err = run(mount, [*UNPRIV, "sh", "-c", "cat /proc/sys/kernel/ostype; echo 1 > /proc/sys/vm/swappiness"], capfd)
    assert out == "Linux\n"
    assert status != 0 and "Permission denied" in err
    assert mount.kernel.read("vm.swappiness") == "60\n"


def test_busybox_sysctl_chdirs_and_opens_relative(mount, capfd):
    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed")
    mount.kernel.write("vm.swappiness", "33")
    assert run(mount, ["busybox", "sysctl", "vm.swappiness"], capfd)[1] == "vm.swappiness = 33\n"


def _static_busybox() -> str | None:
    if os.path.exists(BUSYBOX_STATIC):
        return BUSYBOX_STATIC
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    d = os.path.dirname(os.path.dirname(BUSYBOX_STATIC))
    os.makedirs(d, exist_ok=True)
    r = subprocess.run(f"cd {d} && apt-get download busybox-static && dpkg -x busybox-static_*.deb .",
                       shell=True, capture_output=True, check=False)
    return BUSYBOX_STATIC if r.returncode == 0 and os.path.exists(BUSYBOX_STATIC) else None


def test_static_busybox_sysctl_reads_and_writes_the_fake(mount, capfd):
    bb = _static_busybox()
    if bb is None:
        pytest.skip("no static busybox (needs root and apt-get download busybox-static)")
    assert run(mount, [bb, "sysctl", "-w", "vm.swappiness=44"], capfd)[:2] == (0, "vm.swappiness = 44\n")
    assert run(mount, [bb, "sysctl", "-n", "vm.swappiness"], capfd)[1] == "44\n"


GO_PROG = """package main
import ("fmt"; "os")
func main() {
    if err := os.WriteFile("/proc/sys/vm/swappiness", []byte("55\\n"), 0); err != nil { fmt.Println(err); os.Exit(1) }
    b, err := os.ReadFile("/proc/sys/vm/swappiness")
    if err != nil { fmt.Println(err); os.Exit(1) }
    fmt.Print(string(b))
    _, err = os.ReadFile("/proc/sys/kernel/nope")
    fmt.Println(err)
}
"""


def test_static_go_binary_reads_and_writes_the_fake(mount, capfd, tmp_path):
    go = shutil.which("go") or ("/usr/lib/go/bin/go" if os.path.exists("/usr/lib/go/bin/go") else None)
    if go is None:
        pytest.skip("no Go toolchain (apt-get install golang-go)")
    (tmp_path / "main.go").write_text(GO_PROG)
    env = {**os.environ, "CGO_ENABLED": "0", "GOCACHE": str(tmp_path / "cache"), "GOPATH": str(tmp_path / "gp"),
           "GO111MODULE": "off"}
    subprocess.run([go, "build", "-o", str(tmp_path / "prog"), str(tmp_path / "main.go")], env=env, check=True)
    out = run(mount, [str(tmp_path / "prog")], capfd)[1]
    assert out == "55\nopen /proc/sys/kernel/nope: no such file or directory\n"


def test_io_uring_setup_is_refused_with_enosys(mount, capfd):
    code = ("import ctypes, ctypes.util\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "p = ctypes.create_string_buffer(120)\nr = libc.syscall(425, 4, p)\nprint(r, ctypes.get_errno())")
    assert run(mount, py(code), capfd)[1] == f"-1 {errno.ENOSYS}\n"


# ---------------------------------------------------------------- bad set-ups: one line, exit 2


def _cli(argv, **kw):
    return subprocess.run([sys.executable, "-m", "fakeproc.backends.seccomp", "--", *argv],
                          capture_output=True, text=True, check=False, **kw)


def test_kernel_too_old_gives_one_line_and_exit_2():
    r = _cli(["true"], env={**os.environ, "FAKEPROC_SECCOMP_KERNEL": "5.4.0"})
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "too old" in r.stderr and "5.9" in r.stderr


def _deny_seccomp() -> None:
    from fakeproc.backends.seccomp import _abi
    from fakeproc.backends.seccomp._supervisor import SockFprog

    prog = _abi.bpf_program([], errno_rules=[(_abi.NR["seccomp"], errno.EPERM)])
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = SockFprog(len(prog) // 8, ctypes.addressof(buf))
    _abi.libc.prctl(_abi.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if _abi.libc.syscall(ctypes.c_long(_abi.NR["seccomp"]), ctypes.c_long(1), ctypes.c_long(0), ctypes.byref(fprog)):
        raise OSError(ctypes.get_errno(), "seccomp")


def test_a_filter_forbidding_new_filters_gives_one_line_and_exit_2_and_no_mount():
    proc = subprocess.Popen([sys.executable, "-m", "fakeproc.backends.seccomp", "--", "sleep", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_deny_seccomp)  # noqa: PLW1509 - ctypes only
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.count("\n") == 1 and "seccomp filter is refused" in err
    # only this process's mounts count: other suites mount at the same time on a shared machine
    assert f"fakeproc:{proc.pid} " not in Path("/proc/mounts").read_text()


@requires_root  # setpriv to uid 1001
def test_fully_unprivileged_flow_mounts_with_fusermount_and_redirects():
    r = subprocess.run([*UNPRIV, sys.executable, "-m", "fakeproc.backends.seccomp", "--", "sh", "-c",
                        "sysctl -n kernel.sem; hostname"], capture_output=True, text=True, check=False,
                       cwd="/", env={**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"})
    if r.returncode == 2 and "fuse" in r.stderr.lower():
        pytest.skip(f"FUSE is not usable by uid 1001 here: {r.stderr.strip()}")
    assert (r.returncode, r.stdout) == (0, "32000\t1024000000\t500\t32000\n(none)\n"), r.stderr


# ---------------------------------------------------------------- the supervisor's fast paths


def _serve(mount, argv):
    """Run ``argv`` under a fresh redirecting supervisor; returns (status, supervisor, handlers)."""
    from fakeproc.backends.seccomp import redirecting_supervisor

    sup, handlers = redirecting_supervisor(mount.path)
    try:
        status = sup.run(argv)
    finally:
        os.close(handlers.rootfd)
    return status, sup, handlers


def test_sync_wake_up_is_requested_where_the_kernel_has_it(mount, capfd):
    from fakeproc.backends.seccomp import _release

    status, sup, _ = _serve(mount, ["cat", "/proc/sys/kernel/ostype"])
    assert (status, capfd.readouterr().out) == (0, "Linux\n")
    assert sup.sync_wake_up is (_release() >= (6, 6))


def test_without_sync_wake_up_the_supervisor_serves_all_the_same(mount, capfd, monkeypatch):
    import fcntl

    from fakeproc.backends.seccomp import _abi

    real = fcntl.ioctl

    def before_6_6(fd, request, *args):
        if request == _abi.SECCOMP_IOCTL_NOTIF_SET_FLAGS:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        return real(fd, request, *args)

    monkeypatch.setattr(fcntl, "ioctl", before_6_6)
    status, sup, _ = _serve(mount, ["cat", "/proc/sys/kernel/ostype"])
    assert (status, capfd.readouterr().out, sup.sync_wake_up) == (0, "Linux\n", False)


@pytest.mark.skipif(os.geteuid() != 0, reason="a new mount namespace needs root here")
def test_a_new_mount_namespace_in_cmd_switches_to_the_component_walk(mount, capfd):
    mount.kernel.write("vm.swappiness", "31")
    status, _, handlers = _serve(mount, ["unshare", "--mount", "cat", "/proc/sys/vm/swappiness"])
    assert (status, capfd.readouterr().out) == (0, "31\n")
    assert handlers.paths.simple is False


def test_threads_and_children_keep_the_quick_decisions(mount, capfd):
    code = ("import subprocess, threading\nt = threading.Thread(target=print, args=('thread',))\nt.start()\n"
            "t.join()\nsubprocess.run(['cat', '/proc/sys/kernel/ostype'])")
    status, _, handlers = _serve(mount, py(code))
    assert (status, capfd.readouterr().out) == (0, "thread\nLinux\n")
    assert handlers.paths.simple is True


def test_a_chroot_in_cmd_switches_to_the_component_walk(mount, capfd, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    code = f"import os\nos.chroot({str(tmp_path)!r})\nprint(os.path.exists('/proc/sys/kernel/ostype'))"
    status, _, handlers = _serve(mount, py(code))
    assert (status, capfd.readouterr().out) == (0, "False\n")
    assert handlers.paths.simple is False


def test_the_supervisors_own_threads_stay_unfiltered(mount, capfd):
    def mode() -> str:
        with open("/proc/self/status") as f:
            return next(line for line in f if line.startswith("Seccomp:"))

    before = mode()
    status, _, _ = _serve(mount, ["cat", "/proc/sys/kernel/ostype"])
    assert (status, capfd.readouterr().out, mode()) == (0, "Linux\n", before)


def test_a_command_started_from_another_thread_is_served(mount, capfd):
    import threading

    got: list[int] = []
    t = threading.Thread(target=lambda: got.append(run_redirected(["sh", "-c", "cat /proc/sys/kernel/ostype; exit 4"],
                                                                  mountpoint=mount.path)))
    t.start()
    t.join(30)
    assert (got, capfd.readouterr().out) == ([4], "Linux\n")


def test_descriptors_of_proc_sys_walk_up_to_proc_and_read_back_as_proc_sys(mount, capfd):
    """'..' from the fake's root is the caller's /proc and /proc/self/fd names /proc/sys/...: the
    private mountpoint (and the runtime directory holding it) never shows."""
    code = ("import os\nd = os.open('/proc/sys', os.O_RDONLY | os.O_DIRECTORY)\n"
            "up = os.open('..', os.O_RDONLY | os.O_DIRECTORY, dir_fd=d)\n"
            "print(os.path.samestat(os.fstat(up), os.stat('/proc')), 'sys' in os.listdir(up))\n"
            "f = os.open('/proc/sys/kernel/msgmax', os.O_RDONLY)\n"
            "print(os.readlink(f'/proc/self/fd/{f}'), os.readlink(f'/proc/self/fd/{d}'))\n"
            "os.fchdir(os.open('kernel', os.O_RDONLY | os.O_DIRECTORY, dir_fd=d))\nprint(os.getcwd())")
    status, out, err = run(mount, py(code), capfd)
    assert (status, out) == (0, "True True\n/proc/sys/kernel/msgmax /proc/sys\n/proc/sys/kernel\n"), err
    assert mount.path not in out + err


def test_an_inotify_watch_on_proc_sys_sees_the_callers_writes(mount, capfd):
    mount.kernel.write("vm.swappiness", "60")
    code = ("import ctypes, os, struct\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "ifd = libc.inotify_init1(os.O_NONBLOCK)\n"
            "wd = libc.inotify_add_watch(ifd, b'/proc/sys/vm/swappiness', 0x2 | 0x8)\n"
            "f = os.open('/proc/sys/vm/swappiness', os.O_WRONLY)\nos.write(f, b'7')\nos.close(f)\n"
            "data = os.read(ifd, 4096)\n"
            "print(wd > 0, [struct.unpack_from('iIII', data, o)[1] for o in range(0, len(data), 16)])")
    status, out, err = run(mount, py(code), capfd)
    assert (status, out) == (0, "True [2, 8]\n"), err
    assert mount.kernel.read("vm.swappiness") == "7\n"


def test_an_inotify_watch_asks_the_callers_ids_and_checks_the_descriptor_first(mount, capfd):
    code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nifd = libc.inotify_init1(0)\n"
            "print(libc.inotify_add_watch(ifd, b'/proc/sys/kernel/msgmax', 0x2) > 0,\n"
            "      libc.inotify_add_watch(ifd, b'/proc/sys/vm/drop_caches', 0x2), ctypes.get_errno(),\n"
            "      libc.inotify_add_watch(99, b'/proc/sys/kernel/msgmax/.', 0x2), ctypes.get_errno())")
    status, out, err = run(mount, [*UNPRIV, *py(code)], capfd)
    assert (status, out) == (0, f"True -1 {errno.EACCES} -1 {errno.EBADF}\n"), err
