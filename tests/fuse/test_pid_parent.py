"""A new pid namespace's model parent is its real parent (``ioctl(NS_GET_PARENT)``), also when the
namespace in between has not been seen yet: ``vm.memfd_noexec`` reads the largest value of the
namespace and its ancestors (``pidns_memfd_noexec_scope``, kernel/pid_sysctl.h), so a wrong parent
shows."""

from __future__ import annotations

import os
import subprocess

from fakeproc.serve import NS_TYPES, NamespaceResolver
from fakeproc.serve._host import parent_inodes
from tests.fuse.support import requires_fuse, requires_root, requires_tool, sh

PID = NS_TYPES.index("pid")


NESTED = ["unshare", "--pid", "--fork", "sh", "-c", "unshare --pid --fork sleep 5 & wait"]


def _inode(pid: int) -> int:
    return int(os.readlink(f"/proc/{pid}/ns/pid")[len("pid:["):-1])


@requires_root
@requires_tool("unshare")
def test_the_kernel_names_each_parent_of_a_nested_pid_namespace(kernel):
    with subprocess.Popen(NESTED) as proc:
        try:
            shell = _wait_child_chain(proc.pid, depth=1)
            sleeper = _wait_child_chain(proc.pid, depth=3)
            chain = parent_inodes(sleeper, "pid")
            nsset = NamespaceResolver(kernel).resolve(sleeper)
            expected = [_inode(shell), _inode(os.getpid())]
        finally:
            proc.kill()
    # Up to this process's own pid namespace, past which the kernel answers EPERM (pidns_get_parent).
    assert chain == expected
    middle = nsset.pid.parent
    assert middle is not None and middle is not kernel.init_ns.pid and middle.parent is kernel.init_ns.pid


@requires_fuse
@requires_root
@requires_tool("unshare", "mkfifo")
def test_a_write_in_an_unseen_middle_pid_namespace_reaches_the_inner_one(mount, tmp_path):
    go = tmp_path / "go"
    ready = tmp_path / "ready"
    inner = (f"cat /proc/sys/vm/memfd_noexec; touch {ready}; read x < {go}; cat /proc/sys/vm/memfd_noexec")
    out = sh(
        mount,
        f"""
mkfifo {go}
unshare --pid --fork sh -c '
  unshare --pid --fork sh -c "{inner}" &
  while [ ! -e {ready} ]; do sleep 0.02; done
  echo 2 > /proc/sys/vm/memfd_noexec
  echo go > {go}
  wait'
cat /proc/sys/vm/memfd_noexec
""",
    ).stdout
    # The inner namespace was seen first; its middle parent was made then, so the middle's later
    # write of 2 is the inner one's floor. The host's own stays 0.
    assert out.split() == ["0", "2", "0"]


@requires_root
@requires_tool("unshare")
def test_where_the_kernel_does_not_say_the_parent_comes_from_the_ancestry(kernel, monkeypatch):
    import fakeproc.serve._resolver as resolver_module

    monkeypatch.setattr(resolver_module, "parent_inodes", lambda pid, name: [])
    resolver = NamespaceResolver(kernel)
    with subprocess.Popen(NESTED) as proc:
        try:
            nsset = resolver.resolve(_wait_child_chain(proc.pid, depth=3))
        finally:
            proc.kill()
    # Neither the middle namespace nor the kernel's word is there: the base is the parent.
    assert nsset.pid.parent is kernel.init_ns.pid


def _wait_child_chain(pid: int, depth: int) -> int:
    """The process ``depth`` generations below ``pid`` (first child each time)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        current = pid
        try:
            for _ in range(depth):
                with open(f"/proc/{current}/task/{current}/children") as f:
                    current = int(f.read().split()[0])
            return current
        except (OSError, IndexError, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
