"""Record the REAL kernel's permission model for an unprivileged caller: stat, access and writes.

Started (as root, standard library only) by :mod:`tests.differential.callers` as::

    /usr/bin/python3 _perm_worker.py

It reads one JSON document on stdin::

    {"host_ns": {"ipc": INODE, "net": INODE, "uts": INODE, "user": INODE},
     "uid": 1001, "gid": 1001, "container": true,
     "keys": ["kernel/sem", ...], "write": ["kernel/sem", ...]}

and prints one JSON document on stdout::

    {"ok": true, "creds": {...}, "results": {path: RESULT}}

The worker forks ONE child for the whole table. The child drops to ``uid``/``gid`` (no
supplementary groups, no capabilities) and, with ``"container": true``, becomes a *container
root*: ``unshare(CLONE_NEWUSER|CLONE_NEWIPC|CLONE_NEWNET|CLONE_NEWUTS)`` and the maps
``0 uid 1`` / ``setgroups deny`` / ``0 gid 1``, as ``unshare --user --map-root-user --ipc --net
--uts`` does. For every path it records, as seen from inside: ``stat`` (``inside_uid``,
``inside_gid``: ids mapped into the caller's user namespace, 65534 for an unmapped owner;
``mode``), ``access(R_OK)`` and ``access(W_OK)`` (``r``, ``w``). It also opens every path with
``O_PATH`` and passes the descriptors back to this (root, initial-namespace) process, which
``fstat``s them: ``kernel_uid``/``kernel_gid`` are the owners as kernel ids, with no guessing.

For the paths in ``"write"`` (container only), the child reads the value (``read``) and writes
the same bytes back (one ``open(O_WRONLY)`` + one ``pwrite`` at offset 0, through
``nsworker.do_write``), then reads back (``write``: ``{"count": n}``, ``{"errno": e}`` or
``{"open_errno": e}``, with ``"readback"``).

Safety (nothing here may change the host's /proc/sys):

* A plain (non-container) request may not write anything; the child only stats and
  ``access``es, which do not open files.
* Every path to write must pass ``nsworker.check_path`` (the allow-list of ipc/net/uts paths
  minus ``_GLOBAL_BACKED``), must not be a UTS entry, and must be in ``keys``. The whole request
  is checked before the child is forked.
* The child opens ``_worker``'s global-data sentinels (read-only, still in the original
  namespaces) before it unshares; after every accepted write ``nsworker.check_sentinel`` re-reads
  them, and if the original namespace's value moved, the run is refused with ``GLOBAL-BACKED``.
  (The value written is the one read back, so even global data would not change.)
* After ``unshare`` the child checks that its user, ipc, net and uts namespace inodes all differ
  from the host's (passed in by the parent), that it is uid 0 inside and that the maps are the
  expected ones; otherwise it refuses before the first write.
"""

from __future__ import annotations

import ctypes
import json
import os
import socket
import sys
from typing import Any

# The guards (check_path, sentinels, do_write) are the probe worker's, shipped in fakeproc/profiles/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fakeproc", "profiles"))
import nsworker as _worker  # type: ignore[import-not-found]

CLONE_NEWUSER = 0x10000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
PR_SET_DUMPABLE = 4
NS_TYPES = ("user", "ipc", "net", "uts")
PROC_SYS = _worker.PROC_SYS


def ns_inodes() -> dict[str, int]:
    """The inode numbers of this process's user, ipc, net and uts namespaces."""
    return {t: os.stat(f"/proc/self/ns/{t}").st_ino for t in NS_TYPES}


def cap_eff() -> int:
    """This process's effective capability set (``CapEff`` of /proc/self/status)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return -1


def _write_self(name: str, text: str) -> None:
    with open(f"/proc/self/{name}", "w") as f:  # the process's own maps: not /proc/sys
        f.write(text)


def drop_to(uid: int, gid: int, libc: Any) -> None:
    """Become ``uid``/``gid`` for good: no supplementary groups, no capabilities, still dumpable."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    # A uid change makes the process non-dumpable, which would leave /proc/self/uid_map owned by
    # global root; unshare(1) run as the user never has this problem (exec resets it).
    if libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def become_container_root(uid: int, gid: int, libc: Any) -> None:
    """``unshare --user --map-root-user --ipc --net --uts`` for the current (unprivileged) process."""
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER|NEWIPC|NEWNET|NEWUTS) failed")
    _write_self("uid_map", f"0 {uid} 1")
    _write_self("setgroups", "deny")
    _write_self("gid_map", f"0 {gid} 1")


def observe(rel: str) -> tuple[dict[str, Any], int | None]:
    """What the caller sees of one path (stat, access) and an O_PATH descriptor for the parent."""
    path = PROC_SYS + rel
    try:
        st = os.stat(path)
    except OSError as exc:
        return {"missing": exc.errno}, None
    out: dict[str, Any] = {
        "inside_uid": st.st_uid,
        "inside_gid": st.st_gid,
        "mode": st.st_mode & 0o7777,
        "r": os.access(path, os.R_OK),
        "w": os.access(path, os.W_OK),
    }
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError as exc:
        out["path_errno"] = exc.errno
        return out, None
    return out, fd


def rewrite(rel: str) -> dict[str, Any]:
    """Read the value and write the same bytes back (guarded by ``_worker``); then read back."""
    got = _worker.do_read(rel, _worker.READ_SIZE, 0)
    out: dict[str, Any] = {"read": got}
    if "data" not in got:
        return out
    step = {"op": "write", "key": rel, "data": got["data"], "pos": 0, "readback": True, "flags": "w"}
    out["write"] = _worker.do_write(step)  # check_path + sentinel check inside
    return out


def child(request: dict[str, Any], host: dict[str, int], sock: socket.socket, wfd: int) -> None:
    """The unprivileged caller: drop, maybe unshare, observe, rewrite; send fds, then JSON."""
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = int(request["uid"]), int(request["gid"])
    keys = [str(k) for k in request["keys"]]
    writes = [str(k) for k in request["write"]]
    fds: list[int] = []
    fd_paths: list[str] = []
    payload: dict[str, Any]
    try:
        _worker.open_sentinels([{"op": "write", "key": k} for k in writes])  # original namespaces
        drop_to(uid, gid, libc)
        if request["container"]:
            become_container_root(uid, gid, libc)
        mine = ns_inodes()
        fresh = {t: mine[t] != host[t] for t in NS_TYPES}
        creds: dict[str, Any] = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cap_eff": cap_eff(),
                                 "ns_fresh": fresh}
        if request["container"]:
            with open("/proc/self/uid_map") as f:
                creds["uid_map"] = f.read().split()
            with open("/proc/self/gid_map") as f:
                creds["gid_map"] = f.read().split()
            maps_ok = creds["uid_map"] == ["0", str(uid), "1"] and creds["gid_map"] == ["0", str(gid), "1"]
            if not (all(fresh.values()) and maps_ok and os.getuid() == 0):
                raise RuntimeError(f"REFUSED: not a fresh container root: {creds}")
        elif os.getuid() != uid or creds["cap_eff"] != 0:
            raise RuntimeError(f"REFUSED: not a plain unprivileged caller: {creds}")
        results: dict[str, Any] = {}
        for rel in keys:
            results[rel], fd = observe(rel)
            if fd is not None:
                fds.append(fd)
                fd_paths.append(rel)
        for rel in writes:
            if "missing" not in results[rel]:
                results[rel].update(rewrite(rel))
        payload = {"ok": True, "creds": creds, "results": results, "fd_paths": fd_paths}
    except _worker.GlobalBacked as exc:
        payload = {"ok": False, "refused": str(exc)}
    except BaseException as exc:  # noqa: BLE001 - report, never escape the child
        payload = {"ok": False, "crash": repr(exc)}
    if not payload.get("ok"):
        fds, fd_paths = [], []
    # The parent must fstat the descriptors while this process keeps the namespaces alive (once
    # a netns is gone, its sysctl files give ENOENT): send them, then wait for the parent's ack.
    socket.send_fds(sock, [json.dumps(fd_paths).encode()], fds)
    sock.recv(1)
    with os.fdopen(wfd, "w") as f:
        f.write(json.dumps(payload))


def check_request(request: dict[str, Any]) -> None:
    """Refuse (exit 3, before any fork) a request that could write something it must not."""
    keys = set(request["keys"])
    for rel in request["write"]:
        if not request["container"]:
            _worker.refuse(f"a plain caller's table may not write: {rel!r}")
        _worker.check_path(rel)  # allow-list minus _GLOBAL_BACKED; refuses otherwise
        if rel in _worker._UNWATCHED:
            _worker.refuse(f"UTS entries are not written by this worker: {rel!r}")
        if rel not in keys:
            _worker.refuse(f"write of a path that is not observed: {rel!r}")


def main() -> None:
    """Entry point (as root): check the request, run the child, add the kernel view of the owners."""
    request = json.load(sys.stdin)
    host = {t: int(request["host_ns"][t]) for t in NS_TYPES}
    if os.geteuid() != 0:
        _worker.refuse("the permission worker must start as root (it drops to the test user itself)")
    if ns_inodes() != host:
        _worker.refuse("the permission worker must start in the host's namespaces")
    check_request(request)
    parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        parent_sock.close()
        os.close(rfd)
        try:
            child(request, host, child_sock, wfd)
        finally:
            os._exit(0)
    child_sock.close()
    os.close(wfd)
    msg, fds, _flags, _addr = socket.recv_fds(parent_sock, 65536, 1024)
    fd_paths = json.loads(msg) if msg else []
    kernel_view: dict[str, dict[str, int]] = {}
    for rel, fd in zip(fd_paths, fds):
        st = os.fstat(fd)  # seen from the initial user namespace: kernel ids
        kernel_view[rel] = {"kernel_uid": st.st_uid, "kernel_gid": st.st_gid, "kernel_mode": st.st_mode & 0o7777}
        os.close(fd)
    try:
        parent_sock.send(b"A")  # the child may exit now
    except OSError:
        pass
    with os.fdopen(rfd) as f:
        text = f.read()
    os.waitpid(pid, 0)
    payload: dict[str, Any] = json.loads(text) if text else {"ok": False, "crash": "child produced no output"}
    if not payload.get("ok"):
        _worker.refuse(payload.get("refused") or payload.get("crash") or "child failed")
    if len(fds) != len(fd_paths) or fd_paths != payload.pop("fd_paths"):
        _worker.refuse(f"got {len(fds)} descriptors for {len(fd_paths)} paths")
    for rel, view in kernel_view.items():
        payload["results"][rel].update(view)
    print(json.dumps(payload))


if __name__ == "__main__":
    main()
