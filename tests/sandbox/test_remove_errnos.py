"""Removing anything under ``/proc/sys`` fails, with the errno each ``fakeproc run`` backend can give.

procfs refuses MAY_WRITE on its 0555 directories in ``proc_sys_permission`` ("capabilities or
not", fs/proc/proc_sysctl.c), and ``may_delete`` (fs/namei.c) asks for that permission on the
parent before it looks at the victim's type, so ``unlink(dir)``, ``unlink("kernel")`` and
``rmdir(file)`` are EACCES on a real kernel, for root too. The table of why the FUSE backend
cannot give the same is in docs/mount.md ("Known differences").
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fuse.support import REPO, requires_root, requires_tool

pytestmark = [requires_root, requires_tool("unshare", "mount")]

#: A script's ``attempt(call, path)``: the errno name of a removal, or OK.
ATTEMPT = r"""
import errno, os, sys
def attempt(call, path):
    try:
        call(path)
    except OSError as e:
        return errno.errorcode[e.errno]
    return "OK"
"""

#: Prints one errno name per removal, in the order of CASES.
SCRIPT = ATTEMPT + r"""
print(attempt(os.unlink, "/proc/sys/net/ipv4"), attempt(os.rmdir, "/proc/sys/kernel/ostype"),
      attempt(os.unlink, "/proc/sys/kernel/ostype"), attempt(os.rmdir, "/proc/sys/kernel/random"), end=" ")
os.chdir("/proc/sys")
print(attempt(os.unlink, "kernel"), attempt(os.rmdir, "kernel"))
"""
#: unlink(dir), rmdir(file), unlink(file), rmdir(dir), unlink("kernel") from /proc/sys, rmdir("kernel").
REAL = ["EACCES"] * 6


def removals(*prefix: str) -> list[str]:
    done = subprocess.run([*prefix, sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=REPO,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def backend(name: str) -> list[str]:
    from fakeproc.sandbox import backend_problem

    why = backend_problem(name)
    if why:
        pytest.skip(f"backend {name} cannot run here: {why}")
    return [sys.executable, "-m", "fakeproc", "run", "--backend", name, "--"]


def test_the_real_proc_sys_refuses_every_removal_with_eacces():
    assert removals() == REAL


@pytest.mark.parametrize("name", ["seccomp", "emulated"])
def test_the_supervised_backends_refuse_every_removal_with_eacces(name):
    """unlink/rmdir are not among the calls their filters notify, so the host's procfs answers."""
    assert removals(*backend(name)) == REAL


@pytest.mark.parametrize("as_uid", [None, "54321"])
def test_known_divergence_the_namespaces_backend_checks_the_type_first(as_uid):
    """Known divergence (FUSE, root and plain uids alike): EISDIR, ENOTDIR and EISDIR where procfs
    says EACCES.

    ``may_delete`` calls ``inode_permission(dir, MAY_WRITE | MAY_EXEC)`` before its type checks.
    On FUSE that is ``fuse_permission`` (fs/fuse/dir.c), which without ``default_permissions``
    asks the server only for MAY_ACCESS/MAY_CHDIR and exec of a regular file, so it passes and
    the VFS answers the type error before FUSE's unlink/rmdir reach the server. With
    ``default_permissions`` ``generic_permission`` lets CAP_DAC_OVERRIDE write to a directory
    (``capable_wrt_inode_uidgid``), so root, and root of the command's user namespace, would
    still get here; only an unmapped directory owner (EACCES from ``HAS_UNMAPPED_ID``) would
    stop it, and that would show as uid 65534 in ``stat`` and make ``may_delete`` of that
    directory EOVERFLOW. Removing a file or a directory from its 0555 parent reaches the server:
    EACCES.
    """
    prefix = backend("namespaces")
    if as_uid is not None:
        prefix = [*prefix, "setpriv", f"--reuid={as_uid}", f"--regid={as_uid}", "--clear-groups"]
    assert removals(*prefix) == ["EISDIR", "ENOTDIR", "EACCES", "EACCES", "EISDIR", "EACCES"]


ONLY_IN_THE_FAKE = ATTEMPT + r"""
base = "/proc/sys/net/ipv4/conf/fpq0"
print(os.path.isdir(base), attempt(os.rmdir, base), attempt(os.unlink, base + "/forwarding"))
"""


@pytest.mark.parametrize("name", ["seccomp", "emulated"])
def test_known_divergence_the_supervised_backends_remove_against_the_hosts_tree(name, tmp_path):
    """Known divergence (seccomp, emulated): their filters do not notify unlink/rmdir, so the host's
    procfs answers, and a directory or file that exists only in the fake (here a device the host
    lacks) is ENOENT there, where procfs would refuse the existing entry with EACCES."""
    from fakeproc import Kernel

    kernel = Kernel("6.18")
    kernel.add_device(kernel.init_ns, "fpq0")
    state = tmp_path / "state.json"
    kernel.save(state)
    done = subprocess.run([*backend(name)[:-1], "--state", str(state), "--", sys.executable, "-c", ONLY_IN_THE_FAKE],
                          capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert (done.returncode, done.stdout.split()) == (0, ["True", "ENOENT", "ENOENT"]), done.stderr
