"""What changes between two kernel profiles (``fakeproc diff A B``).

Each side is a shipped profile name (``5.15``, ``ubuntu-24.04``) or a profile
file (a ``fakeproc capture``). The answer lists the keys added and removed and,
for keys in both, the changes of boot default, new-namespace default, bounds,
mode, handler and namespace, grouped by subsystem (``kernel``, ``vm``,
``net.ipv4``...).

>>> d = diff_profiles("5.15", "6.8")
>>> "kernel.io_uring_disabled" in [e.key for e in d.subsystems["kernel"].added]
True
>>> d.subsystems["net.core"].changed_keys()["net.core.optmem_max"]["default"]
('20480', '131072')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeproc.errors import ProfileError, UsageError
from fakeproc.profiles.loader import Profile, load_profile
from fakeproc.spec import SysctlSpec

__all__ = ["COMPARED_FIELDS", "Change", "ProfileDiff", "SubsystemDiff", "diff_profiles", "subsystem_of"]

#: Fields compared for keys present on both sides, in the order they are shown.
COMPARED_FIELDS = ("default", "ns_default", "min", "max", "min_key", "max_key", "mode", "handler", "namespace", "creation")
_LABELS = {
    "default": "default", "ns_default": "new-namespace default", "min": "min", "max": "max",
    "min_key": "min follows", "max_key": "max follows",
    "mode": "mode", "handler": "handler", "namespace": "namespace", "creation": "new namespace",
}


def subsystem_of(key: str) -> str:
    """The group a key is shown under: the first component, two for ``net.*`` (``net.ipv4``)."""
    parts = key.split(".")
    return ".".join(parts[:2]) if parts[0] == "net" and len(parts) > 2 else parts[0]


def _field(spec: SysctlSpec, name: str) -> Any:
    value = getattr(spec, name)
    if name == "mode":
        return f"{value:04o}"
    if name in ("namespace", "creation"):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class Change:
    """One key on one side: what it is (added/removed) or what changed (changed)."""

    key: str
    fields: dict[str, Any]

    def data(self) -> dict[str, Any]:
        return {"key": self.key, **self.fields}


@dataclass
class SubsystemDiff:
    """Added, removed and changed keys of one subsystem."""

    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    def changed_keys(self) -> dict[str, dict[str, tuple[Any, Any]]]:
        """``key -> field -> (old, new)`` for the changed keys."""
        return {c.key: dict(c.fields) for c in self.changed}


@dataclass
class ProfileDiff:
    """The difference between profile ``old`` and profile ``new``."""

    old: Profile
    new: Profile
    header: dict[str, tuple[Any, Any]]
    subsystems: dict[str, SubsystemDiff]

    def counts(self) -> dict[str, int]:
        """Totals over every subsystem."""
        return {
            "added": sum(len(s.added) for s in self.subsystems.values()),
            "removed": sum(len(s.removed) for s in self.subsystems.values()),
            "changed": sum(len(s.changed) for s in self.subsystems.values()),
        }

    def data(self) -> dict[str, Any]:
        """The JSON form (``fakeproc diff --json``)."""
        return {
            "from": {"name": self.old.name, "kernel_version": self.old.kernel_version, "keys": len(self.old.entries)},
            "to": {"name": self.new.name, "kernel_version": self.new.kernel_version, "keys": len(self.new.entries)},
            "profile": {k: {"from": _jsonable(a), "to": _jsonable(b)} for k, (a, b) in self.header.items()},
            "counts": self.counts(),
            "subsystems": {
                name: {
                    "added": [c.data() for c in s.added],
                    "removed": [c.data() for c in s.removed],
                    "changed": [{"key": c.key, "changes": {f: {"from": _jsonable(a), "to": _jsonable(b)}
                                                           for f, (a, b) in c.fields.items()}} for c in s.changed],
                }
                for name, s in self.subsystems.items()
            },
        }

    def text(self) -> str:
        """The terminal report."""
        c = self.counts()
        title = (
            f"{self.old.name} ({self.old.kernel_version}) -> {self.new.name} ({self.new.kernel_version}): "
            f"{len(self.old.entries)} -> {len(self.new.entries)} keys; "
            f"{c['added']} added, {c['removed']} removed, {c['changed']} changed"
        )
        lines = [title]
        for name, (a, b) in self.header.items():
            lines.append(f"  {name}: {_show(a)} -> {_show(b)}")
        for name, s in self.subsystems.items():
            lines.append("")
            lines.append(f"[{name}] {len(s.added)} added, {len(s.removed)} removed, {len(s.changed)} changed")
            for ch in s.added:
                lines.append(f"  + {ch.key} = {_show(ch.fields['default'])}  ({_describe(ch.fields)})")
            for ch in s.removed:
                lines.append(f"  - {ch.key}  (was {_show(ch.fields['default'])})")
            for ch in s.changed:
                parts = [f"{_LABELS[f]} {_show(a)} -> {_show(b)}" for f, (a, b) in ch.fields.items()]
                lines.append(f"  ~ {ch.key}: " + "; ".join(parts))
        return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    return sorted(value) if isinstance(value, (set, frozenset)) else value


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, (set, frozenset)):
        return "[" + ", ".join(sorted(value)) + "]"
    if isinstance(value, str):
        if value == "" or value != value.strip() or "\n" in value:  # one line per change, always
            return repr(value)
        return value.replace("\t", " ")
    return str(value)


def _describe(fields: dict[str, Any]) -> str:
    bounds = ""
    if fields.get("min") is not None or fields.get("max") is not None:
        bounds = f" [{_show(fields.get('min'))}, {_show(fields.get('max'))}]"
    ns = "" if fields["namespace"] == "global" else f", per {fields['namespace']} namespace"
    return f"{fields['mode']}, {fields['handler']}{bounds}{ns}"


def _load(name_or_path: str) -> Profile:
    try:
        return load_profile(name_or_path)
    except ProfileError as e:
        raise UsageError(str(e)) from None


def diff_profiles(old: str | Profile, new: str | Profile) -> ProfileDiff:
    """Compare two profiles (names, files or loaded profiles).

    Raises:
        UsageError: a side is not a shipped profile and not a readable profile file.
    """
    a = old if isinstance(old, Profile) else _load(old)
    b = new if isinstance(new, Profile) else _load(new)
    header: dict[str, tuple[Any, Any]] = {}
    for name in ("kernel_version", "hz", "user_hz", "page_size", "legacy", "init_devices"):
        va, vb = getattr(a, name), getattr(b, name)
        if va != vb:
            header[name] = (va, vb)
    groups: dict[str, SubsystemDiff] = {}

    def group(key: str) -> SubsystemDiff:
        return groups.setdefault(subsystem_of(key), SubsystemDiff())

    for key in sorted(set(a.entries) | set(b.entries)):
        sa, sb = a.entries.get(key), b.entries.get(key)
        if sa is None and sb is not None:
            group(key).added.append(Change(key, {f: _field(sb, f) for f in COMPARED_FIELDS}))
        elif sb is None and sa is not None:
            group(key).removed.append(Change(key, {f: _field(sa, f) for f in COMPARED_FIELDS}))
        elif sa is not None and sb is not None:
            changes = {f: (_field(sa, f), _field(sb, f)) for f in COMPARED_FIELDS if _field(sa, f) != _field(sb, f)}
            if changes:
                group(key).changed.append(Change(key, changes))
    return ProfileDiff(old=a, new=b, header=header, subsystems=dict(sorted(groups.items())))
