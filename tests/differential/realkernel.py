"""Run the same sysctl steps on the real kernel (in throwaway namespaces) and on the model.

>>> s = write("kernel.sem", b"1 2", pos=0)
>>> s["key"], s["data"], s["op"]
('kernel/sem', '1 2', 'write')

A *case* is a list of steps (see ``_worker.py`` for their format) run in ONE fresh set of
ipc/net/uts namespaces. :func:`run_real` sends every case to one worker process started with
``unshare --ipc --net --uts --fork``; each case gets its own nested fresh namespaces there.
:func:`run_model` replays the same cases on a fakeproc :class:`~fakeproc.Kernel`, each in a
namespace set made with ``kernel.unshare(init_ns, ipc=True, net=True, uts=True)``. Results
have the same shape, so a test compares them with ``==``.

Nothing here ever writes the host's ``/proc/sys``: only reads happen in this process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fakeproc
from fakeproc import Kernel, key_to_path
from fakeproc.profiles import bounds_probe as _bounds
from fakeproc.profiles import probe

__all__ = [
    "GUARDED_HOST_VALUES",
    "READ_SIZE",
    "Case",
    "bounds",
    "host_ns_inodes",
    "read",
    "read_host",
    "real_kernel_unavailable",
    "run_model",
    "run_real",
    "walk",
    "write",
    "write_all",
]

READ_SIZE = 65536
PROC_SYS = Path("/proc/sys")

# Host values that must be the same before and after the suite (brief's safety list).
GUARDED_HOST_VALUES = {
    "kernel.sem": "32000\t1024000000\t500\t32000\n",
    "kernel.shmmni": "4096\n",
    "net.core.somaxconn": "4096\n",
    "fs.mqueue.msg_max": "10\n",
    "net.ipv4.ip_local_port_range": "32768\t60999\n",
}

Step = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One differential case: steps run in one fresh namespace set, real and model.

    Attributes:
        id: A unique, descriptive id (becomes the pytest id).
        steps: The steps, built with :func:`write`, :func:`write_all` and :func:`read`.
        xfail: If set, the reason the model is known to differ (strict xfail).
    """

    id: str
    steps: tuple[Step, ...]
    xfail: str | None = field(default=None, compare=False)

    @property
    def written_keys(self) -> set[str]:
        """Dotted keys this case writes."""
        return {s["key"].replace("/", ".") for s in self.steps if s["op"] not in ("read", "walk")}


def _path(key: str) -> str:
    return key if "/" in key else key_to_path(key)


def write(key: str, data: bytes | str, pos: int = 0, *, readback: bool = True, flags: str = "w") -> Step:
    """A step: one ``open`` + one ``pwrite(data, pos)``, then a read-back at offset 0."""
    raw = data.encode("latin-1") if isinstance(data, str) else data
    return {"op": "write", "key": _path(key), "data": raw.decode("latin-1"), "pos": pos,
            "readback": readback, "flags": flags}


def write_all(key: str, data: bytes | str, pos: int = 0, *, readback: bool = True) -> Step:
    """A step: write ``data`` fully, re-writing the rest at the advanced offset after short writes."""
    step = write(key, data, pos, readback=readback)
    step["op"] = "write_all"
    return step


def walk(*tops: str) -> Step:
    """A read-only step: stat and read every file below the given /proc/sys directories."""
    return {"op": "walk", "tops": list(tops)}


def bounds(key: str) -> Step:
    """A step: the bounds probe of ``_bounds.py`` (anchors plus bisection, one write + read-back each)."""
    return {"op": "bounds", "key": _path(key)}


def read(key: str, size: int = READ_SIZE, pos: int = 0) -> Step:
    """A step: one ``open`` + one ``pread(size, pos)``."""
    return {"op": "read", "key": _path(key), "size": size, "pos": pos}


# ---------------------------------------------------------------------------- host checks


def host_ns_inodes() -> dict[str, int]:
    """This process's ipc/net/uts namespace inodes (the host's, from the test's point of view)."""
    return {t: os.stat(f"/proc/self/ns/{t}").st_ino for t in ("ipc", "net", "uts")}


def read_host(key: str) -> str | None:
    """The host's value of ``key`` (read only); None if absent or unreadable."""
    try:
        return (PROC_SYS / key_to_path(key)).read_bytes().decode("latin-1")
    except OSError:
        return None


def real_kernel_unavailable() -> str | None:
    """Why the real-kernel comparison cannot run here, or None if it can (root, Linux, unshare works)."""
    if not (PROC_SYS / "kernel" / "sem").exists():
        return "no /proc/sys/kernel/sem (no IPC sysctls)"
    return probe.unavailable()


def run_real(cases: list[Case]) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    """Run ``cases`` on the real kernel inside throwaway namespaces (the probe's worker).

    Returns:
        ``(sysctl_writes_strict, {case id: [result per step]})``.

    Raises:
        RuntimeError: the worker refused (namespaces not distinct) or crashed.
    """
    return probe.run_worker([{"id": c.id, "steps": list(c.steps)} for c in cases], timeout=120)


# ---------------------------------------------------------------------------- the model


def _errno(exc: OSError) -> int:
    return exc.errno if exc.errno is not None else -1


def _model_read(kernel: Kernel, ns: fakeproc.NamespaceSet, key: str, size: int, pos: int) -> dict[str, Any]:
    try:
        f = kernel.open(key, os.O_RDONLY, ns=ns)
    except OSError as exc:
        return {"open_errno": _errno(exc)}
    try:
        return {"data": f.read(size, pos).decode("latin-1")}
    except OSError as exc:
        return {"errno": _errno(exc)}


def _model_write(kernel: Kernel, ns: fakeproc.NamespaceSet, step: Step) -> dict[str, Any]:
    key = step["key"]
    data = step["data"].encode("latin-1")
    pos = int(step.get("pos", 0))
    flags = os.O_RDWR if step.get("flags") == "rw" else os.O_WRONLY
    out: dict[str, Any] = {}
    try:
        f = kernel.open(key, flags, ns=ns)
    except OSError as exc:
        out["open_errno"] = _errno(exc)
    else:
        if step["op"] == "write":
            try:
                out["count"] = f.write(data, pos)
            except OSError as exc:
                out["errno"] = _errno(exc)
        else:
            counts: list[int] = []
            out["errno"] = None
            while data:
                try:
                    n = f.write(data, pos)
                except OSError as exc:
                    out["errno"] = _errno(exc)
                    break
                counts.append(n)
                if n <= 0:
                    break
                data = data[n:]
                pos += n
            out["counts"] = counts
    if step.get("readback", True):
        out["readback"] = _model_read(kernel, ns, key, READ_SIZE, 0)
    return out


def _model_bounds(kernel: Kernel, ns: fakeproc.NamespaceSet, key: str) -> dict[str, Any]:
    """The bounds probe on the model, with the same decisions as the worker's."""

    def write(data: bytes) -> tuple[Any, str | None]:
        try:
            f = kernel.open(key, os.O_WRONLY, ns=ns)
        except OSError as exc:
            return f"open:{_errno(exc)}", None
        try:
            n = f.write(data, 0)
        except OSError as exc:
            outcome: Any = _errno(exc)
        else:
            outcome = "ok" if n == len(data) else f"short:{n}"
        back = _model_read(kernel, ns, key, READ_SIZE, 0)
        if outcome != "ok" and not str(outcome).startswith("short"):
            return outcome, None
        return outcome, back.get("data")

    def read() -> str | None:
        return _model_read(kernel, ns, key, READ_SIZE, 0).get("data")

    return _bounds.probe(write, read)


def _model_walk(kernel: Kernel, ns: fakeproc.NamespaceSet, tops: list[str]) -> dict[str, Any]:
    files: dict[str, Any] = {}
    for key in kernel.keys(ns=ns):
        rel = key_to_path(key)
        if not any(rel.startswith(top + "/") for top in tops):
            continue
        mode = kernel.stat(rel, ns=ns).mode & 0o7777
        got = _model_read(kernel, ns, key, READ_SIZE, 0)
        files[rel] = [mode, got.get("data"), got.get("open_errno", got.get("errno"))]
    return {"files": files}


def run_model(kernel: Kernel, cases: list[Case]) -> dict[str, list[dict[str, Any]]]:
    """Replay ``cases`` on ``kernel``, each in fresh ipc/net/uts namespaces made from ``init_ns``."""
    results: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        ns = kernel.unshare(kernel.init_ns, ipc=True, net=True, uts=True)
        out = []
        for step in case.steps:
            if step["op"] == "walk":
                out.append(_model_walk(kernel, ns, step["tops"]))
            elif step["op"] == "bounds":
                out.append(_model_bounds(kernel, ns, step["key"]))
            elif step["op"] == "read":
                out.append(_model_read(kernel, ns, step["key"], int(step.get("size", READ_SIZE)),
                                       int(step.get("pos", 0))))
            else:
                out.append(_model_write(kernel, ns, step))
        results[case.id] = out
        kernel.drop_namespaces(ns)
    return results
