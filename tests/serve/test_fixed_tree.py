"""The tree is fixed: renames and timestamp changes answer as procfs's (Linux 6.18)."""

from __future__ import annotations

import errno

import pytest

from fakeproc.model import Kernel
from fakeproc.serve import Identity, Session

ROOT_CTX = (0, 0, 1)
PLAIN_CTX = (65534, 65534, 1)


@pytest.fixture
def session() -> Session:
    kernel = Kernel("6.18")
    return Session(kernel, fixed=kernel.init_ns, identity=Identity(0, 0))


def _errno(call) -> int:
    with pytest.raises(OSError) as e:
        call()
    return e.value.errno


@pytest.mark.parametrize(("old", "new", "err"), [
    ("kernel/msgmax", "kernel/msgmni", errno.EACCES),  # may_delete on the 0555 directory
    ("kernel/random", "kernel/keys", errno.EACCES),
    ("kernel/msgmax", "kernel/msgmax2", errno.ENOENT),  # proc_sys_lookup fails
])
def test_rename_is_eacces_between_existing_names_and_enoent_to_a_missing_one(session, old, new, err):
    assert _errno(lambda: session.rename(ROOT_CTX, old, new)) == err
    assert _errno(lambda: session.rename(PLAIN_CTX, old, new)) == err


@pytest.mark.parametrize("path", ["kernel/ostype", "kernel/msgmax", "kernel"])
def test_utime_now_by_a_non_owner_asks_for_write_permission_explicit_times_are_eperm(session, path):
    assert _errno(lambda: session.utimens(PLAIN_CTX, path, now=True)) == errno.EACCES
    assert _errno(lambda: session.utimens(PLAIN_CTX, path, now=False)) == errno.EPERM
    session.utimens(ROOT_CTX, path, now=True)
    session.utimens(ROOT_CTX, path, now=False)


def test_o_direct_is_einval_after_the_permission_check_but_not_for_the_servers_own_threads(session):
    import os
    import threading

    assert _errno(lambda: session.open((0, 0, 1), "kernel/ostype", os.O_RDONLY | os.O_DIRECT)) == errno.EINVAL
    # may_open comes first: a plain reader of a 0600 file gets EACCES (fs/open.c do_dentry_open is later)
    assert _errno(lambda: session.open(PLAIN_CTX, "net/ipv4/tcp_fastopen_key", os.O_RDONLY | os.O_DIRECT)) == errno.EACCES
    fh = session.open((0, 0, threading.get_native_id()), "kernel/ostype", os.O_RDONLY | os.O_DIRECT)
    assert session.read(fh, 100, 0) == b"Linux\n"
