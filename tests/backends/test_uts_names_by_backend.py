"""``sethostname(2)``/``setdomainname(2)`` under the seccomp and emulated backends change the
fake's UTS names as kernel/sys.c would, and never the machine's.

Every root case runs with the test's main thread (and so the mount's server, the supervisor and
CMD) in a throwaway UTS namespace of its own (:func:`own_uts`): a call that reached the real
kernel would rename that namespace, which the tests check, and not the machine.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fakeproc.backends.seccomp import available

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

CLONE_NEWUTS = 0x04000000
UNPRIV = ["setpriv", "--reuid=1001", "--regid=1001", "--clear-groups"]
_libc = ctypes.CDLL(None, use_errno=True)

# Calls sethostname or setdomainname (argv[1]) with raw (address, len) pairs and prints, for each
# case, the errno (0: success) and the name uname(2)/getdomainname then report.
CALLER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
call = sys.argv[1]
nr = {"sethostname": 170, "setdomainname": 171}[call]
page = os.sysconf("SC_PAGE_SIZE")
edge = libc.mmap(None, 2 * page, 3, 0x22, -1, 0)  # PROT_READ|WRITE, MAP_PRIVATE|ANONYMOUS
libc.munmap(ctypes.c_void_p(edge + page), page)    # 3 readable bytes, then an unmapped page
ctypes.memmove(edge + page - 3, b"abc", 3)
keep = []
def buf(data):
    b = ctypes.create_string_buffer(data, len(data))
    keep.append(b)
    return ctypes.addressof(b)
def name():
    if call == "sethostname":
        return os.uname().nodename
    out = ctypes.create_string_buffer(65)
    libc.getdomainname(out, 65)
    return out.value.decode()
cases = [
    ("box", buf(b"box"), 3),
    ("len 65", buf(b"x" * 65), 65),
    ("len -1", buf(b"box"), -1),
    ("len 64", buf(b"y" * 64), 64),
    ("high bits ignored", buf(b"abcdef"), (1 << 32) | 3),
    ("low bits negative", buf(b"abcdef"), 0xFFFFFFFF),
    ("NULL", 0, 3),
    ("bad pointer", 1, 3),
    ("runs into unmapped", edge + page - 3, 5),
    ("bad pointer len 0", 1, 0),
    ("NUL inside", buf(b"ab\0cd"), 5),
    ("newline", buf(b"a\nb"), 3),
]
for label, addr, length in cases:
    r = libc.syscall(ctypes.c_long(nr), ctypes.c_void_p(addr), ctypes.c_long(length))
    print(label, 0 if r == 0 else ctypes.get_errno(), repr(name()))
"""

ROOT_TABLE = (
    "box 0 'box'\n"
    "len 65 22 'box'\n"
    "len -1 22 'box'\n"
    f"len 64 0 '{'y' * 64}'\n"
    "high bits ignored 0 'abc'\n"
    "low bits negative 22 'abc'\n"
    "NULL 14 'abc'\n"
    "bad pointer 14 'abc'\n"
    "runs into unmapped 14 'abc'\n"
    "bad pointer len 0 0 ''\n"
    "NUL inside 0 'ab'\n"
    "newline 0 'a\\nb'\n"
)


def _real_names() -> tuple[str, bytes]:
    out = ctypes.create_string_buffer(65)
    assert _libc.getdomainname(out, 65) == 0
    return os.uname().nodename, out.value


@pytest.fixture
def own_uts() -> Iterator[tuple[str, bytes]]:
    """The main thread in a throwaway UTS namespace until the test ends (threads and processes
    it starts meanwhile are born there); yields the names it starts with, the machine's."""
    if os.geteuid() != 0:
        pytest.skip("a throwaway UTS namespace needs root")
    machine = _real_names()
    home = os.open("/proc/thread-self/ns/uts", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.unshare(CLONE_NEWUTS) != 0:
            pytest.skip(f"unshare(CLONE_NEWUTS): {os.strerror(ctypes.get_errno())}")
        try:
            yield machine
        finally:
            assert _libc.setns(home, CLONE_NEWUTS) == 0, os.strerror(ctypes.get_errno())
    finally:
        os.close(home)
    assert _real_names() == machine


@pytest.fixture
def as_root(own_uts: tuple[str, bytes], served: Any, kernel: Any) -> Callable[[list[str]], tuple[int, str, str]]:
    """``served`` (both backends) inside :func:`own_uts`, with the seccomp backend answering
    uname and the UTS calls from the fake as ``fakeproc run`` does."""
    from fakeproc.backends.seccomp import uname_of, uts_target_of

    def run(argv: list[str]) -> tuple[int, str, str]:
        if served.backend == "emulated":
            result: tuple[int, str, str] = served(argv)
        else:
            result = served(argv, uname=uname_of(kernel, kernel.init_ns), uts=uts_target_of(kernel.init_ns))
        assert _real_names() == own_uts, "a UTS call reached the real kernel"
        return result

    return run


def test_hostname_as_root_renames_the_fake_and_not_the_host(as_root, kernel):
    script = "hostname foo && uname -n && hostname && cat /proc/sys/kernel/hostname && sysctl kernel.hostname"
    status, out, err = as_root(["sh", "-c", script])
    assert (status, out, err) == (0, "foo\nfoo\nfoo\nkernel.hostname = foo\n", "")
    assert kernel.read("kernel.hostname") == "foo\n"


def test_domainname_as_root_renames_the_fake_and_not_the_host(as_root, kernel):
    script = "domainname bar && domainname && cat /proc/sys/kernel/domainname && sysctl kernel.domainname && uname -n"
    status, out, err = as_root(["sh", "-c", script])
    assert (status, out, err) == (0, "bar\nbar\nkernel.domainname = bar\n(none)\n", "")
    assert (kernel.read("kernel.domainname"), kernel.read("kernel.hostname")) == ("bar\n", "(none)\n")


def test_a_sysctl_write_after_sethostname_is_what_uname_shows(as_root, kernel):
    status, out, _ = as_root(["sh", "-c", "hostname one && sysctl -q -w kernel.hostname=two && uname -n"])
    assert (status, out) == (0, "two\n")


@pytest.mark.parametrize("call", ["sethostname", "setdomainname"])
def test_lengths_pointers_and_bytes_as_the_real_kernel_answers_them(as_root, kernel, call):
    status, out, err = as_root([sys.executable, "-S", "-c", CALLER, call])
    assert (status, out, err) == (0, ROOT_TABLE, "")
    key = "kernel.hostname" if call == "sethostname" else "kernel.domainname"
    assert kernel.read(key) == "a\nb\n"  # the name up to its first NUL, newline and all
    status, out, _ = as_root(["cat", "/proc/sys/" + key.replace(".", "/")])
    assert (status, out) == (0, "a\nb\n")


@pytest.mark.parametrize("call", ["sethostname", "setdomainname"])
def test_the_table_is_the_real_kernels_in_a_throwaway_namespace(call):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1)")
    real = subprocess.run(["unshare", "--uts", "--", sys.executable, "-S", "-c", CALLER, call],
                          capture_output=True, text=True, check=False)
    assert (real.returncode, real.stdout) == (0, ROOT_TABLE), real.stderr


def test_a_plain_uid_under_a_root_supervisor_gets_eperm_before_any_other_check(as_root, kernel):
    probe = ("import ctypes; libc = ctypes.CDLL(None, use_errno=True)\n"
             "for nr in (170, 171):\n"
             "    r = libc.syscall(ctypes.c_long(nr), ctypes.c_void_p(1), ctypes.c_long(65))\n"
             "    print(r, ctypes.get_errno())\n")
    status, out, _ = as_root([*UNPRIV, sys.executable, "-S", "-c", probe])
    assert (status, out) == (0, "-1 1\n-1 1\n")  # EPERM, not EINVAL or EFAULT
    status, _, err = as_root([*UNPRIV, "hostname", "foo"])
    assert (status, err) == (1, "hostname: you must be root to change the host name\n")
    assert kernel.read("kernel.hostname") == "(none)\n"


# ---------------------------------------------------------------- through `fakeproc run`

FAKEPROC = [sys.executable, "-m", "fakeproc", "run"]
SCRIPT = ("hostname foo && domainname bar && uname -n && hostname && cat /proc/sys/kernel/hostname "
          "/proc/sys/kernel/domainname && sysctl kernel.hostname")
WANT = "foo\nfoo\nfoo\nbar\nkernel.hostname = foo\n"


def _backend_problem(backend: str) -> str | None:
    from fakeproc.sandbox import backend_problem

    return backend_problem(backend)


@pytest.mark.parametrize("backend", ["seccomp", "emulated"])
def test_fakeproc_run_as_root_renames_the_fake_and_not_the_machine(backend):
    if os.geteuid() != 0 or _backend_problem(backend):
        pytest.skip(_backend_problem(backend) or "needs root (a throwaway UTS namespace)")
    # After the run, the throwaway namespace's own names: a leaked call would show there.
    argv = ["unshare", "--uts", "--", "sh", "-c", '"$@"; status=$?; echo "real $(hostname) $(domainname)"; exit $status',
            "sh", *FAKEPROC, "--backend", backend, "--", "sh", "-c", SCRIPT]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    machine = _real_names()
    assert (done.returncode, done.stdout) == (0, WANT + f"real {machine[0]} {machine[1].decode() or '(none)'}\n"), done.stderr


def test_fakeproc_run_as_user_makes_the_command_a_plain_user_who_gets_eperm():
    if os.geteuid() != 0 or _backend_problem("seccomp"):
        pytest.skip(_backend_problem("seccomp") or "needs root (a throwaway UTS namespace)")
    argv = ["unshare", "--uts", "--", *FAKEPROC, "--as", "user", "--backend", "seccomp", "--",
            "sh", "-c", "hostname foo; uname -n"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.stdout == "(none)\n"
    assert "hostname: you must be root to change the host name\n" in done.stderr


@pytest.mark.parametrize("backend", ["seccomp", "emulated"])
def test_fakeproc_run_as_a_plain_uid_the_mount_owner_renames_the_fake(backend):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv(1) to become a plain uid")
    if _backend_problem(backend) and backend == "emulated":
        pytest.skip(_backend_problem(backend))
    from tests.sandbox.plain_user import as_plain_user, workdir

    machine = _real_names()
    with workdir() as work:
        done = as_plain_user([*FAKEPROC, "--backend", backend, "--", "sh", "-c", SCRIPT], work)
    assert (done.returncode, done.stdout) == (0, WANT), done.stderr
    assert _real_names() == machine
