"""Run a command as an unprivileged uid in a simulated host environment, changing nothing machine-wide.

Root sets the environment up inside a private mount namespace (``unshare --mount``), then drops
to a plain uid with ``setpriv`` (no account is created: a uid needs none):

* ``dev_fuse``: ``"0666"`` or ``"0600"``: a private fuse device node (char 10,229) made in a
  private tmpfs and bound over ``/dev/fuse``; ``"absent"``: a minimal private ``/dev`` without it;
* ``hide_libfuse2``: an empty file bound over every ``libfuse.so.2*`` (libfuse3 alone);
* ``deny_userns``: a seccomp filter refusing ``unshare``/``clone`` with ``CLONE_NEWUSER`` (EPERM)
  and ``clone3`` (ENOSYS), as Docker's default profile does;
* ``confine_userns``: user namespaces are created but confined without capabilities, as
  AppArmor's restriction does on Ubuntu 23.10+ (``tests/sandbox/confined_userns.py``);
* ``deny_mount``: ``mount(2)`` and the new mount API (open_tree to fspick, mount_setattr) refused with EPERM
  for every process, the setuid ``fusermount`` included: every precondition passes, the mount
  call itself fails;
* ``drop_cap_sys_admin``: CAP_SYS_ADMIN out of the bounding set (as Docker without
  ``--cap-add SYS_ADMIN``): with ``uid=0`` root without it; for a plain uid, a setuid
  ``fusermount`` that cannot mount.

The plain uids get a name in a private copy of ``/etc/passwd`` bound over the real one
(``fusermount`` refuses a uid without a name).

The machine's ``/dev/fuse``, accounts and libraries are never touched.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DEBIAN_USER_PATH", "PLAIN_UID", "Workdir", "as_plain_user", "workdir"]

PLAIN_UID = 54321
#: Debian's PATH for a normal user: no /usr/sbin, no /sbin (where sysctl lives).
DEBIAN_USER_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"

SETUP = r'''
import ctypes, json, os, stat, struct, subprocess, sys
cfg = json.loads(sys.argv[1]); argv = sys.argv[2:]
def sh(*a):
    subprocess.run(a, check=True)
scratch = cfg["scratch"]
sh("mount", "-t", "tmpfs", "-o", "mode=0755", "fakeproc-test", scratch)
if cfg["uid"]:
    # fusermount wants a user name for the uid: a private passwd, not an account on the machine.
    passwd = os.path.join(scratch, "passwd")
    with open("/etc/passwd") as src, open(passwd, "w") as dst:
        dst.write(src.read())
        for uid in cfg["uids"]:
            dst.write(f"fakeproc-plain-{uid}:x:{uid}:{uid}::/nonexistent:/bin/sh\n")
    os.chmod(passwd, 0o644)
    sh("mount", "--bind", passwd, "/etc/passwd")
for lib in cfg["hide"]:
    sh("mount", "--bind", "/dev/null", lib)
if cfg["dev_fuse"] == "absent":
    dev = os.path.join(scratch, "dev"); os.mkdir(dev, 0o755)
    for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8),
                               ("urandom", 1, 9), ("tty", 5, 0)):
        os.mknod(os.path.join(dev, name), stat.S_IFCHR | 0o666, os.makedev(major, minor))
        os.chmod(os.path.join(dev, name), 0o666)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    sh("mount", "--rbind", "/dev/pts", os.path.join(dev, "pts")) if os.path.isdir(os.path.join(dev, "pts")) else None
    sh("mount", "--bind", dev, "/dev")
elif cfg["dev_fuse"]:
    node = os.path.join(scratch, "fuse")
    mode = int(cfg["dev_fuse"], 8)
    os.mknod(node, stat.S_IFCHR | mode, os.makedev(10, 229))
    os.chmod(node, mode)
    sh("mount", "--bind", node, "/dev/fuse")
drop = ["setpriv", f"--reuid={cfg['uid']}", f"--regid={cfg['uid']}", "--clear-groups"]
if cfg["drop_cap_sys_admin"] and cfg["uid"] == 0:
    drop = ["setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin"]
elif cfg["drop_cap_sys_admin"]:  # as Docker without --cap-add SYS_ADMIN: even setuid root gets none
    drop.append("--bounding-set=-sys_admin")
EPERM, ENOSYS, ALLOW, ERRNO = 1, 38, 0x7FFF0000, 0x00050000
programs = []
if cfg["deny_userns"]:
    programs.append([(0x20, 0, 0, 4), (0x15, 0, 8, 0xC000003E), (0x20, 0, 0, 0), (0x15, 3, 0, 272),
                     (0x15, 2, 0, 56), (0x15, 0, 4, 435), (0x06, 0, 0, ERRNO | ENOSYS), (0x20, 0, 0, 16),
                     (0x45, 0, 1, 0x10000000), (0x06, 0, 0, ERRNO | EPERM), (0x06, 0, 0, ALLOW)])
if cfg["deny_mount"]:  # mount(2) and the new mount API refused, also for the setuid fusermount
    programs.append([(0x20, 0, 0, 4), (0x15, 0, 6, 0xC000003E), (0x20, 0, 0, 0), (0x15, 3, 0, 165),
                     (0x15, 2, 0, 442), (0x35, 0, 2, 428), (0x25, 1, 0, 433), (0x06, 0, 0, ERRNO | EPERM),
                     (0x06, 0, 0, ALLOW)])
for prog in programs:
    raw = b"".join(struct.pack("HBBI", *i) for i in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    fprog = Prog(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        sys.exit(f"seccomp: {os.strerror(ctypes.get_errno())}")
if cfg["confine_userns"]:
    from tests.sandbox.confined_userns import run_confined
    sys.exit(run_confined(drop + ["--"] + argv))
os.execvp(drop[0], drop + ["--"] + argv)
'''


class Workdir:
    """A directory tree the plain uid can use: ``root`` (0755, removed afterwards), ``home``
    (owned by the uid) and ``scratch`` (the private tmpfs mountpoint)."""

    def __init__(self, root: str, uid: int) -> None:
        self.root = root
        self.home = os.path.join(root, "home")
        self.scratch = os.path.join(root, "scratch")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.home)
        os.makedirs(self.scratch)
        os.makedirs(self.tmp, mode=0o1777)
        os.chmod(self.tmp, 0o1777)
        os.chown(self.home, uid, uid)


@contextmanager
def workdir(uid: int = PLAIN_UID) -> Iterator[Workdir]:
    root = tempfile.mkdtemp(prefix="fakeproc-plain-")
    os.chmod(root, 0o755)
    try:
        yield Workdir(root, uid)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _libfuse2_files() -> list[str]:
    files = set()
    for pattern in ("/usr/lib/*/libfuse.so.2*", "/lib/*/libfuse.so.2*", "/usr/lib/libfuse.so.2*"):
        files.update(os.path.realpath(p) for p in glob.glob(pattern))
    return sorted(files)


def as_plain_user(
    argv: list[str],
    work: Workdir,
    *,
    uid: int = PLAIN_UID,
    dev_fuse: str | None = "0666",
    hide_libfuse2: bool = False,
    deny_userns: bool = False,
    confine_userns: bool = False,
    deny_mount: bool = False,
    drop_cap_sys_admin: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in the simulated environment (see the module docstring); text output captured."""
    cfg = {
        "scratch": work.scratch,
        "hide": _libfuse2_files() if hide_libfuse2 else [],
        "dev_fuse": dev_fuse,
        "uid": uid,
        "uids": [PLAIN_UID, PLAIN_UID + 1, uid],
        "deny_userns": deny_userns,
        "confine_userns": confine_userns,
        "deny_mount": deny_mount,
        "drop_cap_sys_admin": drop_cap_sys_admin,
    }
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base_env = {
        "PATH": DEBIAN_USER_PATH,
        "HOME": work.home,
        "TMPDIR": work.tmp,
        "PYTHONPATH": repo,
        "LANG": "C.UTF-8",
    }
    base_env.update(env or {})
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "--",
         sys.executable, "-c", SETUP, json.dumps(cfg), *argv],
        env=base_env, cwd=work.home, capture_output=True, text=True, timeout=timeout, check=False, **kwargs,
    )
