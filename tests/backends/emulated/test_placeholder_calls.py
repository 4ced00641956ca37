"""The emulated backend answers the calls its placeholder would answer for itself as procfs does.

``_calls_probe.py`` makes descriptor calls the placeholder memfd used to answer (ioctl, fallocate,
xattrs, locks, fchown, readahead, preadv2 flags...); :data:`REAL` is what Linux 6.18.44 answered
(the probe in throwaway IPC and net namespaces, as root), measured again by
``test_the_table_is_what_this_kernel_answers``. The stated limits (docs/mount.md, emulated
backend) fail with their errno and a log line.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

import pytest

from fakeproc.backends.emulated import available, run_emulated

pytestmark = [
    pytest.mark.skipif(available() is not None, reason=str(available())),
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                       reason="needs root and unshare(1): the probe opens kernel/msgmax for writing in a "
                              "throwaway IPC namespace"),
]
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_calls_probe.py")
PY = [sys.executable, "-S", "-c"]
REAL = {
    'fallocate_len0': 'err:EINVAL',
    'fallocate_punch_nokeep_rdonly': 'err:ENOTSUP',
    'fallocate_wronly_keep': 'err:ENOTSUP',
    'fallocate_wronly_punch_keep': 'err:ENOTSUP',
    'fchown_dir_m1': 'None',
    'fchown_uid_only': 'err:EPERM',
    'fgetxattr_dir': 'err:ENOTSUP',
    'fgetxattr_security': 'err:ENOTSUP',
    'fgetxattr_trusted': 'err:ENOTSUP',
    'fgetxattr_user': 'err:ENOTSUP',
    'fgetxattr_wronly_0644': 'err:ENOTSUP',
    'fibmap': 'err:EINVAL',
    'fiemap': 'err:ENOTSUP',
    'figetbsz': '(1024,)',
    'fioasync_on': 'err:ENOTTY',
    'fionbio_getfl': "(b'\\x01\\x00\\x00\\x00', '0x8800')",
    'fionread_after_3': "(b'Lin', (-3,))",
    'fionread_dir': 'err:ENOTTY',
    'fioqsize': "b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'",
    'flistxattr_dir': '[]',
    'flock_release_on_close': '(None, None)',
    'flock_two_files_no_conflict': '(None, None)',
    'fremovexattr_0444': 'err:EACCES',
    'fremovexattr_0644': 'err:ENOTSUP',
    'fsetxattr_0444': 'err:EACCES',
    'fsetxattr_0644': 'err:ENOTSUP',
    'fsetxattr_badflags': 'err:EINVAL',
    'fsetxattr_dir': 'err:EACCES',
    'fsetxattr_trusted': 'err:ENOTSUP',
    'fsgetxattr': 'err:ENOTTY',
    'ftruncate_big_wronly': 'err:EFBIG',
    'getlk_sees_wrlck_same_process': '(None, 2)',
    'openat2_beneath_dotdot_inside': 'err:EXDEV',
    'openat2_beneath_from_proc_cwd': "b'Linux\\n'",
    'openat2_beneath_in_root': 'err:EINVAL',
    'openat2_cached_creat': 'err:EAGAIN',
    'openat2_in_root_absolute': "b'Linux\\n'",
    'openat2_no_xdev_relative_from_root': 'err:EXDEV',
    'preadv2_append_noappend': 'err:EINVAL',
    'preadv2_atomic': 'err:ENOTSUP',
    'preadv2_dsync': '6',
    'preadv2_pos_minus1': '(2, 2)',
    'preadv_dir': 'err:EISDIR',
    'preadv_empty': '0',
    'preadv_wronly': 'err:EBADF',
    'readahead_dir': 'err:EINVAL',
    'readahead_wronly': 'err:EBADF',
    'readv_stable_secret_empty': '0',
    'setfl_direct': 'err:EINVAL',
    'setfl_nonblock_getfl': "(0, '0x8800')",
    'wrlck_then_flock_other': '(None, None)',
}


def _argv() -> list[str]:
    return ["unshare", "--ipc", "--net", sys.executable, "-S", PROBE, "/proc/sys/"]


@pytest.fixture(scope="module")
def emulated_answers(tmp_path_factory) -> dict[str, str]:
    import fakeproc

    out = tmp_path_factory.mktemp("calls") / "answers.json"
    status = run_emulated(["sh", "-c", f'exec "$@" > {out}', "sh", *_argv()], kernel=fakeproc.Kernel("6.18"))
    assert status == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize("case", sorted(REAL))
def test_a_placeholder_call_answers_as_linux_6_18(emulated_answers, case):
    assert emulated_answers[case] == REAL[case]


def test_the_table_is_what_this_kernel_answers():
    if not os.uname().release.startswith("6.18"):
        pytest.skip(f"the table is Linux 6.18's; this kernel is {os.uname().release}")
    done = subprocess.run(_argv(), check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == REAL


@pytest.fixture
def emulated(kernel, capfd):
    def run(code):
        capfd.readouterr()
        status = run_emulated([*PY, code], kernel=kernel)
        out, _err = capfd.readouterr()
        assert status == 0, _err
        return out

    return run


def test_a_read_lock_on_a_readable_open_is_the_logged_enolck_limit(emulated, caplog):
    code = ("import fcntl, os\nfd = os.open('/proc/sys/kernel/ostype', os.O_RDONLY)\n"
            "try:\n    fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)\nexcept OSError as e:\n    print(e.errno)")
    assert emulated(code) == f"{errno.ENOLCK}\n"
    assert "read locks (F_RDLCK)" in caplog.text


def test_an_inotify_watch_under_proc_sys_is_the_logged_eopnotsupp_limit(emulated, caplog):
    code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\ng = libc.inotify_init1(0)\n"
            "print(libc.inotify_add_watch(g, b'/proc/sys/kernel/msgmax', 0xfff), ctypes.get_errno())\n"
            "print(libc.inotify_add_watch(g, b'/tmp', 0xfff) > 0)")
    assert emulated(code) == f"-1 {errno.EOPNOTSUPP}\nTrue\n"
    assert "inotify_add_watch on /proc/sys/kernel/msgmax refused" in caplog.text


def test_write_locks_conflict_between_processes_and_go_with_the_close(emulated):
    # POSIX locks go with any close of the inode by their process: the second open is closed
    # only after the child has tried (as on procfs, where both opens share the inode too).
    code = ("import fcntl, os\nfd = os.open('/proc/sys/vm/swappiness', os.O_WRONLY)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
            "def other():\n    g = os.open('/proc/sys/vm/swappiness', os.O_WRONLY)\n"
            "    pid = os.fork()\n    if pid == 0:\n        try:\n            fcntl.lockf(g, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
            "            os._exit(0)\n        except OSError as e:\n            os._exit(e.errno)\n"
            "    status = os.waitpid(pid, 0)[1]\n    os.close(g)\n    return os.waitstatus_to_exitcode(status)\n"
            "print(other())\nos.close(fd)\nprint(other())")
    assert emulated(code) == f"{errno.EAGAIN}\n0\n"


def test_locks_on_a_pollable_file_are_the_logged_enolck_limit(emulated, caplog):
    code = ("import fcntl, os\nfd = os.open('/proc/sys/kernel/hostname', os.O_RDONLY)\n"
            "try:\n    fcntl.flock(fd, fcntl.LOCK_EX)\nexcept OSError as e:\n    print(e.errno)")
    assert emulated(code) == f"{errno.ENOLCK}\n"
    assert "locks on emulated /proc/sys/kernel/hostname" in caplog.text


def test_copy_file_range_between_two_emulated_files_is_the_logged_exdev_limit(emulated, caplog):
    code = ("import os\na = os.open('/proc/sys/kernel/ostype', os.O_RDONLY)\n"
            "b = os.open('/proc/sys/kernel/msgmax', os.O_WRONLY)\n"
            "try:\n    os.copy_file_range(a, b, 10)\nexcept OSError as e:\n    print(e.errno)")
    assert emulated(code) == f"{errno.EXDEV}\n"
    assert "copy_file_range" in caplog.text


def test_a_lookup_from_an_emulated_directory_into_another_is_the_logged_enotdir_limit(emulated, caplog):
    code = ("import os\nd = os.open('/proc/sys', os.O_RDONLY)\n"
            "print(os.path.samestat(os.stat('..', dir_fd=d), os.stat('/proc')))\n"
            "try:\n    os.open('../version', os.O_RDONLY, dir_fd=d)\nexcept OSError as e:\n    print(e.errno)")
    assert emulated(code) == f"True\n{errno.ENOTDIR}\n"
    assert "'../version'" in caplog.text


def test_fd_links_and_fdinfo_of_a_placeholder_describe_the_proc_sys_file(emulated):
    code = ("import os\nfd = os.open('/proc/sys/kernel/ostype', os.O_RDONLY)\nos.read(fd, 3)\n"
            "print(os.readlink(f'/proc/self/fd/{fd}'))\n"
            "print(open(f'/proc/self/fdinfo/{fd}').read().splitlines()[:2])\n"
            "print(os.read(os.open(f'/dev/fd/{fd}', os.O_RDONLY), 100))")
    assert emulated(code) == "/proc/sys/kernel/ostype\n['pos:\\t3', 'flags:\\t02100000']\nb'Linux\\n'\n"


def test_the_supervisor_keeps_few_descriptors_for_files_cmd_has_closed(emulated, monkeypatch):
    # One keeper per file CMD holds open, and a bounded number more (256 here): sysctl -a opens
    # ~1300 files.
    import fakeproc.backends.emulated._handlers as handlers

    monkeypatch.setattr(handlers, "keep_inodes", lambda: 256)
    code = ("import os\nppid = os.getppid()\nbefore = len(os.listdir(f'/proc/{ppid}/fd'))\n"
            "names = []\nfor top, _dirs, files in os.walk('/proc/sys'):\n"
            "    names += [os.path.join(top, f) for f in files]\n"
            "for name in names[:600]:\n    try:\n        os.close(os.open(name, os.O_RDONLY))\n"
            "    except OSError:\n        pass\n"
            "print(len(names) >= 600, len(os.listdir(f'/proc/{ppid}/fd')) - before <= 260)")
    assert emulated(code) == "True True\n"
