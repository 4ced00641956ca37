"""Probe the running kernel inside throwaway namespaces: ``fakeproc capture --probe``.

A plain capture reads names, modes and values. The bounds of an integer entry can only be seen by
writing to it, which is safe only where the data is per namespace. This module does that, and
nothing else, in a worker (:mod:`fakeproc.profiles.nsworker`) started with
``unshare --ipc --net --uts --fork``; every entry is probed in nested fresh namespaces of its own.

Safety (the worker enforces it again on its side):

* root only, on Linux, with a working ``unshare``; otherwise :func:`unavailable` says why and
  nothing runs;
* only IPC and net entries whose value lives in the namespace (no ``registered_in``/``child_mode``,
  not ``absent`` from a fresh netns) are written, never one of :data:`GLOBAL_BACKED`;
* the worker refuses to run unless its namespaces differ from the caller's, and it watches every
  written entry from the worker's own namespaces: a change there means global data, and the run
  is refused.

>>> fold_bounds({"key": "k", "handler": "proc_dointvec_minmax", "min": 1},
...            {"positions": [{"min_ok": 4096, "max_ok": 2**31 - 1, "rejects": [22]}]})
{'min': 4096, 'max': None}
"""

from __future__ import annotations

import errno
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fakeproc.spec import DEVICE_PLACEHOLDER, INT_MAX, INT_MIN, U8_MAX, UINT_MAX, ULONG_MAX, key_to_path

__all__ = [
    "GLOBAL_BACKED",
    "PROBED_HANDLERS",
    "apply_probe",
    "fold_bounds",
    "probe_bounds",
    "probeable_keys",
    "run_worker",
    "system_python",
    "unavailable",
]

PROC_SYS = Path("/proc/sys")
WORKER = Path(__file__).with_name("nsworker.py")

#: Entries a fresh netns shows writable although their data is global. Writing one changes the
#: host; ``nf_hooks_lwtunnel`` enables a static key that cannot be turned off again (EBUSY).
GLOBAL_BACKED = frozenset({"net.netfilter.nf_hooks_lwtunnel"})

#: The handlers whose accepted range is a plain ``[extra1, extra2]`` inside the parse range, so that
#: a probed range folds back into ``min``/``max`` (``proc_dointvec`` becomes ``_minmax`` if bounded).
PROBED_HANDLERS: dict[str, tuple[int, int]] = {
    "proc_dointvec": (INT_MIN, INT_MAX),
    "proc_dointvec_minmax": (INT_MIN, INT_MAX),
    "proc_douintvec": (0, UINT_MAX),
    "proc_douintvec_minmax": (0, UINT_MAX),
    "proc_dou8vec_minmax": (0, U8_MAX),
    "proc_doulongvec_minmax": (0, ULONG_MAX),
}
_MINMAX = {"proc_dointvec": "proc_dointvec_minmax", "proc_douintvec": "proc_douintvec_minmax"}


def unavailable() -> str | None:
    """Why probing cannot run here, or ``None`` if it can (Linux, root, a working ``unshare``)."""
    if platform.system() != "Linux":
        return "not Linux"
    if os.geteuid() != 0:
        return "not root: probing writes in throwaway ipc/net/uts namespaces, which needs CAP_SYS_ADMIN"
    if shutil.which("unshare") is None:
        return "no unshare(1) binary (package util-linux)"
    if not (PROC_SYS / "kernel").is_dir():
        return "no /proc/sys"
    try:
        proc = subprocess.run(["unshare", "--ipc", "--net", "--uts", "--fork", "true"],
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    if proc.returncode != 0:
        return f"unshare --ipc --net --uts failed: {proc.stderr.decode(errors='replace').strip()}"
    return None


def system_python() -> str:
    """The interpreter workers run under: the system python3 (standard library only), else this one."""
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and os.path.exists(candidate):
            return candidate
    import sys

    return sys.executable


def _ns_inodes() -> dict[str, int]:
    return {t: os.stat(f"/proc/self/ns/{t}").st_ino for t in ("ipc", "net", "uts")}


def run_worker(cases: list[dict[str, Any]], *, timeout: float = 300) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    """Run ``cases`` (``{"id", "steps"}``, steps as :mod:`~fakeproc.profiles.nsworker` documents)
    on the real kernel, each in its own throwaway namespace set.

    Returns:
        ``(sysctl_writes_strict, {case id: [result per step]})``.

    Raises:
        RuntimeError: the worker refused (namespaces not distinct, global data seen) or crashed.
    """
    request = {"host_ns": _ns_inodes(), "cases": cases}
    proc = subprocess.run(
        ["unshare", "--ipc", "--net", "--uts", "--fork", system_python(), str(WORKER)],
        input=json.dumps(request), capture_output=True, text=True, timeout=timeout, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    reply = json.loads(proc.stdout)
    if not reply.get("ok"):
        raise RuntimeError(f"worker refused: {reply}")
    host = _ns_inodes()
    if any(reply["worker_ns"][t] == host[t] for t in host):
        raise RuntimeError("worker reported the caller's namespaces")
    return int(reply["strict"]), reply["results"]


def _concrete(key: str) -> str:
    return key.replace(DEVICE_PLACEHOLDER, "lo")


def probeable_keys(profile: dict[str, Any]) -> list[str]:
    """The entries of ``profile`` (a profile JSON object) that are safe and useful to probe.

    Integer IPC and net entries of a fresh namespace whose data is per namespace, with a
    handler of :data:`PROBED_HANDLERS`, writable, with no dynamic bound (``min_key``/``max_key``).
    A per-device template is probed on ``lo``.
    """
    keys = []
    for row in profile["entries"]:
        key = row["key"]
        if (row.get("namespace") in ("ipc", "net") and row.get("handler") in PROBED_HANDLERS
                and int(str(row["mode"]), 8) & 0o222 and not row.get("registered_in")
                and row.get("child_mode") is None and row.get("creation") != "absent"
                and not row.get("min_key") and not row.get("max_key") and key not in GLOBAL_BACKED):
            keys.append(key)
    return sorted(keys)


def probe_bounds(keys: list[str]) -> dict[str, dict[str, Any]]:
    """The bounds probe (:mod:`fakeproc.profiles.bounds_probe`) of every key, on the real kernel."""
    cases = [{"id": key, "steps": [{"op": "bounds", "key": key_to_path(_concrete(key))}]} for key in keys]
    _strict, results = run_worker(cases)
    return {key: results[key][0] for key in keys}


def fold_bounds(row: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any] | None:
    """The ``min``/``max`` (and handler) the probe ``summary`` shows for ``row``, or ``None``.

    ``None`` when the summary cannot be read as one ``[min, max]`` range: a non-integer value,
    an element that accepts nothing, or elements with different ranges (``proc_dointvec_minmax``
    applies one bound to every element, so that is another handler's behaviour).
    """
    natural = PROBED_HANDLERS.get(row.get("handler", ""))
    positions = summary.get("positions")
    if natural is None or not positions:
        return None
    ranges = {(p["min_ok"], p["max_ok"]) for p in positions}
    if len(ranges) != 1:
        return None
    (lo, hi), = ranges
    if lo is None or hi is None:
        return None
    folded: dict[str, Any] = {"min": lo if lo > natural[0] else None, "max": hi if hi < natural[1] else None}
    if row["handler"] in _MINMAX and (folded["min"] is not None or folded["max"] is not None):
        folded["handler"] = _MINMAX[row["handler"]]
    return folded


def _effective(row: dict[str, Any]) -> tuple[int, int]:
    """The accepted range a row's handler and bounds give (an absent bound is the parse limit)."""
    natural = PROBED_HANDLERS[row["handler"]]
    lo, hi = row.get("min"), row.get("max")
    bounded = row["handler"] not in _MINMAX  # plain dointvec/douintvec ignore extra1/extra2
    return (max(lo, natural[0]) if bounded and isinstance(lo, int) else natural[0],
            min(hi, natural[1]) if bounded and isinstance(hi, int) else natural[1])


def apply_probe(profile: dict[str, Any], summaries: dict[str, dict[str, Any]], *, release: str) -> list[str]:
    """Fold probed ranges into ``profile``'s rows in place; return the keys whose bounds changed.

    A changed row is marked ``observed``, and its ``source`` says what was measured, on which
    kernel, and what the row said before.
    """
    changed = []
    rows = {row["key"]: row for row in profile["entries"]}
    for key, summary in summaries.items():
        row = rows[key]
        folded = fold_bounds(row, summary)
        if folded is None or _effective(row) == _effective({**row, **folded}):
            continue
        before = f"{row['handler']} min={row.get('min')} max={row.get('max')}"
        for name, value in folded.items():
            if value is None:
                row.pop(name, None)
            else:
                row[name] = value
        changed.append(key)
        lo, hi = summary["positions"][0]["min_ok"], summary["positions"][0]["max_ok"]
        rejects = sorted({errno.errorcode.get(r, str(r)) for p in summary["positions"] for r in p["rejects"]})
        row["provenance"] = "observed"
        row["source"] = (f"probed on {release} (fakeproc capture --probe): each element accepts [{lo}, {hi}], "
                         f"refused with {', '.join(rejects)}; the row said {before}")
    return changed
