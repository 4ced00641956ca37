"""A kernel's state as JSON, and back; state files on disk.

Values are encoded by their handler's kind, so that every value the model can
hold survives: a numeric vector as a list of integers, a string as a latin-1
string (every byte kept), a bitmap as ``{"bitmap": "<hex>"}`` (a 65,536-bit
``ip_local_reserved_ports`` is 16 KiB of hex; JSON integers above 4,300 digits
are refused by Python's ``json``).

Reading is strict: a file that is not a snapshot this fakeproc can hold raises
:class:`~fakeproc.errors.StateError` with one line saying what is wrong and
where, never another exception. Formats 1 (fakeproc before bitmaps were tagged)
and 2 (before pid namespaces) are migrated on load; a newer format is refused
with what to do.

>>> from fakeproc.model.kernel import Kernel
>>> k = Kernel("6.18")
>>> _ = k.write("net.ipv4.ip_local_reserved_ports", "20000")
>>> snap = k.snapshot()
>>> Kernel.from_snapshot(snap).read("net.ipv4.ip_local_reserved_ports")
'20000\\n'
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakeproc.errors import FakeprocError, StateError
from fakeproc.handlers import HANDLERS, Value
from fakeproc.model.namespaces import IDENTITY_MAP, IdMap, Namespace
from fakeproc.profiles import Profile, available_profiles, load_profile, profile_from_dict, profile_to_dict
from fakeproc.spec import DEVICE_PLACEHOLDER, NamespaceType, SysctlSpec

if TYPE_CHECKING:
    from fakeproc.model.kernel import Kernel

__all__ = ["SNAPSHOT_FORMAT", "dump", "load", "read", "save"]

#: Format written. 3: pid namespaces. 2: bitmaps as ``{"bitmap": hex}``, no pid namespaces (an
#: initial one is added on load). 1: bitmaps as JSON integers (migrated on load).
SNAPSHOT_FORMAT = 3
_READABLE_FORMATS = (1, 2, 3)
#: Largest element of a stored numeric vector (``ULONG_MAX``) and smallest (``LONG_MIN``).
_ELEMENT_MAX = 2**64 - 1
_ELEMENT_MIN = -(2**63)
#: Largest namespace id or count a state file may hold (keeps ids plain machine-size integers).
_ID_MAX = 2**63 - 1
#: Longest value string (every string handler's ``maxlen`` is far below it).
_STRING_MAX = 1 << 20
#: Largest bitmap, in hex digits (``proc_do_large_bitmap`` maps are 65,536 bits).
_BITMAP_HEX_MAX = 1 << 16


# ---------------------------------------------------------------------------------------- writing


def _encode(value: Value) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return {"bitmap": format(value, "x")}


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
        "next_id": kernel.next_namespace_id,
        "global": kernel.global_namespace.id,
        "init": kernel.init_ns.ids(),
        "namespaces": [_ns_dict(ns) for ns in kernel.namespaces()],
        "attachments": kernel.attachments,
        "dmesg": list(kernel.dmesg)[-1000:],
    }


# ---------------------------------------------------------------------------------------- reading


def _fail(message: str) -> StateError:
    """A :class:`StateError` whose message is one printable line of bounded length, whatever
    keys or text the file held."""
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return StateError(line if len(line) <= 400 else line[:397] + "...")


def _where(path: str, what: str) -> StateError:
    return _fail(f"{path}: {what}")


def _dict(raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _where(path, f"expected an object, found {_kind(raw)}")
    return raw


def _list(raw: Any, path: str) -> list[Any]:
    if not isinstance(raw, list):
        raise _where(path, f"expected a list, found {_kind(raw)}")
    return raw


def _int(raw: Any, path: str, low: int = 0, high: int = _ID_MAX) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise _where(path, f"expected an integer, found {_kind(raw)}")
    if not low <= raw <= high:
        raise _where(path, f"integer out of range [{low}, {high}]")
    return raw


def _str(raw: Any, path: str, limit: int = 4096) -> str:
    if not isinstance(raw, str):
        raise _where(path, f"expected a string, found {_kind(raw)}")
    if len(raw) > limit:
        raise _where(path, f"string longer than {limit} characters")
    return raw


def _kind(raw: Any) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int):
        return "an integer"
    if isinstance(raw, float):
        return "a number"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, dict):
        return "an object"
    return type(raw).__name__


class _Specs:
    """Finds the spec a stored key belongs to (per-device keys match their template)."""

    def __init__(self, profile: Profile) -> None:
        self._entries = profile.entries
        self._templates = profile.templates
        self._prefixes = sorted({s.key.split(DEVICE_PLACEHOLDER)[0] for s in profile.templates.values()})

    def find(self, key: str) -> SysctlSpec | None:
        spec = self._entries.get(key)
        if spec is not None and not spec.is_template:
            return spec
        for prefix in self._prefixes:
            if key.startswith(prefix):
                dev, sep, leaf = key[len(prefix):].partition(".")
                if sep and dev:
                    template = self._templates.get(f"{prefix}{DEVICE_PLACEHOLDER}.{leaf}")
                    if template is not None:
                        return template
        return None


def _value(raw: Any, spec: SysctlSpec, path: str, fmt: int) -> Value:
    """A stored value of ``spec`` from its JSON form, checked against its handler's kind."""
    kind = HANDLERS[spec.handler].kind
    if kind == "vector":
        items = _list(raw, path)
        return tuple(_int(v, f"{path}[{i}]", _ELEMENT_MIN, _ELEMENT_MAX) for i, v in enumerate(items))
    if kind == "string":
        text = _str(raw, path, _STRING_MAX)
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            raise _where(path, "string holds characters outside latin-1 (not written by fakeproc)") from None
    if fmt == 1 and isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            raise _where(path, "negative bitmap")
        return raw
    digits = _str(_dict(raw, path).get("bitmap"), f"{path}.bitmap", _BITMAP_HEX_MAX)
    if not digits or any(c not in "0123456789abcdef" for c in digits):
        raise _where(f"{path}.bitmap", "expected lower-case hexadecimal digits")
    return int(digits, 16)


def _values(raw: Any, specs: _Specs, path: str, fmt: int, type: NamespaceType) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key, item in _dict(raw, path).items():
        spec = specs.find(key)
        if spec is None:
            raise _where(f"{path}.{key}", "no such entry in the profile")
        if spec.namespace is not type:
            raise _where(f"{path}.{key}", f"a {spec.namespace.value} entry in a {type.value} namespace")
        out[key] = _value(item, spec, f"{path}.{key}", fmt)
    return out


def _idmap(raw: Any, path: str) -> IdMap:
    if raw is None:
        return IDENTITY_MAP
    rows = []
    for i, row in enumerate(_list(raw, path)):
        cells = _list(row, f"{path}[{i}]")
        if len(cells) != 3:
            raise _where(f"{path}[{i}]", "expected [first, lower, count]")
        first, lower, count = (_int(c, f"{path}[{i}][{j}]", 0, 2**32) for j, c in enumerate(cells))
        rows.append((first, lower, count))
    return tuple(rows)


def _profile(raw: Any) -> Profile:
    try:
        if isinstance(raw, str):
            return load_profile(raw)
        return profile_from_dict(_dict(raw, "profile"), "state file profile")
    except StateError:
        raise
    except FakeprocError as e:
        raise _fail(f"profile: {e}") from None
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as e:
        raise _fail(f"profile: malformed ({type(e).__name__})") from None


def _add_initial_pid_namespace(top: dict[str, Any], specs: _Specs) -> dict[str, Any]:
    """A format-2 snapshot as format 3 would hold it: an initial pid namespace (id 0, as a
    booted kernel numbers it, unless the file uses 0 already: then the next id) holding the values that were global before pid namespaces (``kernel.ns_last_pid``,
    ``vm.memfd_noexec``) when the profile now places them in a pid namespace.

    Malformed input is left as it is for the checks that follow to report."""
    init, next_id, rows = top.get("init"), top.get("next_id"), top.get("namespaces")
    if (not isinstance(init, dict) or "pid" in init or not isinstance(next_id, int) or isinstance(next_id, bool)
            or not isinstance(rows, list)):
        return top
    taken = any(isinstance(row, dict) and row.get("id") == 0 for row in rows)
    new_id = next_id if taken else 0
    new_row: dict[str, Any] = {"id": new_id, "type": NamespaceType.PID.value, "values": {}, "base": {}}
    migrated = []
    for row in rows:
        if isinstance(row, dict) and row.get("id") == top.get("global") and row.get("type") == "global":
            row = dict(row)
            for field in ("values", "base"):
                stored = row.get(field)
                if isinstance(stored, dict):
                    moved = {k: v for k, v in stored.items()
                             if (spec := specs.find(k)) is not None and spec.namespace is NamespaceType.PID}
                    row[field] = {k: v for k, v in stored.items() if k not in moved}
                    new_row[field] = moved
        migrated.append(row)
    return {**top, "init": {**init, "pid": new_id}, "next_id": next_id + 1 if taken else next_id,
            "namespaces": [new_row, *migrated] if not taken else [*migrated, new_row]}


def load(cls: type[Kernel], data: Any) -> Kernel:
    """Rebuild a kernel from :func:`dump` output (or a format-1 snapshot).

    Raises:
        StateError: not a snapshot, a newer format, or a field of the wrong type or range
            (the message names the field).
    """
    top = _dict(data, "snapshot")
    fmt = top.get("format")
    if fmt not in _READABLE_FORMATS or isinstance(fmt, bool):
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > SNAPSHOT_FORMAT:
            raise _fail(f"state format {fmt} was written by a newer fakeproc (this one reads "
                             f"formats up to {SNAPSHOT_FORMAT}); upgrade fakeproc or move the file away")
        raise _fail("not a fakeproc state snapshot (no known format number)")
    assert isinstance(fmt, int)
    raw_profile = top.get("profile")
    profile = _profile(raw_profile)
    if min(profile.hz, profile.user_hz, profile.page_size) <= 0:
        raise _fail("profile: hz, user_hz and page_size must be positive")
    try:
        kernel = cls(profile)
        if not isinstance(raw_profile, str):
            kernel.check_profile()  # every default parses: no later read fails on the profile
    except FakeprocError as e:
        raise _fail(f"profile: {e}") from None
    except (ValueError, TypeError, ArithmeticError, LookupError, AttributeError) as e:
        raise _fail(f"profile: its boot values cannot be set up ({type(e).__name__})") from None
    specs = _Specs(kernel.profile)
    if fmt < 3:
        top = _add_initial_pid_namespace(top, specs)
    by_id: dict[int, Namespace] = {}
    links: list[tuple[Namespace, int | None, int | None, str]] = []
    for i, row_raw in enumerate(_list(top.get("namespaces"), "namespaces")):
        where = f"namespaces[{i}]"
        row = _dict(row_raw, where)
        ns_id = _int(row.get("id"), f"{where}.id")
        if ns_id in by_id:
            raise _where(f"{where}.id", f"duplicate namespace id {ns_id}")
        try:
            ns_type = NamespaceType(_str(row.get("type"), f"{where}.type"))
        except ValueError:
            raise _where(f"{where}.type", "unknown namespace type") from None
        label = row.get("label")
        ns = Namespace(ns_type, ns_id, None, None, None if label is None else _str(label, f"{where}.label"))
        ns.values = _values(row.get("values", {}), specs, f"{where}.values", fmt, ns_type)
        ns.base = _values(row.get("base", {}), specs, f"{where}.base", fmt, ns_type)
        devices = _list(row.get("devices", []), f"{where}.devices")
        ns.devices = [_str(d, f"{where}.devices[{j}]", 15) for j, d in enumerate(devices)]
        if ns_type is NamespaceType.USER:
            ns.owner_uid = _int(row.get("owner_uid", 0), f"{where}.owner_uid", 0, 2**32 - 1)
            ns.uid_map = _idmap(row.get("uid_map"), f"{where}.uid_map")
            ns.gid_map = _idmap(row.get("gid_map"), f"{where}.gid_map")
        parent, owner = row.get("parent"), row.get("owner")
        links.append((ns,
                      None if parent is None else _int(parent, f"{where}.parent"),
                      None if owner is None else _int(owner, f"{where}.owner"), where))
        by_id[ns_id] = ns
    for ns, parent_id, owner_id, where in links:
        if parent_id is not None:
            parent = by_id.get(parent_id)
            if parent is None or parent.type is not ns.type:
                raise _where(f"{where}.parent", f"no {ns.type.value} namespace {parent_id}")
            ns.parent = parent
        if owner_id is not None:
            owner = by_id.get(owner_id)
            if owner is None or owner.type is not NamespaceType.USER:
                raise _where(f"{where}.owner", f"no user namespace {owner_id}")
            ns.owner = owner
    for ns, *_ in links:  # a parent chain must end at an initial namespace
        seen: set[int] = set()
        walk: Namespace | None = ns
        while walk is not None:
            if walk.id in seen:
                raise _fail(f"namespaces: namespace {ns.id} is its own ancestor")
            seen.add(walk.id)
            walk = walk.parent
    init_raw = _dict(top.get("init"), "init")
    init: dict[NamespaceType, Namespace] = {}
    for ns_type in kernel.init_ns.types():
        ns_id = _int(init_raw.get(ns_type.value), f"init.{ns_type.value}")
        member = by_id.get(ns_id)
        if member is None or member.type is not ns_type or not member.is_init:
            raise _where(f"init.{ns_type.value}", f"no initial {ns_type.value} namespace {ns_id}")
        init[ns_type] = member
    global_id = _int(top.get("global"), "global")
    global_ns = by_id.get(global_id)
    if global_ns is None or global_ns.type is not NamespaceType.GLOBAL:
        raise _where("global", f"no global namespace {global_id}")
    next_id = _int(top.get("next_id"), "next_id")
    if by_id and next_id <= max(by_id):
        raise _where("next_id", "not above every namespace id")
    attachments = _dict(top.get("attachments") or {}, "attachments")
    dmesg = [_str(line, f"dmesg[{i}]") for i, line in enumerate(_list(top.get("dmesg") or [], "dmesg"))]
    kernel.restore(list(by_id.values()), global_ns=global_ns, init=init, next_id=next_id,
                   attachments=attachments, dmesg=dmesg)
    return kernel


# ---------------------------------------------------------------------------------------- files


def encode(kernel: Kernel) -> bytes:
    """The snapshot of ``kernel`` as the bytes a state file holds.

    Raises:
        StateError: something in the state cannot be written as JSON (e.g. an attachment
            that is not plain data); nothing is written then.
    """
    try:
        return json.dumps(kernel.snapshot(), sort_keys=True).encode()
    except (TypeError, ValueError, RecursionError) as e:
        raise _fail(f"cannot save the kernel state: {e}") from None


def save(kernel: Kernel, path: Path) -> None:
    """Write the snapshot atomically: temporary file in the same directory, fsync, rename.

    A failure leaves the previous file as it was.

    Raises:
        StateError: the state cannot be encoded, or the file cannot be written (the message
            says why: no space, no permission...).
    """
    data = encode(kernel)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _fail(f"cannot save state file {path}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise _fail(f"cannot save state file {path}: {e.strerror} (the previous file is kept)") from None
        raise
    try:
        dirfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def decode(data: bytes, origin: str = "state") -> Any:
    """The JSON document in ``data``.

    Raises:
        StateError: not UTF-8, not JSON, numbers too long or nesting too deep.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fail(f"{origin} is not UTF-8 text (byte {e.start}); not a fakeproc state file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise _fail(f"{origin} is not valid JSON: {e}") from None
    except (ValueError, RecursionError) as e:  # 4,300-digit integers, deep nesting
        what = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise _fail(f"{origin} cannot be read: {what}") from None


def read(path: Path) -> Any:
    """The snapshot stored at ``path`` (not yet checked: :func:`load` does that).

    Raises:
        StateError: unreadable, not UTF-8 or not JSON.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise _fail(f"cannot read it: {e.strerror}") from None
    return decode(data, "the file")
