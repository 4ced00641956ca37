"""Run sysctl read/write steps against the REAL kernel, inside throwaway namespaces only.

This script is started by :mod:`fakeproc.profiles.probe` (``fakeproc capture --probe``) and by
the differential tests as::

    unshare --ipc --net --uts --fork /usr/bin/python3 nsworker.py

It uses the standard library only (it may run under the system Python). It reads one
JSON document on stdin::

    {"host_ns": {"ipc": INODE, "net": INODE, "uts": INODE},
     "cases": [{"id": "...", "steps": [STEP, ...]}, ...]}

and prints one JSON document on stdout: ``{"ok": true, "strict": N, "results": {id: [RESULT, ...]}}``.

Safety (the whole point of this file):

* Before anything else the worker checks that its own ipc, net and uts namespace inodes all
  differ from the host's (passed in by the parent); otherwise it refuses and exits 3.
* Every case runs in a forked child that calls ``unshare(CLONE_NEWIPC|CLONE_NEWNET|CLONE_NEWUTS)``
  again, so each case starts from a fresh namespace; the child re-checks that its inodes differ
  from both the host's and the worker's before any write, and refuses otherwise.
* Only paths of namespaced entries are ever opened for writing: IPC (``kernel/sem``,
  ``kernel/shm*``, ``kernel/msg*``, ``kernel/auto_msgmni``, ``kernel/*_next_id``,
  ``fs/mqueue/*``), UTS (``kernel/hostname``, ``kernel/domainname``) and ``net/*``
  (the parent passes only keys the profile marks per-netns; entries registered only in
  init_net are not even visible in a fresh netns), minus ``_GLOBAL_BACKED``: entries a fresh
  netns shows writable although their data is global. Anything else is refused.

Step kinds (``data`` is a latin-1 string: one char per byte):

* ``{"op": "write", "key": "kernel/sem", "data": "1 2", "pos": 0, "flags": "w"}``: one
  ``open`` + one ``pwrite(2)`` at ``pos``; result ``{"count": n}``, ``{"errno": e}`` or
  ``{"open_errno": e}``; then (unless ``"readback": false``) ``"readback"``: one ``pread``
  of 65536 bytes at offset 0.
* ``{"op": "write_all", ...}``: like ``write`` but loops the way ``write(1)`` users do after a
  short write: the rest is written again at the advanced offset until all bytes are consumed,
  a write returns 0 or fails; result ``{"counts": [...], "errno": e | None}``.
* ``{"op": "read", "key": ..., "size": 65536, "pos": 0}``: result ``{"data": ...}`` or an errno.
* ``{"op": "walk", "tops": ["net", ...]}``: every file below those directories with its
  ``stat`` permission bits and one 65536-byte read at offset 0 (read only);
  result ``{"files": {path: [mode, data | None, errno | None]}}``.
* ``{"op": "bounds", "key": "net/core/somaxconn"}``: the bounds probe of ``bounds_probe.py`` (anchors
  plus bisection; each step one ``pwrite(2)`` at offset 0 and a read-back); result: its summary.

Global-data sentinel (a second line of defence behind the allow- and deny-lists): before a case's
child leaves the worker's namespaces, it opens every IPC and net entry the case writes read-only
and reads it. An open file keeps pointing at the namespace it was opened in, so after every
accepted write the child re-reads these sentinels: if the worker's value changed, the entry's data
is NOT per-namespace (the host's value changed too). The child then writes the old value back at
once (which restores the global data), and the whole run is refused with ``GLOBAL-BACKED``.
UTS entries are not watched: their handler follows the reader's namespace, not the file's.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sys
from typing import Any

if __package__:
    from fakeproc.profiles import bounds_probe
else:  # run as a script under any python3 (standard library only): the probe sits beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bounds_probe  # type: ignore[no-redef]

__all__ = ["GlobalBacked", "check_path", "do_read", "do_write", "main"]

CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
READ_SIZE = 65536
PROC_SYS = "/proc/sys/"

_WRITABLE = re.compile(
    r"^(kernel/(sem|shmmax|shmall|shmmni|shm_rmid_forced|msgmax|msgmni|msgmnb|auto_msgmni"
    r"|sem_next_id|msg_next_id|shm_next_id|hostname|domainname)"
    r"|fs/mqueue/[a-z_]+"
    r"|net/[A-Za-z0-9_./-]+)$"
)


# Entries that are visible AND writable in a fresh netns but whose data is global (found the hard
# way: a write in a child netns changed the host's value). Never write them.
_GLOBAL_BACKED = frozenset({
    "net/netfilter/nf_hooks_lwtunnel",  # a global static key; enabling it cannot be undone
})


_WRITE_OPS = ("write", "write_all", "bounds")
_UNWATCHED = frozenset({"kernel/hostname", "kernel/domainname"})  # UTS: read through the reader's ns


class GlobalBacked(Exception):
    """A write in the child's fresh namespace changed the worker's value: the data is global."""


# key -> (fd opened in the worker's namespaces, the value read there before any write)
_SENTINELS: dict[str, tuple[int, bytes]] = {}


def open_sentinels(steps: list[dict[str, Any]]) -> None:
    """Open (read-only, in the worker's namespaces) every IPC/net entry the steps write."""
    for step in steps:
        key = str(step.get("key", ""))
        if step["op"] not in _WRITE_OPS or key in _SENTINELS or key in _UNWATCHED:
            continue
        try:
            fd = os.open(PROC_SYS + key, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue  # write-only (0200): cannot be watched
        try:
            _SENTINELS[key] = (fd, os.pread(fd, READ_SIZE, 0))
        except OSError:
            os.close(fd)


def check_sentinel(key: str) -> None:
    """Raise :class:`GlobalBacked` (after writing the old value back) if the worker's value moved."""
    if key not in _SENTINELS:
        return
    fd, before = _SENTINELS[key]
    now = os.pread(fd, READ_SIZE, 0)
    if now != before:
        try:  # undo at once: for global data this restores the host's value
            wfd = os.open(PROC_SYS + key, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.pwrite(wfd, before, 0)
            finally:
                os.close(wfd)
        except OSError:
            pass  # reported below either way
        raise GlobalBacked(f"GLOBAL-BACKED: writing {key!r} in a fresh namespace changed the worker's "
                           f"value from {before!r} to {now!r}; add it to _GLOBAL_BACKED")


def ns_inodes() -> dict[str, int]:
    """The inode numbers of this process's ipc, net and uts namespaces."""
    return {t: os.stat(f"/proc/self/ns/{t}").st_ino for t in ("ipc", "net", "uts")}


def refuse(message: str) -> None:
    """Print a refusal and exit without touching anything."""
    print(json.dumps({"ok": False, "refused": message}))
    sys.stdout.flush()
    os._exit(3)


def differs(mine: dict[str, int], other: dict[str, int]) -> bool:
    """True if every one of ipc, net and uts differs from ``other``."""
    return all(mine[t] != other[t] for t in ("ipc", "net", "uts"))


def check_path(key: str) -> str:
    """The absolute path of a relative /proc/sys path that may be written here, or refuse."""
    if ".." in key.split("/") or not _WRITABLE.match(key) or key in _GLOBAL_BACKED:
        refuse(f"path not allowed for writing: {key!r}")
    return PROC_SYS + key


def _errno_of(exc: OSError) -> int:
    return exc.errno if exc.errno is not None else -1


def do_read(key: str, size: int, pos: int) -> dict[str, Any]:
    """One open + one pread."""
    try:
        fd = os.open(PROC_SYS + key, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        return {"open_errno": _errno_of(exc)}
    try:
        return {"data": os.pread(fd, size, pos).decode("latin-1")}
    except OSError as exc:
        return {"errno": _errno_of(exc)}
    finally:
        os.close(fd)


def do_write(step: dict[str, Any]) -> dict[str, Any]:
    """One open + one pwrite (or a write_all loop), then an optional read-back."""
    path = check_path(step["key"])
    data = step["data"].encode("latin-1")
    pos = int(step.get("pos", 0))
    flags = os.O_RDWR if step.get("flags") == "rw" else os.O_WRONLY
    out: dict[str, Any] = {}
    try:
        fd = os.open(path, flags | os.O_CLOEXEC)
    except OSError as exc:
        out["open_errno"] = _errno_of(exc)
    else:
        try:
            if step["op"] == "write":
                try:
                    out["count"] = os.pwrite(fd, data, pos)
                except OSError as exc:
                    out["errno"] = _errno_of(exc)
                else:
                    check_sentinel(step["key"])
            else:
                counts: list[int] = []
                out["errno"] = None
                while data:
                    try:
                        n = os.pwrite(fd, data, pos)
                    except OSError as exc:
                        out["errno"] = _errno_of(exc)
                        break
                    counts.append(n)
                    check_sentinel(step["key"])
                    if n <= 0:
                        break
                    data = data[n:]
                    pos += n
                out["counts"] = counts
        finally:
            os.close(fd)
    if step.get("readback", True):
        out["readback"] = do_read(step["key"], READ_SIZE, 0)
    return out


def do_bounds(key: str) -> dict[str, Any]:
    """The bounds probe of ``_bounds.py`` on one entry of this (fresh) namespace set."""
    path = check_path(key)

    def write(data: bytes) -> tuple[Any, str | None]:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        except OSError as exc:
            return f"open:{_errno_of(exc)}", None
        try:
            n = os.pwrite(fd, data, 0)
        except OSError as exc:
            outcome: Any = _errno_of(exc)
        else:
            outcome = "ok" if n == len(data) else f"short:{n}"
        finally:
            os.close(fd)
        back = do_read(key, READ_SIZE, 0)  # the read-back, after every write
        if outcome != "ok" and not str(outcome).startswith("short"):
            return outcome, None
        check_sentinel(key)
        return outcome, back.get("data")

    def read() -> str | None:
        return do_read(key, READ_SIZE, 0).get("data")

    result: dict[str, Any] = bounds_probe.probe(write, read)
    return result


def do_walk(tops: list[str]) -> dict[str, Any]:
    """Stat and read (never write) every file below ``tops``."""
    files: dict[str, Any] = {}
    for top in tops:
        for root, _dirs, names in os.walk(PROC_SYS + top):
            for name in names:
                path = os.path.join(root, name)
                rel = path[len(PROC_SYS):]
                mode = os.stat(path).st_mode & 0o7777
                got = do_read(rel, READ_SIZE, 0)
                err = got.get("open_errno", got.get("errno"))
                files[rel] = [mode, got.get("data"), err]
    return {"files": files}


def run_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run one case's steps in this (already fresh) namespace."""
    results = []
    for step in steps:
        if step["op"] in ("write", "write_all"):
            results.append(do_write(step))
        elif step["op"] == "bounds":
            results.append(do_bounds(step["key"]))
        elif step["op"] == "walk":
            results.append(do_walk([str(t) for t in step["tops"]]))
        elif step["op"] == "read":
            results.append(do_read(step["key"], int(step.get("size", READ_SIZE)), int(step.get("pos", 0))))
        else:
            refuse(f"unknown op {step['op']!r}")
    return results


def run_case(libc: Any, host: dict[str, int], worker: dict[str, int], steps: list[dict[str, Any]]) -> Any:
    """Fork, unshare ipc/net/uts afresh in the child, verify, run the steps; return the child's results."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            open_sentinels(steps)  # still in the worker's namespaces: read-only opens
            if libc.unshare(CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS) != 0:
                raise OSError(ctypes.get_errno(), "unshare failed")
            mine = ns_inodes()
            if not (differs(mine, host) and differs(mine, worker)):
                payload: dict[str, Any] = {"refused": "case namespace is not fresh"}
            else:
                payload = {"results": run_steps(steps)}
        except GlobalBacked as exc:
            payload = {"refused": str(exc)}
        except BaseException as exc:  # noqa: BLE001 - report, never escape the child
            payload = {"crash": repr(exc)}
        with os.fdopen(wfd, "w") as f:
            f.write(json.dumps(payload))
        os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        text = f.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else {"crash": "child produced no output"}


def main() -> None:
    """Entry point: verify the namespaces, run every case, print the results."""
    request = json.load(sys.stdin)
    host = {t: int(request["host_ns"][t]) for t in ("ipc", "net", "uts")}
    worker = ns_inodes()
    if not differs(worker, host):
        refuse(f"worker namespaces {worker} are not distinct from the host's {host}")
    libc = ctypes.CDLL(None, use_errno=True)
    with open(PROC_SYS + "kernel/sysctl_writes_strict") as f:  # global: read only
        strict = int(f.read())
    results: dict[str, Any] = {}
    for case in request["cases"]:
        for step in case["steps"]:
            if step["op"] not in ("read", "walk"):
                check_path(step["key"])  # refuse the whole run before any write
    for case in request["cases"]:
        outcome = run_case(libc, host, worker, case["steps"])
        if "refused" in outcome:
            refuse(outcome["refused"])
        results[case["id"]] = outcome.get("results", outcome)
    print(json.dumps({"ok": True, "strict": strict, "worker_ns": worker, "results": results}))


if __name__ == "__main__":
    main()
