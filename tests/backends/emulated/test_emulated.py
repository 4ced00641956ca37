"""The emulated backend alone: its stated limits, uname, bad set-ups, and a Docker-like container.

The Docker engine cannot run on this machine (only its client is installed), so the container
is simulated: a private mount namespace whose /dev has no fuse node, a Docker-like seccomp
filter (unshare: EPERM, clone3: ENOSYS), and uid 1001 with no_new_privs.
"""

from __future__ import annotations

import ctypes
import errno
import os
import subprocess
import sys

import pytest

from fakeproc.backends.emulated import available, run_emulated
from tests.fuse.support import requires_root

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))
PY = [sys.executable, "-S", "-c"]


@pytest.fixture
def emulated(kernel, capfd):
    def run(argv):
        capfd.readouterr()
        status = run_emulated(argv, kernel=kernel)
        out, err = capfd.readouterr()
        return status, out, err

    return run


def test_mmap_of_a_proc_sys_file_fails_with_enodev_like_procfs(emulated):
    code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.mmap.restype = ctypes.c_void_p\n"
            "fd = os.open('/proc/sys/kernel/ostype', os.O_RDONLY)\n"
            "r = libc.mmap(None, 4096, 1, 2, fd, ctypes.c_long(0))\nprint(ctypes.get_errno() if r == 2**64 - 1 else r)")
    assert emulated([*PY, code])[1] == f"{errno.ENODEV}\n"


def test_io_uring_is_refused_with_enosys_and_a_log_line(emulated, caplog):
    code = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.syscall(425, 4, ctypes.create_string_buffer(120)), ctypes.get_errno())"
    assert emulated([*PY, code])[1] == f"-1 {errno.ENOSYS}\n"
    assert "io_uring" in caplog.text


def test_cmd_installing_its_own_filter_is_logged_and_stacks(emulated, caplog):
    code = ("import ctypes, struct\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "prog = struct.pack('<HBBI', 6, 0, 0, 0x7fff0000)\nbuf = ctypes.create_string_buffer(prog)\n"
            "class F(ctypes.Structure):\n    _fields_ = [('len', ctypes.c_ushort), ('f', ctypes.c_void_p)]\n"
            "f = F(1, ctypes.addressof(buf))\nlibc.prctl(38, 1, 0, 0, 0)\n"
            "print(libc.syscall(317, 1, 0, ctypes.byref(f)), libc.syscall(317, 1, 8, ctypes.byref(f)), ctypes.get_errno())\n"
            "print(open('/proc/sys/kernel/ostype').read(), end='')")
    assert emulated([*PY, code])[1] == f"0 -1 {errno.EBUSY}\nLinux\n"
    assert "its own seccomp filter" in caplog.text


def test_a_descriptor_passed_outside_cmd_fails_with_an_errno(emulated, kernel, tmp_path):
    # The placeholder is all another process gets: write-only and sealed.
    sock = str(tmp_path / "s")
    import socket
    import threading

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(1)
    got: list[str] = []

    def outside() -> None:
        conn, _ = srv.accept()
        _msg, fds, _f, _a = socket.recv_fds(conn, 1, 1)
        for op in (lambda: os.read(fds[0], 9), lambda: os.write(fds[0], b"5")):
            try:
                op()
                got.append("ok")
            except OSError as e:
                got.append(errno.errorcode[e.errno])
        conn.close()

    t = threading.Thread(target=outside)
    t.start()
    code = (f"import os, socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({sock!r})\n"
            "socket.send_fds(s, [b'x'], [os.open('/proc/sys/vm/swappiness', os.O_RDWR)])\ns.recv(1)")
    emulated([*PY, code])
    t.join(10)
    srv.close()
    assert got == ["EBADF", "EPERM"]
    assert kernel.read("vm.swappiness") == "60\n"


def test_uname_answers_from_the_fake_kernel(emulated, kernel):
    kernel.write("kernel.hostname", "fakehost")
    kernel.write("kernel.domainname", "fakedomain")
    status, out, _ = emulated(["sh", "-c", "hostname; uname -n; uname -r; domainname"])
    release = kernel.read("kernel.osrelease").strip()
    assert (status, out) == (0, f"fakehost\nfakehost\n{release}\nfakedomain\n")


def test_kernel_too_old_gives_one_line_and_exit_2():
    r = subprocess.run([sys.executable, "-m", "fakeproc.backends.emulated", "--", "true"], capture_output=True,
                       text=True, check=False, env={**os.environ, "FAKEPROC_SECCOMP_KERNEL": "5.8"})
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "too old" in r.stderr


# ---------------------------------------------------------------- a Docker-like container, simulated

_CLONE_NEWNS, _MS_REC, _MS_PRIVATE = 0x20000, 0x4000, 1 << 18


def _docker_like() -> None:
    """In the child, as root: hide /dev/fuse, install a Docker-like filter, become uid 1001."""
    from fakeproc.backends.seccomp import _abi
    from fakeproc.backends.seccomp._supervisor import SockFprog

    libc = _abi.libc
    if libc.unshare(_CLONE_NEWNS) or libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None):
        raise OSError(ctypes.get_errno(), "mount namespace")
    if libc.mount(b"tmpfs", b"/dev", b"tmpfs", 0, b"mode=0755"):
        raise OSError(ctypes.get_errno(), "tmpfs")
    for name, minor in ((b"/dev/null", 3), (b"/dev/zero", 5), (b"/dev/urandom", 9)):
        os.mknod(name, 0o20666, os.makedev(1, minor))
        os.chmod(name, 0o666)
    prog = _abi.bpf_program([], errno_rules=[(_abi.NR_UNSHARE, errno.EPERM), (_abi.NR_CLONE3, errno.ENOSYS)])
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = SockFprog(len(prog) // 8, ctypes.addressof(buf))
    if libc.syscall(ctypes.c_long(_abi.NR["seccomp"]), ctypes.c_long(1), ctypes.c_long(0), ctypes.byref(fprog)):
        raise OSError(ctypes.get_errno(), "seccomp")
    os.setgroups([])
    os.setresgid(1001, 1001, 1001)
    os.setresuid(1001, 1001, 1001)


@requires_root  # the container is set up by root, then dropped to uid 1001
def test_in_a_docker_like_container_emulated_serves_sysctl_and_namespaces_are_refused():
    script = ("test -e /dev/fuse && echo fuse-present; sysctl -w vm.swappiness=5; sysctl -n vm.swappiness;"
              " unshare -U true 2>/dev/null || echo unshare-refused; id -u")
    r = subprocess.run([sys.executable, "-m", "fakeproc.backends.emulated", "--", "sh", "-c", script],
                       capture_output=True, text=True, check=False, preexec_fn=_docker_like, cwd="/",
                       env={**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                            "PYTHONPATH": os.getcwd()})
    assert (r.returncode, r.stdout) == (0, "vm.swappiness = 5\n5\nunshare-refused\n1001\n"), r.stderr


@requires_root  # the container is set up by root, then dropped to uid 1001
def test_in_a_docker_like_container_the_fuse_backends_say_what_is_missing():
    r = subprocess.run([sys.executable, "-m", "fakeproc.backends.seccomp", "--", "true"],
                       capture_output=True, text=True, check=False, preexec_fn=_docker_like, cwd="/",
                       env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "fuse" in r.stderr.lower()


def _close_range_refused() -> None:
    """In the child: a filter refusing close_range(2) with ENOSYS, as seccomp profiles older than
    the syscall do (CPython then closes descriptors by listing /proc/self/fd)."""
    from fakeproc.backends.seccomp import _abi
    from fakeproc.backends.seccomp._supervisor import SockFprog

    prog = _abi.bpf_program([], errno_rules=[(436, errno.ENOSYS)])
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = SockFprog(len(prog) // 8, ctypes.addressof(buf))
    if _abi.libc.prctl(38, 1, 0, 0, 0) or _abi.libc.syscall(ctypes.c_long(_abi.NR["seccomp"]), ctypes.c_long(1),
                                                             ctypes.c_long(0), ctypes.byref(fprog)):
        raise OSError(ctypes.get_errno(), "seccomp")


def test_where_close_range_is_refused_commands_still_start_and_are_served():
    r = subprocess.run([sys.executable, "-m", "fakeproc.backends.emulated", "--", "sh", "-c",
                        "sysctl -w vm.swappiness=9 && cat /proc/sys/vm/swappiness"],
                       capture_output=True, text=True, check=False, preexec_fn=_close_range_refused, timeout=60,
                       env={**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                            "PYTHONPATH": os.getcwd()})
    assert (r.returncode, r.stdout) == (0, "vm.swappiness = 9\n9\n"), r.stderr


def test_a_supervisor_with_hundreds_of_descriptors_open_still_starts_commands():
    """Its pipes to the child then land on watched numbers (>= 512), which the child uses before exec."""
    code = ("import os, fakeproc\nfrom fakeproc.backends.emulated import run_emulated\nfrom fakeproc.errors import CommandNotFound\n"
            "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(600)]\nk = fakeproc.Kernel('6.18')\n"
            "print(run_emulated(['cat', '/proc/sys/kernel/ostype'], kernel=k))\n"
            "try:\n    run_emulated(['fakeproc-no-such-command'], kernel=k)\nexcept CommandNotFound as e:\n    print(e)")
    r = subprocess.run([*PY, code], capture_output=True, text=True, check=False, timeout=60,
                       env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert (r.returncode, r.stdout) == (0, "Linux\n0\nfakeproc-no-such-command: command not found\n"), r.stderr
