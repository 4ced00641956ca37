"""PID namespaces: ``kernel.ns_last_pid`` and ``vm.memfd_noexec`` hold one value per pid namespace.

Kernel facts: kernel/pid_namespace.c (``pid_ns_ctl_handler``, ``create_pid_namespace``),
kernel/pid_sysctl.h (``pid_mfd_noexec_dointvec_minmax``), include/linux/pid_namespace.h
(``pidns_memfd_noexec_scope``). Where a docstring says "compared with 6.18.44", the same
writes were made on this machine's kernel (Linux 6.18.44) inside throwaway pid namespaces
(``unshare --pid --fork --mount --mount-proc``, nested where the test nests), and the host's
own values were read before and after and never changed.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakeproc import Kernel
from fakeproc.model.namespaces import NamespaceSet
from fakeproc.model.permissions import Caller
from fakeproc.spec import NAMESPACE_TYPES, CreationRule, NamespaceType
from tests.helpers import assert_errno

NO_CAPS = Caller(uid=0, caps=frozenset())
CHECKPOINT_ONLY = Caller(uid=0, caps=frozenset({"CAP_CHECKPOINT_RESTORE"}))
SYSADMIN_ONLY = Caller(uid=0, caps=frozenset({"CAP_SYS_ADMIN"}))
USER_1000 = Caller(uid=1000, gid=1000)


def _write(k: Kernel, key: str, data: bytes, ns: NamespaceSet, caller: Caller | None = None) -> int:
    """One write(2): the byte count, or the errno as a negative number."""
    try:
        if caller is None:
            return k.write(key, data, ns=ns)
        return k.write(key, data, ns=ns, caller=caller)
    except OSError as e:
        assert e.errno is not None
        return -e.errno


# ---------------------------------------------------------------------------- the namespace type


def test_pid_is_a_namespace_type_every_set_carries() -> None:
    k = Kernel("6.18")
    assert NAMESPACE_TYPES[-1] is NamespaceType.PID
    # Numbered 0, so every other namespace keeps the id it had before pid namespaces.
    assert (k.init_ns.pid.id, k.init_ns.ipc.id, k.next_namespace_id) == (0, 3, 6)
    child = k.unshare(pid=True)
    assert child.pid.type is NamespaceType.PID and child.pid.parent is k.init_ns.pid
    assert child.ids()["pid"] == child.pid.id
    assert (child.ipc, child.net, child.uts, child.user) == (k.init_ns.ipc, k.init_ns.net, k.init_ns.uts,
                                                          k.init_ns.user)
    assert k.unshare(ipc=True).pid is k.init_ns.pid


def test_both_entries_live_in_the_pid_namespace_and_nothing_else_does() -> None:
    for name in ("6.18", "4.15"):
        k = Kernel(name)
        pid_keys = sorted(s.key for s in k.profile.entries.values() if s.namespace is NamespaceType.PID)
        assert pid_keys == (["kernel.ns_last_pid", "vm.memfd_noexec"] if name == "6.18" else ["kernel.ns_last_pid"])


# ---------------------------------------------------------------------------- kernel.ns_last_pid


def test_a_new_pid_namespace_reads_ns_last_pid_1_and_the_parent_keeps_its_own() -> None:
    """Compared with 6.18.44: a process that is pid 1 of a fresh pid namespace reads ``1\\n``."""
    k = Kernel("6.18")
    before = k.read("kernel.ns_last_pid")
    child = k.unshare(pid=True)
    assert k.read("kernel.ns_last_pid", ns=child) == "1\n"
    k.write("kernel.ns_last_pid", "500", ns=child)
    assert k.read("kernel.ns_last_pid", ns=child) == "500\n"
    assert k.read("kernel.ns_last_pid") == before
    assert k.read("kernel.ns_last_pid", ns=k.unshare(child, pid=True)) == "1\n"


NS_LAST_PID_WRITES = [
    # (bytes written, write(2) result or -errno, what a read shows afterwards)
    (b"4194304", 7, b"4194304\n"),  # PID_MAX_LIMIT, although kernel.pid_max is 32768
    (b"4194305", -errno.EINVAL, b"4194304\n"),
    (b"-1", -errno.EINVAL, b"4194304\n"),
    (b"0", 1, b"0\n"),
    (b"500", 3, b"500\n"),
    (b"5 6", 2, b"5\n"),  # one int: the parse stops after the first number
    (b"abc", -errno.EINVAL, b"5\n"),
    (b"32768", 5, b"32768\n"),
    (b"32769", 5, b"32769\n"),
]


def test_ns_last_pid_writes_in_a_child_pid_namespace() -> None:
    """Compared with 6.18.44, write by write in one fresh pid namespace (os.write on an
    O_WRONLY descriptor; the read shown is the value written, before any fork moved it)."""
    k = Kernel("6.18")
    child = k.unshare(pid=True)
    for data, result, shown in NS_LAST_PID_WRITES:
        assert _write(k, "kernel.ns_last_pid", data, child) == result, data
        assert k.open("kernel.ns_last_pid", os.O_RDONLY, ns=child).read(100, 0) == shown, data


@pytest.mark.parametrize(("caller", "result"), [
    (SYSADMIN_ONLY, 2),
    (CHECKPOINT_ONLY, 2),  # checkpoint_restore_ns_capable (5.9+)
    (NO_CAPS, -errno.EPERM),
    (USER_1000, -errno.EPERM),  # 0666: the open succeeds, the handler refuses
])
def test_ns_last_pid_write_needs_sys_admin_or_checkpoint_restore(caller: Caller, result: int) -> None:
    """Compared with 6.18.44 for the first three rows (``capsh --drop=...`` inside a child pid
    namespace: dropping CAP_SYS_ADMIN alone still writes, dropping both gives EPERM)."""
    k = Kernel("6.18")
    child = k.unshare(pid=True)
    assert _write(k, "kernel.ns_last_pid", b"50", child, caller) == result
    assert k.access("kernel.ns_last_pid", write=True, ns=child, caller=caller)  # mode 0666
    assert k.read("kernel.ns_last_pid", ns=child) == ("50\n" if result > 0 else "1\n")


def test_ns_last_pid_capability_is_checked_over_the_pid_namespaces_owner() -> None:
    """Compared with 6.18.44: ``unshare --user --map-root-user --pid --fork`` (root inside a
    new user namespace that owns the new pid namespace) writes; ``--map-user=1000`` (no
    capabilities inside) gets EPERM. The refusal towards an ancestor's pid namespace follows
    ``ns_capable`` (not tried on the real kernel: it would target the host's namespace)."""
    k = Kernel("6.18")
    pod = k.unshare(user=True, pid=True)
    root_inside = Caller(uid=0, user_ns=pod.user)
    assert _write(k, "kernel.ns_last_pid", b"50", pod, root_inside) == 2
    mapped_1000 = k.unshare(user=True, pid=True)
    mapped_1000.user.uid_map = ((1000, 0, 1),)
    assert _write(k, "kernel.ns_last_pid", b"50", mapped_1000, Caller(uid=0, user_ns=mapped_1000.user)) == -errno.EPERM
    host_pid = pod.replace(pid=k.init_ns.pid)
    assert _write(k, "kernel.ns_last_pid", b"50", host_pid, root_inside) == -errno.EPERM


def test_ns_last_pid_on_4_15_needs_sys_admin_and_is_bounded_by_pid_max() -> None:
    """4.15: ``ns_capable(pid_ns->user_ns, CAP_SYS_ADMIN)`` only, bound ``[0, pid_max]``."""
    k = Kernel("4.15")
    child = k.unshare(pid=True)
    assert _write(k, "kernel.ns_last_pid", b"50", child, CHECKPOINT_ONLY) == -errno.EPERM
    assert _write(k, "kernel.ns_last_pid", b"50", child, SYSADMIN_ONLY) == 2
    assert _write(k, "kernel.ns_last_pid", b"32768", child) == 5
    assert _write(k, "kernel.ns_last_pid", b"32769", child) == -errno.EINVAL
    k.write("kernel.pid_max", "40000")
    assert _write(k, "kernel.ns_last_pid", b"32769", child) == 5
    assert_errno(errno.ENOENT, k.read, "vm.memfd_noexec", ns=child)


# ---------------------------------------------------------------------------- vm.memfd_noexec


MEMFD_WRITES_UNDER_0 = [
    # (bytes written, write(2) result or -errno, what a read shows afterwards)
    (b"1", 1, b"1\n"),
    (b"3", -errno.EINVAL, b"1\n"),
    (b"-1", -errno.EINVAL, b"1\n"),
    (b"0", 1, b"0\n"),  # the namespace may lower its own value down to its parent's
    (b"2", 1, b"2\n"),
    (b"1\n", 2, b"1\n"),
    (b"0", 1, b"0\n"),
    (b"1 2", 2, b"1\n"),
    (b"", 0, b"1\n"),
    (b"x", -errno.EINVAL, b"1\n"),
]


def test_memfd_noexec_writes_in_a_child_of_a_parent_at_0() -> None:
    """Compared with 6.18.44 write by write (a fresh pid namespace of the initial one, whose
    value is 0); the host's value was 0 before and after."""
    k = Kernel("6.18")
    child = k.unshare(pid=True)
    for data, result, shown in MEMFD_WRITES_UNDER_0:
        assert _write(k, "vm.memfd_noexec", data, child) == result, data
        assert k.open("vm.memfd_noexec", os.O_RDONLY, ns=child).read(100, 0) == shown, data
    assert k.read("vm.memfd_noexec") == "0\n"


MEMFD_WRITES_UNDER_1 = [
    (b"0", -errno.EINVAL, b"1\n"),  # below the parent's scope
    (b"1", 1, b"1\n"),
    (b"2", 1, b"2\n"),
    (b"1", 1, b"1\n"),
    (b"0", -errno.EINVAL, b"1\n"),
]


def test_a_grandchild_inherits_memfd_noexec_and_may_not_go_below_its_parent() -> None:
    """Compared with 6.18.44 in nested pid namespaces: the middle one set to 1, a pid namespace
    created inside it reads 1 and refuses 0 with EINVAL; the middle one still reads 1."""
    k = Kernel("6.18")
    middle = k.unshare(pid=True)
    k.write("vm.memfd_noexec", "1", ns=middle)
    inner = k.unshare(middle, pid=True)
    assert k.read("vm.memfd_noexec", ns=inner) == "1\n"
    for data, result, shown in MEMFD_WRITES_UNDER_1:
        assert _write(k, "vm.memfd_noexec", data, inner) == result, data
        assert k.read("vm.memfd_noexec", ns=inner).encode() == shown, data
    assert k.read("vm.memfd_noexec", ns=middle) == "1\n"
    assert k.read("vm.memfd_noexec") == "0\n"


def test_a_parent_raised_later_raises_what_its_children_read() -> None:
    """``scope = max(own, pidns_memfd_noexec_scope(parent))`` on every read (kernel/pid_sysctl.h)."""
    k = Kernel("6.18")
    middle = k.unshare(pid=True)
    inner = k.unshare(middle, pid=True)
    k.write("vm.memfd_noexec", "2", ns=middle)
    assert k.read("vm.memfd_noexec", ns=inner) == "2\n"
    assert _write(k, "vm.memfd_noexec", b"1", inner) == -errno.EINVAL
    k.write("vm.memfd_noexec", "0", ns=middle)
    assert k.read("vm.memfd_noexec", ns=inner) == "0\n"  # its own value stayed 0


def test_a_new_pid_namespace_copies_the_largest_value_of_its_ancestors() -> None:
    """``create_pid_namespace`` stores ``pidns_memfd_noexec_scope(parent)``: the largest value
    on the parent's chain, not the parent's own stored value. The difference shows once the
    ancestor that held the largest value lowers it again."""
    k = Kernel("6.18")
    a = k.unshare(pid=True)
    b = k.unshare(a, pid=True)  # b's own value: 0
    k.write("vm.memfd_noexec", "2", ns=a)
    assert k.read("vm.memfd_noexec", ns=b) == "2\n"
    c = k.unshare(b, pid=True)  # stores 2, the largest on b's chain
    k.write("vm.memfd_noexec", "0", ns=a)
    assert k.read("vm.memfd_noexec", ns=b) == "0\n"
    assert k.read("vm.memfd_noexec", ns=c) == "2\n"
    assert _write(k, "vm.memfd_noexec", b"0", c) == 1  # nothing above it holds more than 0 now


@pytest.mark.parametrize(("caller", "result"), [
    (SYSADMIN_ONLY, 1),
    (CHECKPOINT_ONLY, -errno.EPERM),
    (NO_CAPS, -errno.EPERM),
])
def test_memfd_noexec_write_needs_sys_admin_over_the_pid_namespaces_owner(caller: Caller, result: int) -> None:
    """Compared with 6.18.44 for the last row (``capsh --drop=cap_sys_admin``: EPERM)."""
    k = Kernel("6.18")
    child = k.unshare(pid=True)
    assert _write(k, "vm.memfd_noexec", b"1", child, caller) == result


def test_memfd_noexec_mode_0644_refuses_other_users_at_open() -> None:
    k = Kernel("6.18")
    child = k.unshare(pid=True)
    assert_errno(errno.EACCES, k.open, "vm.memfd_noexec", os.O_WRONLY, ns=child, caller=USER_1000)
    assert k.read("vm.memfd_noexec", ns=child, caller=USER_1000) == "0\n"


def test_memfd_noexec_in_a_user_namespace_owned_pid_namespace() -> None:
    """Compared with 6.18.44: ``unshare --user --map-root-user --pid --fork`` writes 1 and reads
    it back; ``--map-user=1000`` gets EPERM and still reads 0. Root of a child user namespace
    towards a pid namespace it does not own gets EPERM (``ns_capable``; not tried for real)."""
    k = Kernel("6.18")
    pod = k.unshare(user=True, pid=True)
    root_inside = Caller(uid=0, user_ns=pod.user)
    assert _write(k, "vm.memfd_noexec", b"1", pod, root_inside) == 1
    assert k.read("vm.memfd_noexec", ns=pod) == "1\n"
    mapped = k.unshare(user=True, pid=True)
    mapped.user.uid_map = ((1000, 0, 1),)
    assert _write(k, "vm.memfd_noexec", b"1", mapped, Caller(uid=0, user_ns=mapped.user)) == -errno.EPERM
    assert k.read("vm.memfd_noexec", ns=mapped) == "0\n"
    assert _write(k, "vm.memfd_noexec", b"1", pod.replace(pid=k.init_ns.pid), root_inside) == -errno.EPERM
    assert k.read("vm.memfd_noexec") == "0\n"


# ---------------------------------------------------------------------------- state and write log


def test_pid_namespaces_and_their_values_survive_a_snapshot() -> None:
    k = Kernel("6.18")
    middle = k.unshare(pid=True, label="middle")
    k.write("vm.memfd_noexec", "1", ns=middle)
    k.write("kernel.ns_last_pid", "77", ns=middle)
    inner = k.unshare(middle, pid=True, label="inner")
    k.write("vm.memfd_noexec", "2", ns=inner)
    k.write("kernel.ns_last_pid", "9", ns=k.init_ns)
    copy = Kernel.from_snapshot(k.snapshot())
    m2, i2 = copy.namespace_by_label("middle"), copy.namespace_by_label("inner")
    assert m2 is not None and i2 is not None
    assert i2.pid.parent is m2.pid and m2.pid.parent is copy.init_ns.pid
    assert [copy.read(key, ns=ns) for key in ("vm.memfd_noexec", "kernel.ns_last_pid")
            for ns in (copy.init_ns, m2, i2)] == ["0\n", "1\n", "2\n", "9\n", "77\n", "1\n"]
    assert _write(copy, "vm.memfd_noexec", b"0", i2) == -errno.EINVAL


def test_a_format_2_state_file_gets_an_initial_pid_namespace_holding_the_old_global_values() -> None:
    k = Kernel("6.18")
    k.write("vm.memfd_noexec", "2")
    k.write("kernel.ns_last_pid", "4242")
    k.write("vm.swappiness", "10")
    snap = k.snapshot()
    pid_id = snap["init"].pop("pid")
    rows = [r for r in snap["namespaces"] if r["id"] != pid_id]
    pid_row = next(r for r in snap["namespaces"] if r["id"] == pid_id)
    glob = next(r for r in rows if r["type"] == "global")
    glob["values"] = {**glob.get("values", {}), **pid_row.get("values", {})}
    old = {**snap, "format": 2, "namespaces": rows}
    copy = Kernel.from_snapshot(old)
    assert copy.init_ns.pid.type is NamespaceType.PID and copy.init_ns.pid.is_init
    assert copy.init_ns.pid.id == 0 and copy.next_namespace_id == old["next_id"]
    assert copy.read("vm.memfd_noexec") == "2\n"
    assert copy.read("kernel.ns_last_pid") == "4242\n"
    assert copy.read("vm.swappiness") == "10\n"
    assert copy.read("vm.memfd_noexec", ns=copy.unshare(pid=True)) == "2\n"


def test_the_write_log_records_the_pid_namespace() -> None:
    k = Kernel("6.18")
    child = k.unshare(pid=True)
    k.write("vm.memfd_noexec", "1", ns=child)
    _write(k, "kernel.ns_last_pid", b"1", child, NO_CAPS)
    ok, refused = k.write_log[-2], k.write_log[-1]
    assert ok.namespaces["pid"] == child.pid.id and ok.ok
    assert refused.namespaces == child.ids() and refused.errno == errno.EPERM


# ---------------------------------------------------------------------------- the real kernel, live

#: Run inside ``unshare --pid --fork --mount --mount-proc``: argv[1] is a JSON list of steps,
#: ``[key, hex bytes]`` (one write, then a read) or ``["nest", steps]`` (the same in a new pid
#: namespace made from this one). Prints one JSON list of [write result or -errno, read bytes hex].
_PROBE = r"""
import json, os, subprocess, sys
def step(key, data):
    try:
        fd = os.open("/proc/sys/" + key.replace(".", "/"), os.O_WRONLY)
        try:
            got = os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as e:
        got = -e.errno
    with open("/proc/sys/" + key.replace(".", "/"), "rb") as f:
        return [got, f.read().hex()]
out = []
for item in json.loads(sys.argv[1]):
    if item[0] == "nest":
        inner = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--mount-proc", sys.executable, "-c",
                                sys.argv[2], json.dumps(item[1]), sys.argv[2]],
                               capture_output=True, text=True, check=True)
        out.append(json.loads(inner.stdout))
    else:
        out.append(step(item[0], bytes.fromhex(item[1])))
print(json.dumps(out))
"""

_LIVE_STEPS: list[object] = [
    *[["kernel.ns_last_pid", data.hex()] for data, _, _ in NS_LAST_PID_WRITES],
    *[["vm.memfd_noexec", data.hex()] for data, _, _ in MEMFD_WRITES_UNDER_0],
    ["vm.memfd_noexec", b"1".hex()],
    ["nest", [["vm.memfd_noexec", data.hex()] for data, _, _ in MEMFD_WRITES_UNDER_1]
     + [["nest", [["vm.memfd_noexec", b"0".hex()], ["vm.memfd_noexec", b"2".hex()]]]]],
]


def _model_run(k: Kernel, ns: NamespaceSet, steps: list[object]) -> list[object]:
    out: list[object] = []
    for item in steps:
        assert isinstance(item, list)
        if item[0] == "nest":
            out.append(_model_run(k, k.unshare(ns, pid=True), item[1]))
            continue
        got = _write(k, item[0], bytes.fromhex(item[1]), ns)
        out.append([got, k.open(item[0], os.O_RDONLY, ns=ns).read(100, 0).hex()])
    return out


def _real_pid_namespaces_unavailable() -> str | None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "needs root and unshare(1) to make throwaway pid namespaces"
    probe = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--mount-proc", "true"],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        return "unshare --pid --fork --mount --mount-proc failed here"
    if not Path("/proc/sys/vm/memfd_noexec").exists():
        return "this kernel has no vm.memfd_noexec (before 6.3)"
    return None


def test_the_model_answers_like_the_running_kernel_in_throwaway_pid_namespaces() -> None:
    """Live comparison (root only): every step above, write then read, in real pid namespaces
    (nested as the steps nest) and in the model. Only the throwaway namespaces are written;
    the host's ``vm.memfd_noexec`` is read before and after and must not change."""
    reason = _real_pid_namespaces_unavailable()
    if reason:
        pytest.skip(reason)
    host = Path("/proc/sys/vm/memfd_noexec").read_bytes()
    if host != b"0\n":
        pytest.skip(f"the host's vm.memfd_noexec is {host!r}; the steps assume 0")
    run = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--mount-proc", sys.executable, "-c", _PROBE,
                          json.dumps(_LIVE_STEPS), _PROBE], capture_output=True, text=True, check=True, timeout=120)
    assert Path("/proc/sys/vm/memfd_noexec").read_bytes() == host
    real = json.loads(run.stdout)
    k = Kernel("6.18")
    assert _model_run(k, k.unshare(pid=True), _LIVE_STEPS) == real


def test_explain_describes_every_creation_rule_including_the_pid_namespaces() -> None:
    from fakeproc.explain import _CREATION_TEXT, explain

    assert set(_CREATION_TEXT) == set(CreationRule)
    result = explain(key="vm.memfd_noexec", profile="6.18")
    assert (result.namespace, result.creation) == ("pid", "copy_parent_max")
    assert explain(key="kernel.ns_last_pid", profile="6.18").new_namespace_default == "1"
