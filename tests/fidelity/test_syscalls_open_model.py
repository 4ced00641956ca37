"""``Kernel.open`` checks open flags as fs/namei.c ``do_open``/``may_open`` and fs/open.c
``build_open_flags`` do on procfs (Linux 6.18).

Each row was measured on the real kernel (tests/fidelity/test_syscalls_backends.py compares
the same inputs with the running kernel where that is safe).
"""

from __future__ import annotations

import errno
import os

import pytest

from fakeproc import Kernel
from fakeproc.model import Caller
from tests.helpers import assert_errno

PLAIN = Caller(uid=65534, gid=65534)

#: (key or directory, flags, caller, errno) for opens procfs refuses.
REFUSED = [
    ("kernel.ostype", os.O_RDONLY | os.O_TRUNC, None, errno.EACCES),  # O_TRUNC asks for MAY_WRITE
    ("vm.drop_caches", os.O_RDONLY | os.O_TRUNC, None, errno.EACCES),
    ("kernel.msgmax", os.O_RDONLY | os.O_TRUNC, PLAIN, errno.EACCES),
    ("kernel", os.O_RDONLY | os.O_TRUNC, None, errno.EISDIR),
    ("kernel", os.O_RDONLY | os.O_CREAT, None, errno.EISDIR),
    ("kernel", os.O_RDWR | os.O_CREAT | os.O_EXCL, None, errno.EEXIST),
    ("kernel.msgmax", os.O_RDWR | os.O_CREAT | os.O_EXCL, None, errno.EEXIST),
    ("kernel.no_such_key", os.O_RDWR | os.O_CREAT | os.O_EXCL, None, errno.ENOENT),
    ("kernel.no_such_key", os.O_RDWR | os.O_CREAT, None, errno.ENOENT),
    ("kernel", os.O_RDONLY | os.O_CREAT | os.O_DIRECTORY, None, errno.EINVAL),
    ("kernel.no_such_key", os.O_RDONLY | os.O_CREAT | os.O_DIRECTORY, None, errno.EINVAL),
    ("kernel.msgmax", os.O_RDONLY | os.O_DIRECTORY, None, errno.ENOTDIR),
    ("kernel.ostype", os.O_WRONLY | os.O_DIRECTORY, None, errno.ENOTDIR),  # before the mode bits
    ("kernel", os.O_TMPFILE | os.O_RDWR, None, errno.EACCES),  # vfs_tmpfile: MAY_WRITE on a 0555 dir
    ("", os.O_TMPFILE | os.O_WRONLY, None, errno.EACCES),
    ("kernel", os.O_TMPFILE, None, errno.EINVAL),  # O_TMPFILE needs write access
    ("kernel.ostype", os.O_TMPFILE | os.O_WRONLY, None, errno.ENOTDIR),
    ("kernel.msgmax", os.O_RDONLY | os.O_NOATIME, PLAIN, errno.EPERM),  # inode_owner_or_capable
    ("kernel.ostype", os.O_RDONLY | os.O_TRUNC | os.O_NOATIME, PLAIN, errno.EACCES),  # EACCES first
]


@pytest.mark.parametrize(("key", "flags", "caller", "err"), REFUSED,
                         ids=[f"{k or 'root'}-{f:#o}-{'plain' if c else 'root'}" for k, f, c, _ in REFUSED])
def test_open_is_refused_with_the_errno_procfs_gives(key, flags, caller, err):
    k = Kernel("6.18")
    assert_errno(err, k.open, key, flags, caller=caller or Caller())


@pytest.mark.parametrize(("key", "flags"), [
    ("kernel.msgmax", os.O_RDONLY | os.O_CREAT),        # an existing name opens
    ("kernel.msgmax", os.O_RDONLY | os.O_TRUNC),        # 0644: root may write, so O_TRUNC is fine
    ("kernel.msgmax", os.O_RDONLY | os.O_NOATIME),      # root owns it
    ("kernel.ostype", os.O_RDONLY | os.O_NOATIME),
    ("kernel", os.O_RDONLY | os.O_DIRECTORY | os.O_NOATIME),
])
def test_open_with_these_flags_succeeds_for_root_and_reads(key, flags):
    k = Kernel("6.18")
    f = k.open(key, flags)
    if not f.is_dir:
        assert f.read(100) == k.read(key).encode()


def test_o_noatime_is_allowed_to_the_files_owner_and_to_cap_fowner_only():
    # An IPC namespace made by uid 1000 with `unshare -r --ipc`: its files belong to uid 1000.
    k = Kernel("6.18")
    ns = k.unshare(k.init_ns, user=True, ipc=True, owner_uid=1000, owner_gid=1000)
    inside_root = Caller(uid=1000, gid=1000, user_ns=ns.user)
    assert k.open("kernel.msgmax", os.O_RDONLY | os.O_NOATIME, ns=ns, caller=inside_root).read(100) == b"8192\n"
    assert k.open("kernel.msgmax", os.O_RDONLY | os.O_NOATIME, ns=ns).read(100) == b"8192\n"  # init root
    assert_errno(errno.EPERM, k.open, "kernel.msgmax", os.O_RDONLY | os.O_NOATIME, ns, Caller(uid=1001, gid=1001))
    assert k.open("kernel.msgmax", os.O_RDONLY, ns=ns, caller=Caller(uid=1001, gid=1001)).read(100) == b"8192\n"


def test_o_path_checks_no_permission_and_neither_reads_nor_writes():
    k = Kernel("6.18")
    f = k.open("vm.drop_caches", os.O_PATH, caller=PLAIN)  # 0200, and a plain user
    assert_errno(errno.EBADF, f.read, 10)
    assert_errno(errno.EBADF, f.write, b"1\n")
    assert k.open("kernel", os.O_PATH | os.O_DIRECTORY).is_dir
    assert_errno(errno.ENOTDIR, k.open, "kernel.msgmax", os.O_PATH | os.O_DIRECTORY)
