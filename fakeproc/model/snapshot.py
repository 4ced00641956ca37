"""A kernel's state as JSON, and back.

Values are encoded by type: a numeric vector as a list, a string as a
latin-1 string (every byte kept), a bitmap as an integer.

>>> from fakeproc.model.kernel import Kernel
>>> k = Kernel("6.18")
>>> _ = k.write("kernel.domainname", "example.org")
>>> Kernel.from_snapshot(k.snapshot()).read("kernel.domainname")
'example.org\\n'
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakeproc.errors import ProfileError
from fakeproc.handlers import Value
from fakeproc.model.namespaces import Namespace, NamespaceSet
from fakeproc.profiles import available_profiles, load_profile, profile_from_dict, profile_to_dict
from fakeproc.spec import NamespaceType

if TYPE_CHECKING:
    from fakeproc.model.kernel import Kernel

__all__ = ["SNAPSHOT_FORMAT", "dump", "load", "read", "save"]

SNAPSHOT_FORMAT = 1


def _encode(value: Value) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _decode(raw: Any) -> Value:
    if isinstance(raw, list):
        return tuple(int(v) for v in raw)
    if isinstance(raw, str):
        return raw.encode("latin-1")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise ValueError(f"bad stored value {raw!r}")


def _ns_dict(ns: Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ns.id,
        "type": ns.type.value,
        "parent": ns.parent.id if ns.parent else None,
        "owner": ns.owner.id if ns.owner else None,
        "label": ns.label,
        "values": {k: _encode(v) for k, v in sorted(ns.values.items())},
        "base": {k: _encode(v) for k, v in sorted(ns.base.items())},
    }
    if ns.type is NamespaceType.NET:
        out["devices"] = list(ns.devices)
    if ns.type is NamespaceType.USER:
        out["owner_uid"] = ns.owner_uid
        out["uid_map"] = [list(r) for r in ns.uid_map]
        out["gid_map"] = [list(r) for r in ns.gid_map]
    return out


def dump(kernel: Kernel) -> dict[str, Any]:
    """The JSON-able state of ``kernel``: profile, namespaces and their values, attachments."""
    profile = kernel.profile
    shipped = profile.name in available_profiles() and load_profile(profile.name) == profile
    return {
        "format": SNAPSHOT_FORMAT,
        "profile": profile.name if shipped else profile_to_dict(profile),
        "next_id": kernel._next_id,
        "global": kernel._global.id,
        "init": kernel.init_ns.ids(),
        "namespaces": [_ns_dict(ns) for ns in kernel._namespaces.values()],
        "attachments": kernel.attachments,
        "dmesg": list(kernel.dmesg)[-1000:],
    }


def load(cls: type[Kernel], data: dict[str, Any]) -> Kernel:
    """Rebuild a kernel from :func:`dump` output.

    Raises:
        ProfileError: malformed snapshot.
    """
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise ProfileError("not a fakeproc state snapshot (format mismatch)")
    try:
        raw_profile = data["profile"]
        profile = load_profile(raw_profile) if isinstance(raw_profile, str) else profile_from_dict(raw_profile)
        kernel = cls(profile)
        by_id: dict[int, Namespace] = {}
        rows = sorted(data["namespaces"], key=lambda r: r["id"])
        for row in rows:
            ns = Namespace(NamespaceType(row["type"]), int(row["id"]), None, None, row.get("label"))
            ns.values = {k: _decode(v) for k, v in row.get("values", {}).items()}
            ns.base = {k: _decode(v) for k, v in row.get("base", {}).items()}
            ns.devices = list(row.get("devices", []))
            if ns.type is NamespaceType.USER:
                ns.owner_uid = int(row.get("owner_uid", 0))
                ns.uid_map = tuple(tuple(r) for r in row.get("uid_map", [[0, 0, 2**32 - 1]]))
                ns.gid_map = tuple(tuple(r) for r in row.get("gid_map", [[0, 0, 2**32 - 1]]))
            by_id[ns.id] = ns
        for row in rows:
            ns = by_id[int(row["id"])]
            if row.get("parent") is not None:
                ns.parent = by_id[int(row["parent"])]
            if row.get("owner") is not None:
                ns.owner = by_id[int(row["owner"])]
        init = data["init"]
        kernel._namespaces = by_id
        kernel._global = by_id[int(data["global"])]
        kernel.init_ns = NamespaceSet(**{t: by_id[int(init[t])] for t in ("ipc", "net", "uts", "user")})
        kernel._next_id = int(data["next_id"])
        kernel.attachments = dict(data.get("attachments") or {})
        kernel.dmesg.clear()
        kernel.dmesg.extend(data.get("dmesg") or [])
        kernel._trees.clear()
    except (KeyError, TypeError, ValueError) as e:
        raise ProfileError(f"malformed state snapshot ({e!r})") from None
    return kernel


def save(kernel: Kernel, path: Path) -> None:
    """Write the snapshot atomically: temporary file in the same directory, fsync, rename."""
    data = json.dumps(kernel.snapshot(), sort_keys=True).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dirfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def read(path: Path) -> dict[str, Any]:
    """The snapshot stored at ``path``.

    Raises:
        ProfileError: unreadable or not JSON.
    """
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ProfileError(f"cannot read state file {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ProfileError(f"state file {path} is not valid JSON: {e}") from None
    return data
