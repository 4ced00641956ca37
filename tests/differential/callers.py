"""Permission tables for unprivileged callers: a container root and a plain user, real kernel vs model.

>>> sorted(observation(stat_uid=0, stat_gid=0, mode=0o644, r=True, w=False))
['R_OK', 'W_OK', 'gid', 'mode', 'uid']
>>> show_diff({"uid": 0, "mode": "0o644"}, {"uid": 1001, "mode": "0o644"})
'uid: real 0, model 1001'

Two tables, each run on the real kernel by ONE child of ``_perm_worker.py``:

* :data:`CONTAINER_KEYS`: the test uid (61234, no account) after ``unshare --user --map-root-user
  --ipc --net --uts``, i.e. root of its own user namespace, owning new ipc/net/uts namespaces.
  Per key: owner (kernel ids), mode, ``access(R_OK)``, ``access(W_OK)``; for the keys of
  :data:`CONTAINER_WRITES` (namespaced and writable) also: the value read, the result of writing
  the same bytes back, and the read-back.
* :data:`PLAIN_KEYS`: the same user without any unshare (initial namespaces, no capabilities):
  owner, mode and both ``access`` answers.

On the model side the same caller is ``Caller(uid, gid, user_ns=ns.user)`` in
``kernel.unshare(init_ns, user=True, ipc=True, net=True, uts=True, owner_uid=uid, owner_gid=gid)``
(container root) or ``Caller(uid, gid)`` in ``init_ns`` (plain user). Both sides produce the
same dictionaries (:func:`observation`), so a test compares them with ``==``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fakeproc
from fakeproc import Caller, Kernel, key_to_path
from fakeproc.profiles.probe import system_python
from tests.differential.realkernel import GUARDED_HOST_VALUES, read_host, real_kernel_unavailable

__all__ = [
    "CONTAINER_KEYS",
    "CONTAINER_WRITES",
    "OVERFLOW_ID",
    "PLAIN_KEYS",
    "TEST_USER",
    "Table",
    "callers_unavailable",
    "model_container",
    "model_plain",
    "observation",
    "run_real_table",
    "run_table",
    "show_diff",
    "user_ids",
]

#: The unprivileged caller: an id with no account (processes may run as any uid; only numbers matter).
TEST_UID = TEST_GID = 61234
TEST_USER = f"uid {TEST_UID}"
OVERFLOW_ID = 65534  # overflowuid/overflowgid: what stat shows for an owner the user ns does not map
WORKER = Path(__file__).with_name("_perm_worker.py")
READ_SIZE = 65536

#: Keys of the container-root table (key -> what it shows). Every key is stat'ed and access'ed.
CONTAINER_KEYS: dict[str, str] = {
    # IPC: ipc_set_ownership makes the owning user ns's root the owner; ipc_permissions gives
    # that owner the owner bits, and 0666 on *_next_id to CAP_CHECKPOINT_RESTORE holders.
    "kernel.sem": "ipc, owned by the container root",
    "kernel.shmmax": "ipc, unsigned long",
    "kernel.msgmax": "ipc, minmax",
    "kernel.shm_rmid_forced": "ipc, [0, 1]",
    "kernel.sem_next_id": "ipc, registered 0444, writable with CAP_CHECKPOINT_RESTORE",
    "kernel.msg_next_id": "ipc, registered 0444, writable with CAP_CHECKPOINT_RESTORE",
    "kernel.shm_next_id": "ipc, registered 0444, writable with CAP_CHECKPOINT_RESTORE",
    "fs.mqueue.msg_max": "ipc (mqueue)",
    "fs.mqueue.queues_max": "ipc (mqueue)",
    # UTS: a global table read through the caller's namespace; no ownership or permissions hook.
    "kernel.hostname": "uts, owned by global root: container root gets the other bits",
    "kernel.domainname": "uts, owned by global root: container root gets the other bits",
    # net: net_ctl_set_ownership / net_ctl_permissions (CAP_NET_ADMIN over the netns's user ns).
    "net.core.somaxconn": "net, per netns",
    "net.ipv4.ip_local_port_range": "net, vector",
    "net.ipv4.tcp_rmem": "net, vector",
    "net.ipv4.ping_group_range": "net, gids mapped through the caller's user ns",
    "net.ipv4.conf.all.forwarding": "net, devconf all",
    "net.ipv4.conf.lo.forwarding": "net, devconf of lo",
    "net.ipv6.conf.lo.disable_ipv6": "net, ipv6 devconf of lo",
    "net.core.rmem_max": "net table, global data: 0444 in a child netns (never written)",
    "net.netfilter.nf_hooks_lwtunnel": "net table, global static key (NEVER written)",
    # user: per user ns, permissions hook set_permissions (CAP_SYS_RESOURCE), no ownership hook.
    "user.max_user_namespaces": "user, the container's own user ns",
    # global: owned by global root, no hook.
    "vm.swappiness": "global",
    "kernel.pid_max": "global",
    "fs.file-max": "global",
    "kernel.usermodehelper.bset": "global, 0600",
}

#: The namespaced, writable keys of :data:`CONTAINER_KEYS` that are also written: the value read
#: is written back unchanged (so nothing changes, even in the throwaway namespaces).
CONTAINER_WRITES: tuple[str, ...] = (
    "kernel.sem", "kernel.shmmax", "kernel.msgmax", "kernel.shm_rmid_forced",
    "kernel.sem_next_id", "kernel.msg_next_id", "kernel.shm_next_id",
    "fs.mqueue.msg_max", "fs.mqueue.queues_max",
    "net.core.somaxconn", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_rmem", "net.ipv4.ping_group_range",
    "net.ipv4.conf.all.forwarding", "net.ipv4.conf.lo.forwarding", "net.ipv6.conf.lo.disable_ipv6",
)

#: Keys of the plain-user table (uid 1001 in the initial namespaces, no capabilities).
PLAIN_KEYS: dict[str, str] = {
    "vm.swappiness": "global 0644: other bits",
    "kernel.usermodehelper.bset": "global 0600: nothing",
    "kernel.sem": "ipc of the initial ns, owned by global root",
    "net.core.somaxconn": "net of init_net, no CAP_NET_ADMIN",
    "kernel.hostname": "uts, global root's",
}


@dataclass
class Table:
    """One table's results, real and model, by dotted key.

    Attributes:
        real: Per key, :func:`observation` of the real kernel (owner as kernel ids), or
            ``{"missing": errno name}``.
        model: The same for the model, or ``{"missing": ...}`` if the profile lacks the key.
        raw: Per key, the worker's raw record: ``inside_uid``/``inside_gid``/``mode`` as the
            caller's ``stat`` showed them, ``kernel_uid``/``kernel_gid``/``kernel_mode`` from
            ``fstat`` in the initial user namespace.
        creds: The real caller's credentials after the setup (uid, gid, caps, maps inside).
        host_before, host_after: The host's values of every key, read before and after the run.
    """

    real: dict[str, dict[str, Any]]
    model: dict[str, dict[str, Any]]
    raw: dict[str, dict[str, Any]]
    creds: dict[str, Any]
    host_before: dict[str, str | None]
    host_after: dict[str, str | None]


def _errname(number: int | None) -> str:
    return errno.errorcode.get(number, str(number)) if number is not None else "?"


def observation(*, stat_uid: int, stat_gid: int, mode: int, r: bool, w: bool) -> dict[str, Any]:
    """The compared fields of one key: owner (kernel ids), mode bits, the two ``access`` answers."""
    return {"uid": stat_uid, "gid": stat_gid, "mode": oct(mode & 0o7777), "R_OK": r, "W_OK": w}


def _result(raw: dict[str, Any]) -> dict[str, Any]:
    """A worker read/write result with errno names instead of numbers."""
    out = dict(raw)
    for field in ("errno", "open_errno"):
        if isinstance(out.get(field), int):
            out[field] = _errname(out[field])
    if "readback" in out:
        out["readback"] = _result(out["readback"])
    return out


def show_diff(real: dict[str, Any], model: dict[str, Any]) -> str:
    """One line per differing field: ``field: real X, model Y``."""
    fields = list(real) + [f for f in model if f not in real]
    return "\n".join(f"{f}: real {real.get(f)!r}, model {model.get(f)!r}"
                     for f in fields if real.get(f) != model.get(f))


# ---------------------------------------------------------------------------- the real kernel


def user_ids() -> tuple[int, int]:
    """The unprivileged caller's (uid, gid): plain numbers, no account is needed or created."""
    return TEST_UID, TEST_GID


def callers_unavailable() -> str | None:
    """Why the caller tables cannot run here, or None (root, the test user, unprivileged user ns)."""
    reason = real_kernel_unavailable()
    if reason:
        return reason
    uid, gid = user_ids()
    try:
        probe = subprocess.run(["unshare", "--user", "--map-root-user", "--ipc", "--net", "--uts", "true"],
                               user=uid, group=gid, extra_groups=[], capture_output=True, timeout=30,
                               check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unprivileged unshare --user failed: {exc}"
    if probe.returncode != 0:
        return ("unprivileged user namespaces unavailable: unshare --user --map-root-user --ipc --net --uts "
                f"as {TEST_USER} failed: {probe.stderr.decode(errors='replace').strip()}")
    return None


def _host_ns() -> dict[str, int]:
    return {t: os.stat(f"/proc/self/ns/{t}").st_ino for t in ("user", "ipc", "net", "uts")}


def _run_worker(request: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([system_python(), str(WORKER)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"permission worker failed ({proc.returncode}): {proc.stdout[-2000:]} "
                           f"{proc.stderr[-2000:]}")
    reply: dict[str, Any] = json.loads(proc.stdout)
    if not reply.get("ok"):
        raise RuntimeError(f"permission worker refused: {reply}")
    return reply


def run_real_table(keys: list[str], writes: list[str], *, container: bool, uid: int,
                   gid: int) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, Any]]:
    """One worker child for the whole table: (observations by key, raw records by key, creds)."""
    request = {"host_ns": _host_ns(), "uid": uid, "gid": gid, "container": container,
               "keys": [key_to_path(k) for k in keys], "write": [key_to_path(k) for k in writes]}
    reply = _run_worker(request)
    real: dict[str, dict[str, Any]] = {}
    raws: dict[str, dict[str, Any]] = {}
    for key in keys:
        raw = raws[key] = reply["results"][key_to_path(key)]
        if "missing" in raw:
            real[key] = {"missing": _errname(raw["missing"])}
            continue
        if "kernel_uid" not in raw:
            raise RuntimeError(f"{key}: no O_PATH descriptor came back ({raw})")
        obs = observation(stat_uid=raw["kernel_uid"], stat_gid=raw["kernel_gid"], mode=raw["mode"],
                          r=raw["r"], w=raw["w"])
        if key in writes:
            obs["read"] = _result(raw["read"])
            if "write" in raw:
                obs["write"] = _result(raw["write"])
        real[key] = obs
    return real, raws, reply["creds"]


def run_table(keys: list[str], writes: list[str], *, container: bool, kernel: Kernel | None = None) -> Table:
    """Run one table on the real kernel (host values guarded) and on ``kernel``, a fresh model
    (default: the shipped 6.18 profile; the tests give one of the running host's profile, so that
    host data such as an init_net value a new netns copies is not a difference).

    Raises:
        AssertionError: a host value changed.
    """
    uid, gid = user_ids()
    guarded = sorted(set(GUARDED_HOST_VALUES) | set(keys))
    before = {k: read_host(k) for k in guarded}
    real, raw, creds = run_real_table(keys, writes, container=container, uid=uid, gid=gid)
    after = {k: read_host(k) for k in guarded}
    changed = {k: (before[k], after[k]) for k in guarded if before[k] != after[k]}
    assert not changed, f"HOST VALUES CHANGED by the permission worker: {changed}"
    kernel = kernel or Kernel("6.18")
    model = (model_container(kernel, keys, writes, uid, gid) if container
             else model_plain(kernel, keys, uid, gid))
    return Table(real, model, raw, creds, before, after)


# ---------------------------------------------------------------------------- the model


def _model_read(kernel: Kernel, ns: fakeproc.NamespaceSet, key: str, caller: Caller) -> dict[str, Any]:
    try:
        f = kernel.open(key, os.O_RDONLY, ns=ns, caller=caller)
    except OSError as exc:
        return {"open_errno": _errname(exc.errno)}
    try:
        return {"data": f.read(READ_SIZE, 0).decode("latin-1")}
    except OSError as exc:
        return {"errno": _errname(exc.errno)}


def _model_rewrite(kernel: Kernel, ns: fakeproc.NamespaceSet, key: str, caller: Caller) -> dict[str, Any]:
    """The worker's ``rewrite`` on the model: read, write the same bytes at offset 0, read back."""
    got = _model_read(kernel, ns, key, caller)
    out: dict[str, Any] = {"read": got}
    if "data" not in got:
        return out
    result: dict[str, Any] = {}
    try:
        f = kernel.open(key, os.O_WRONLY, ns=ns, caller=caller)
    except OSError as exc:
        result["open_errno"] = _errname(exc.errno)
    else:
        try:
            result["count"] = f.write(got["data"].encode("latin-1"), 0)
        except OSError as exc:
            result["errno"] = _errname(exc.errno)
    result["readback"] = _model_read(kernel, ns, key, caller)
    out["write"] = result
    return out


def _model_observe(kernel: Kernel, ns: fakeproc.NamespaceSet, key: str, caller: Caller) -> dict[str, Any]:
    try:
        st = kernel.stat(key_to_path(key), ns=ns)
    except OSError as exc:
        return {"missing": _errname(exc.errno)}
    return observation(stat_uid=st.uid, stat_gid=st.gid, mode=st.mode,
                       r=kernel.access(key, read=True, ns=ns, caller=caller),
                       w=kernel.access(key, write=True, ns=ns, caller=caller))


def model_container(kernel: Kernel, keys: list[str], writes: list[str], uid: int,
                    gid: int) -> dict[str, dict[str, Any]]:
    """The container-root table on the model: ``uid`` owns a new user ns and new ipc/net/uts ones."""
    ns = kernel.unshare(kernel.init_ns, user=True, ipc=True, net=True, uts=True, owner_uid=uid, owner_gid=gid)
    caller = Caller(uid=uid, gid=gid, user_ns=ns.user)  # caps=None: all of them in its own user ns
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        out[key] = _model_observe(kernel, ns, key, caller)
        if key in writes and "missing" not in out[key]:
            out[key].update(_model_rewrite(kernel, ns, key, caller))
    kernel.drop_namespaces(ns)
    return out


def model_plain(kernel: Kernel, keys: list[str], uid: int, gid: int) -> dict[str, dict[str, Any]]:
    """The plain-user table on the model: ``Caller(uid, gid)`` in the initial namespaces."""
    caller = Caller(uid=uid, gid=gid)
    return {key: _model_observe(kernel, kernel.init_ns, key, caller) for key in keys}
