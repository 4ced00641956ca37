"""The same tools give the same bytes and errnos under the seccomp and the emulated backend.

Expected outputs are what the FUSE mount gives (tests/fuse and tests/sandbox check those
against procfs); the kernel is a fresh 6.18 one per test.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys

import pytest

from tests.backends.seccomp.test_redirect import GO_PROG, _static_busybox, same_user_namespace_view
from tests.fuse.support import requires_fuse

PY = [sys.executable, "-S", "-c"]


def test_sysctl_reads_a_key(served, kernel):
    kernel.write("kernel.sem", "1 2 3 4")
    assert served(["sysctl", "kernel.sem"])[:2] == (0, "kernel.sem = 1\t2\t3\t4\n")
    assert served(["sysctl", "-n", "kernel.sem"])[1] == "1\t2\t3\t4\n"
    assert served(["sysctl", "-N", "kernel.sem"])[1] == "kernel.sem\n"


@requires_fuse  # the mount is the reference
def test_sysctl_a_prints_what_the_mount_prints(served, kernel):
    from fakeproc.sandbox import mounted

    with mounted(kernel.copy()) as m:
        want = m.run(["sysctl", "-a"], capture_output=True, text=True).stdout
    status, out, _ = served(["sysctl", "-a"])

    def stable(text: str) -> list[str]:  # random.uuid and entropy differ on every read
        return [line for line in same_user_namespace_view(text) if not line.startswith(("kernel.random.",))]

    assert status == 0
    assert stable(out) == stable(want)
    assert len(stable(out)) > 1000


def test_sysctl_w_writes_the_model(served, kernel):
    assert served(["sysctl", "-w", "vm.swappiness=7"])[:2] == (0, "vm.swappiness = 7\n")
    assert kernel.read("vm.swappiness") == "7\n"


def test_sysctl_w_invalid_value_reports_the_kernels_errno(served, kernel):
    status, _, err = served(["sysctl", "-w", "kernel.sem=1 2 3 99999999"])
    assert status != 0 and "Numerical result out of range" in err
    assert served(["sysctl", "-q", "-w", "vm.swappiness=8"])[:2] == (0, "")
    status, out, err = served(["sysctl", "-e", "no.such.key"])
    assert (status, out, err) == (0, "", "")


def test_sysctl_p_and_system_apply_a_file(served, kernel, tmp_path):
    conf = tmp_path / "s.conf"
    conf.write_text("vm.swappiness = 9\nkernel.hostname = box\n")
    status, out, _ = served(["sysctl", "-p", str(conf)])
    assert (status, out) == (0, "vm.swappiness = 9\nkernel.hostname = box\n")
    assert kernel.read("kernel.hostname") == "box\n"


def test_busybox_sysctl(served, kernel):
    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed")
    kernel.write("vm.swappiness", "33")
    assert served(["busybox", "sysctl", "vm.swappiness"])[1] == "vm.swappiness = 33\n"
    assert served(["busybox", "sysctl", "-w", "vm.swappiness=34"])[1] == "vm.swappiness = 34\n"
    assert kernel.read("vm.swappiness") == "34\n"


def test_static_busybox_sysctl(served, kernel):
    bb = _static_busybox()
    if bb is None:
        pytest.skip("no static busybox (needs root and apt-get download busybox-static)")
    assert served([bb, "sysctl", "-w", "vm.swappiness=44"])[:2] == (0, "vm.swappiness = 44\n")
    assert served([bb, "sysctl", "-n", "vm.swappiness"])[1] == "44\n"


@pytest.mark.parametrize(("script", "value"), [
    ("echo 13 > /proc/sys/vm/swappiness", "13\n"),
    ("printf 14 > /proc/sys/vm/swappiness", "14\n"),
    ("echo 15 >> /proc/sys/vm/swappiness", "15\n"),
])
def test_shell_redirections(served, kernel, script, value):
    served(["sh", "-c", script])
    assert kernel.read("vm.swappiness") == value


def test_shell_copies_through_a_numbered_descriptor(served, kernel):
    # dash: open at 5 (dup2 from the injected number), then `>&5` dup2s 5 onto the watched fd 1
    assert served(["sh", "-c", "exec 5>/proc/sys/vm/swappiness; echo 16 >&5"])[0] == 0
    assert kernel.read("vm.swappiness") == "16\n"


def test_a_copy_at_an_unwatched_number_works_or_fails_with_an_errno(served, kernel):
    code = ("import os\nfd = os.open('/proc/sys/vm/swappiness', os.O_RDWR)\nos.dup2(fd, 7)\n"
            "for op in (lambda: os.write(7, b'17'), lambda: os.read(7, 9)):\n"
            "    try:\n        print(op())\n    except OSError as e:\n        print(e.errno)")
    out = served([*PY, code])[1]
    if served.backend == "seccomp":  # a real descriptor of the mount: nothing to watch
        assert (out, kernel.read("vm.swappiness")) == ("2\nb''\n", "17\n")  # proc_dointvec: EOF at pos > 0
    else:  # stated limit: EPERM (sealed placeholder) and EBADF (write-only), and a log line
        assert (out, kernel.read("vm.swappiness")) == (f"{errno.EPERM}\n{errno.EBADF}\n", "60\n")


def test_cat_and_dd_read_and_write(served, kernel):
    assert served(["cat", "/proc/sys/kernel/ostype"])[1] == "Linux\n"
    assert served(["dd", "if=/proc/sys/kernel/ostype", "bs=1", "status=none"])[1] == "Linux\n"
    served(["sh", "-c", "printf 'ab' | dd of=/proc/sys/kernel/domainname bs=1 status=none"])
    assert kernel.read("kernel.domainname") == "ab\n"
    served(["sh", "-c", "printf 'x' | dd of=/proc/sys/kernel/domainname bs=1 seek=2 conv=notrunc status=none"])
    assert kernel.read("kernel.domainname") == "abx\n"


def test_python_open_read_write_and_copyfile(served, kernel, tmp_path):
    code = ("import shutil\nopen('/proc/sys/vm/swappiness', 'w').write('21\\n')\n"
            "print(open('/proc/sys/vm/swappiness').read(), end='')\n"
            f"shutil.copyfile('/proc/sys/kernel/ostype', {str(tmp_path / 'o')!r})")
    assert served([*PY, code])[1] == "21\n"
    assert (tmp_path / "o").read_text() == "Linux\n"


def test_busybox_cat_copies_through_sendfile(served, kernel):
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed")
    assert served([busybox, "cat", "/proc/sys/kernel/ostype"])[1] == "Linux\n"


def test_an_o_direct_open_is_einval_like_procfs(served, kernel):
    code = ("import os\n"
            "for path in ('/proc/sys/kernel/ostype', '/proc/sys/kernel/nope'):\n"
            "    try:\n        os.open(path, os.O_RDONLY | os.O_DIRECT)\n"
            "    except OSError as e:\n        print(e.errno)\n")
    assert served([*PY, code])[1] == f"{errno.EINVAL}\n{errno.ENOENT}\n"


def test_pread_and_pwrite_at_offsets(served, kernel):
    code = ("import os\nfd = os.open('/proc/sys/kernel/ostype', os.O_RDONLY)\n"
            "print(os.pread(fd, 3, 2), os.pread(fd, 99, 99), os.lseek(fd, 0, os.SEEK_END))\n"
            "w = os.open('/proc/sys/kernel/domainname', os.O_WRONLY)\n"
            "os.pwrite(w, b'ab', 0); os.pwrite(w, b'cd', 2)\n")
    assert served([*PY, code])[1] == "b'nux' b'' 0\n"
    assert kernel.read("kernel.domainname") == "abcd\n"


@pytest.mark.parametrize(("path", "flags", "err"), [
    ("/proc/sys/kernel/nope", os.O_RDONLY, errno.ENOENT),
    ("/proc/sys/kernel/ostype", os.O_WRONLY, errno.EACCES),
    ("/proc/sys/kernel", os.O_WRONLY, errno.EISDIR),
    ("/proc/sys/kernel/ostype/", os.O_RDONLY, errno.ENOTDIR),
])
def test_open_errnos(served, path, flags, err):
    code = f"import os\ntry:\n    os.open({path!r}, {flags})\nexcept OSError as e:\n    print(e.errno)"
    assert served([*PY, code])[1] == f"{err}\n"


def test_relative_paths_dirfds_dotdot_and_symlinks(served, kernel, tmp_path):
    kernel.write("vm.swappiness", "22")
    (tmp_path / "link").symlink_to("/proc/sys/vm")
    code = ("import os\nos.chdir('/proc/sys/vm')\nprint(open('swappiness').read(), end='')\n"
            "d = os.open('/proc/sys', os.O_RDONLY | os.O_DIRECTORY)\n"
            "print(os.read(os.open('kernel/../vm/swappiness', os.O_RDONLY, dir_fd=d), 99).decode(), end='')\n"
            f"print(open({str(tmp_path / 'link' / 'swappiness')!r}).read(), end='')\n"
            "print(open('/proc/self/root/proc/sys/vm/swappiness').read(), end='')")
    assert served([*PY, code])[1] == "22\n" * 4


def test_stat_mode_owner_and_size_and_listing(served):
    code = ("import os\nfor p in ('kernel/sem', 'kernel/ostype', 'kernel'):\n"
            "    s = os.stat('/proc/sys/' + p)\n    print(oct(s.st_mode), s.st_uid, s.st_size, s.st_nlink)\n"
            "fd = os.open('/proc/sys/kernel/sem', os.O_RDONLY)\nprint(oct(os.fstat(fd).st_mode))\n"
            "print(sorted(os.listdir('/proc/sys/kernel/random')))")
    out = served([*PY, code])[1].splitlines()
    assert out[:3] == ["0o100644 0 0 1", "0o100444 0 0 1", "0o40555 0 0 1"][:2] + [out[2]]
    assert out[2].startswith("0o40555 0 0")
    assert out[3] == "0o100644"
    assert out[4] == str(["boot_id", "entropy_avail", "poolsize", "urandom_min_reseed_secs", "uuid",
                          "write_wakeup_threshold"])


def test_a_cmd_that_never_touches_proc_sys_is_unaffected(served, tmp_path):
    (tmp_path / "f").write_text("hello\n")
    assert served(["sh", "-c", f"cat {tmp_path}/f; ls {tmp_path}; exit 3"])[:2] == (3, "hello\nf\n")


def test_static_go_binary(served, kernel, tmp_path):
    go = shutil.which("go") or ("/usr/lib/go/bin/go" if os.path.exists("/usr/lib/go/bin/go") else None)
    if go is None:
        pytest.skip("no Go toolchain (apt-get install golang-go)")
    (tmp_path / "main.go").write_text(GO_PROG)
    env = {**os.environ, "CGO_ENABLED": "0", "GOCACHE": str(tmp_path / "c"), "GOPATH": str(tmp_path / "g"),
           "GO111MODULE": "off"}
    subprocess.run([go, "build", "-o", str(tmp_path / "prog"), str(tmp_path / "main.go")], env=env, check=True)
    assert served([str(tmp_path / "prog")])[1] == "55\nopen /proc/sys/kernel/nope: no such file or directory\n"
    assert kernel.read("vm.swappiness") == "55\n"


def test_systemd_sysctl_where_installed(served, kernel, tmp_path):
    tool = shutil.which("systemd-sysctl") or "/lib/systemd/systemd-sysctl"
    if not os.path.exists(tool):
        pytest.skip("systemd-sysctl is not installed")
    conf = tmp_path / "x.conf"
    conf.write_text("vm.swappiness = 11\n")
    assert served([tool, str(conf)])[0] == 0
    assert kernel.read("vm.swappiness") == "11\n"


def test_a_command_started_in_a_cwd_is_served_there(served, kernel):
    kernel.write("kernel.hostname", "incwd")
    assert served(["sh", "-c", "pwd; cat hostname"], cwd="/proc/sys/kernel")[:2] == (0, "/proc/sys/kernel\nincwd\n")


def test_coreutils_stat_through_statx_sees_the_fake(served, kernel):
    """coreutils stat(1) and ls -l use statx(2), which must be answered from the fake like stat(2):
    the same inode numbers (the host's procfs has others)."""
    code = ("import os, subprocess\nfor p in ('/proc/sys/kernel/sem', '/proc/sys/kernel/random'):\n"
            "    via_statx = subprocess.run(['stat', '-c', '%i %a %s %F', p], capture_output=True, text=True).stdout\n"
            "    print(via_statx == f'{os.stat(p).st_ino} ' + via_statx.split(' ', 1)[1], via_statx.split(' ', 1)[1], end='')")
    assert served([*PY, code])[1] == "True 644 0 regular empty file\nTrue 555 0 directory\n"
    status, _, err = served(["stat", "/proc/sys/kernel/nope"])
    assert status == 1 and "No such file or directory" in err
