"""Each namespace type's ``root->permissions`` hook, per kernel: who may open a file how.

6.x registers the IPC and mqueue tables per IPC namespace (``ipc_permissions``,
``mq_permissions`` in ipc/ipc_sysctl.c and ipc/mq_sysctl.c): the namespace's root gets the
owner bits and the ``*_next_id`` files open 0666 to CAP_CHECKPOINT_RESTORE holders. 4.15
registers one global table each, with no hook: the registered mode, owned by global root.
"""

from __future__ import annotations

import errno
import stat

import pytest

from fakeproc import Caller, Kernel
from tests.helpers import assert_errno

CRIU = Caller(uid=1000, gid=1000, caps=frozenset({"CAP_CHECKPOINT_RESTORE"}))
USER = Caller(uid=1000, gid=1000)


def _container(k: Kernel):  # type: ignore[no-untyped-def]
    """Namespaces made by ``unshare -r --ipc --net --uts`` as uid 100000, and its shell
    (root inside: every capability in the new user namespace)."""
    ns = k.unshare(k.init_ns, user=True, ipc=True, net=True, uts=True, owner_uid=100000, owner_gid=100000)
    return ns, Caller(uid=100000, gid=100000, user_ns=ns.user)


@pytest.mark.parametrize("key", ["kernel.sem_next_id", "kernel.msg_next_id", "kernel.shm_next_id"])
def test_next_id_files_registered_0444_open_read_write_for_checkpoint_restore_on_6_18(key: str) -> None:
    k = Kernel("6.18")
    assert k.stat(key).mode == stat.S_IFREG | 0o444
    assert k.write(key, "42", caller=CRIU) == 2
    assert k.read(key) == "42\n"
    assert_errno(errno.EACCES, k.write, key, "7", caller=USER)
    assert k.read(key, caller=USER) == "42\n"


def test_next_id_is_writable_by_the_root_of_a_user_ns_owning_the_ipc_ns_on_6_18() -> None:
    k = Kernel("6.18")
    ns, inside_root = _container(k)
    assert k.write("kernel.sem_next_id", "5", ns=ns, caller=inside_root) == 1
    assert k.read("kernel.sem_next_id", ns=ns) == "5\n"
    assert k.read("kernel.sem_next_id") == "-1\n"


def test_checkpoint_restore_gives_nothing_on_4_15_where_next_id_is_0644_for_root() -> None:
    k = Kernel("4.15")
    assert k.stat("kernel.sem_next_id").mode == stat.S_IFREG | 0o644
    assert_errno(errno.EACCES, k.write, "kernel.sem_next_id", "42", caller=CRIU)
    assert k.write("kernel.sem_next_id", "42") == 2


@pytest.mark.parametrize(
    ("profile", "key", "writable", "owner"),
    [
        ("6.18", "kernel.sem", True, (100000, 100000)),
        ("6.18", "kernel.msgmax", True, (100000, 100000)),
        ("6.18", "fs.mqueue.msg_max", True, (100000, 100000)),
        ("6.18", "net.core.somaxconn", True, (100000, 100000)),
        ("6.18", "kernel.hostname", False, (0, 0)),
        ("4.15", "kernel.sem", False, (0, 0)),
        ("4.15", "kernel.msgmax", False, (0, 0)),
        ("4.15", "kernel.sem_next_id", False, (0, 0)),
        ("4.15", "fs.mqueue.msg_max", False, (0, 0)),
        ("4.15", "net.core.somaxconn", True, (100000, 100000)),
        ("4.15", "kernel.hostname", False, (0, 0)),
    ],
)
def test_container_root_write_access_and_file_owner_per_kernel(
    profile: str, key: str, writable: bool, owner: tuple[int, int]
) -> None:
    k = Kernel(profile)
    ns, inside_root = _container(k)
    st = k.stat(key.replace(".", "/"), ns=ns)
    assert (st.uid, st.gid) == owner
    assert k.access(key, write=True, ns=ns, caller=inside_root) is writable
    if not writable:
        assert_errno(errno.EACCES, k.write, key, "1", ns=ns, caller=inside_root)
