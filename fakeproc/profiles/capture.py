"""Capture the running machine's ``/proc/sys`` as a profile, strictly read-only.

>>> from fakeproc.profiles.capture import infer_entry
>>> infer_entry("kernel.x", 0o644, "1\\t2")["length"]
2

Names, modes (``os.stat``) and values come from the host; handler semantics come
from the shipped 6.18 profile where the key exists there, otherwise they are
inferred from the value's shape. With ``fresh_namespaces`` and a working
``unshare``, a child process in new ipc/net/uts/user namespaces reads the values
a fresh namespace starts with. Nothing under ``/proc/sys`` is ever written.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakeproc.errors import UnavailableError
from fakeproc.profiles.loader import FORMAT_VERSION, load_profile, profile_to_dict
from fakeproc.profiles.probe import apply_probe, probe_bounds, probeable_keys, unavailable
from fakeproc.spec import DEVICE_PLACEHOLDER, INT_MAX, INT_MIN, path_to_key

__all__ = ["CaptureResult", "ProbeUnavailable", "capture", "capture_host", "infer_entry", "read_fresh_namespace_values"]

PROC_SYS = Path("/proc/sys")
_INT_RE = re.compile(r"^-?\d+$")
_DEVICE_DIRS = ("net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh.")

# Run in the fresh namespaces: read every readable file below the given top directories, print JSON.
_READER = r"""
import json, os, sys
out = {}
for top in sys.argv[1:]:
    for root, dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    out[path] = f.read().decode("utf-8", "replace")
            except OSError:
                out[path] = None  # present, not readable (write-only, or EIO like stable_secret)
print(json.dumps(out))
"""


class ProbeUnavailable(UnavailableError):
    """``--probe`` was asked for where writing in throwaway namespaces is not possible or safe."""


@dataclass(frozen=True)
class CaptureResult:
    """What ``fakeproc capture`` produced.

    Attributes:
        profile: The profile JSON object.
        path: Where it was written, or ``None``.
        entries: Number of entries.
        unreadable: Keys whose value could not be read.
        fresh_namespaces: Whether fresh-namespace values were captured.
    """

    profile: dict[str, Any]
    path: str | None
    entries: int
    unreadable: tuple[str, ...]
    fresh_namespaces: bool


def infer_entry(key: str, mode: int, value: str) -> dict[str, Any]:
    """An entry whose semantics are guessed from the value (integer vector or string)."""
    tokens = value.split("\t")
    entry: dict[str, Any] = {"key": key, "mode": f"{mode:04o}"}
    if value and all(_INT_RE.match(t) for t in tokens):
        wide = any(not INT_MIN <= int(t) <= INT_MAX for t in tokens)
        entry["handler"] = "proc_doulongvec_minmax" if wide else "proc_dointvec"
        if len(tokens) > 1:
            entry["length"] = len(tokens)
    else:
        entry["handler"] = "proc_dostring"
        entry["maxlen"] = max(len(value.encode()) + 1, 64 if mode & 0o222 else 1)
    if value:
        entry["default"] = value
    entry["source"] = "inferred from the host value's shape"
    return entry


def _read(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:  # read-only; never opened for writing
            data = f.read()
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EIO, errno.EPERM, errno.EINVAL, errno.ENOENT):
            return None
        raise
    text = data.decode("utf-8", "replace")
    return text.removesuffix("\n")


def _read_fresh(unshare: str, flags: list[str], tops: list[str]) -> dict[str, str | None] | None:
    cmd = [unshare, *flags, sys.executable, "-c", _READER, *tops]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    raw = json.loads(proc.stdout or "{}")
    return {path_to_key(p): (None if v is None else v.removesuffix("\n")) for p, v in raw.items()}


def read_fresh_namespace_values(root: Path = PROC_SYS) -> dict[str, str | None] | None:
    """Values seen from new ipc, net, uts and user namespaces, or ``None`` if ``unshare`` fails.

    Every file a fresh namespace shows is a key; an unreadable one maps to ``None``.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    tops = [str(root / d) for d in ("kernel", "fs", "net", "user")]
    values = _read_fresh(unshare, ["--ipc", "--net", "--uts", "--user", "--map-root-user"], tops)
    if values is not None and os.geteuid() == 0:
        # Values that hold ids read through the reader's user namespace: ping_group_range holds
        # kernel gids, and gid 1 is unmapped in a fresh user namespace (it reads 65534). Root reads
        # the net tree again from its own user namespace.
        net = _read_fresh(unshare, ["--ipc", "--net", "--uts"], [str(root / "net")])
        if net is not None:
            values.update(net)
    return values


def _template(key: str, devices: set[str]) -> tuple[str, str] | None:
    for prefix in _DEVICE_DIRS:
        if key.startswith(prefix):
            dev, _, leaf = key[len(prefix):].partition(".")
            if dev not in ("all", "default") and leaf:
                devices.add(dev)
                return f"{prefix}{DEVICE_PLACEHOLDER}.{leaf}", dev
    return None


def capture_host(*, name: str, fresh_namespaces: bool, root: Path = PROC_SYS, probe: bool = False) -> dict[str, Any]:
    """Read the host's ``/proc/sys`` into a profile JSON object (never writes).

    Args:
        name: Profile name.
        fresh_namespaces: Also read the values of new ipc/net/uts/user namespaces (needs ``unshare``).
        root: The tree to read (``/proc/sys``).
        probe: Also measure the bounds of per-namespace integer entries by writing to them in
            throwaway namespaces (:mod:`fakeproc.profiles.probe`; root only).

    Returns:
        A dict that :func:`fakeproc.profiles.loader.profile_from_dict` accepts.

    Raises:
        ProbeUnavailable: ``probe`` was asked for where it cannot run safely.
    """
    if probe:
        reason = unavailable()
        if reason:
            raise ProbeUnavailable(f"capture --probe: {reason}")
    base = load_profile("6.18")
    base_rows = {row["key"]: row for row in profile_to_dict(base)["entries"]}
    files: dict[str, tuple[int, str | None]] = {}
    empty_dirs: list[str] = []
    for dirpath, dirs, names in os.walk(root):
        if not dirs and not names and Path(dirpath) != root:
            empty_dirs.append(str(Path(dirpath).relative_to(root)))  # a sysctl mount point (fs/binfmt_misc)
        for fname in names:
            path = Path(dirpath, fname)
            key = path_to_key(str(path.relative_to(root)))
            files[key] = (stat.S_IMODE(path.stat().st_mode), _read(path))
    fresh = read_fresh_namespace_values(root) if fresh_namespaces else None

    devices: set[str] = set()
    entries: dict[str, dict[str, Any]] = {}
    observed: dict[str, str] = {}  # concrete per-device key -> template
    for key in sorted(files):
        mode, value = files[key]
        split = _template(key, devices)
        entry_key = split[0] if split else key
        if split:
            observed[key] = entry_key
        if entry_key in entries:
            continue
        if entry_key in base_rows:
            row = dict(base_rows[entry_key])
            row["mode"] = f"{mode:04o}"
            row["provenance"] = row.get("provenance", "inferred")
            row.pop("default", None)
            row.pop("ns_default", None)
            if value:
                row["default"] = value
        else:
            row = infer_entry(entry_key, mode, value or "")
            if entry_key.startswith("net."):
                row["namespace"] = "net"
        if split and "device_source" not in row:
            row["creation"] = "copy_device_source"
            row["device_source"] = entry_key.replace(f".{DEVICE_PLACEHOLDER}.", ".default.")
        if fresh is not None and not split:
            fresh_value = fresh.get(key)
            if row.get("namespace") == "net" and key not in fresh:
                row["creation"] = "absent"
            elif row.get("creation", "compile_default") == "compile_default" and fresh_value is not None \
                    and fresh_value != (value or "") and row.get("namespace", "global") != "global":
                row["ns_default"] = fresh_value
        entries[entry_key] = row
    for row in entries.values():
        if row.get("device_source") in files and row["key"].count(DEVICE_PLACEHOLDER):
            row["default"] = files[row["device_source"]][1] or ""
    device_values: dict[str, dict[str, str]] = {}
    for key, template in observed.items():
        value = files[key][1]
        dev = key.split(".")[3]
        if value is not None and value != entries[template].get("default", ""):
            device_values.setdefault(dev, {})[key] = value
    ordered = sorted(devices, key=lambda d: (d != "lo", d))
    release = (files.get("kernel.osrelease", (0, None))[1] or platform.release())
    profile: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "name": name,
        "kernel_version": release,
        "description": f"captured from {platform.node() or 'a host'} (read-only)",
        "hz": base.hz,
        "user_hz": 100,
        "page_size": os.sysconf("SC_PAGE_SIZE"),
        "legacy": [],
        "constants": dict(base.constants),
        "directories": sorted(empty_dirs),
        "init_devices": ordered,
        "device_values": {d: dict(sorted(v.items())) for d, v in sorted(device_values.items())},
        "dropped": [],
        "entries": [entries[k] for k in sorted(entries)],
    }
    if probe:
        apply_probe(profile, probe_bounds(probeable_keys(profile)), release=release)
        profile["description"] += "; bounds probed in throwaway namespaces"
    return profile


def capture(*, output: str | None, name: str | None, fresh_namespaces: bool = True,
            probe: bool = False) -> CaptureResult:
    """``fakeproc capture``: read the host and optionally write the profile to ``output``."""
    profile = capture_host(name=name or platform.release(), fresh_namespaces=fresh_namespaces, probe=probe)
    if output:
        Path(output).write_text(json.dumps(profile, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    unreadable = tuple(e["key"] for e in profile["entries"] if "default" not in e)
    fresh = fresh_namespaces and any("ns_default" in e or e.get("creation") == "absent" for e in profile["entries"])
    return CaptureResult(profile=profile, path=output, entries=len(profile["entries"]),
                         unreadable=unreadable, fresh_namespaces=fresh)
