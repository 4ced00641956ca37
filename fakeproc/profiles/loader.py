"""Reading and writing profile files (schema version 1).

The file format, one JSON object::

    {
      "format": 1,
      "name": "6.18",                      # what --kernel accepts
      "kernel_version": "6.18.44",         # kernel.osrelease-like version string
      "description": "...",
      "hz": 250, "user_hz": 100, "page_size": 4096,
      "legacy": [],                        # names from fakeproc.handlers.LEGACY_BEHAVIOURS
      "init_devices": ["lo", "eth0"],      # network devices of the initial netns, in order
      "device_values": {"eth0": {"net.ipv4.conf.eth0.rp_filter": "2"}},  # boot values that differ
                                           # from what the device copied from its device_source
      "dropped": [{"key": "...", "reason": "..."}],   # keys of the captured kernel left out
      "entries": [{"key": "kernel.sem", "mode": "0644", "handler": "proc_ipc_sem_dointvec",
                   "namespace": "ipc", "default": "32000\\t1024000000\\t500\\t32000",
                   "creation": "compile_default", "length": 4, "min": 0, "max": 32768,
                   "provenance": "source", "source": "ipc/ipc_sysctl.c"}, ...]
    }

Entry fields map one to one onto :class:`fakeproc.spec.SysctlSpec`; omitted
fields take the dataclass defaults. Bounds may be lists (per element).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fakeproc.errors import ProfileError
from fakeproc.profiles.machine import Machine, apply_machine
from fakeproc.spec import DEVICE_PLACEHOLDER, CreationRule, NamespaceType, Provenance, SysctlSpec

__all__ = [
    "FORMAT_VERSION",
    "Profile",
    "available_profiles",
    "default_profile_name",
    "load_profile",
    "profile_from_dict",
    "profile_to_dict",
]

FORMAT_VERSION = 1
_DEFAULT_PROFILE = "6.18"


@dataclass(frozen=True)
class Profile:
    """Everything fakeproc knows about one kernel version.

    Attributes:
        name: Profile name (``6.18``, ``4.15`` or a capture's name).
        kernel_version: Version string of the kernel it describes.
        hz: CONFIG_HZ; jiffies handlers depend on it.
        user_hz: USER_HZ.
        page_size: PAGE_SIZE.
        legacy: Older-kernel handler behaviours this kernel has.
        init_devices: Network devices of the initial net namespace.
        device_values: Per-device boot values differing from the copied defaults.
        dropped: Keys of the described kernel that the profile leaves out, with why.
        entries: Specs by dotted key (templates keyed with ``<dev>``).
        description: Free text.
        constants: Compile-time constants of the described kernel that handlers use
            (``TAINT_FLAGS_COUNT``) or machine formulas divide by (``THREAD_SIZE``), by
            their kernel names.
        directories: Directories the kernel registers with no file in them, as ``/proc/sys``-relative
            paths: sysctl mount points such as ``fs/binfmt_misc`` (``register_sysctl_mount_point``).
        machine: The machine the machine-derived defaults are computed for (the
            reference machine of a shipped profile); None for a capture, whose
            defaults are its host's.
        machine_formulas: For each machine-derived key, the name of its formula in
            :data:`fakeproc.profiles.machine.FORMULAS`.
    """

    name: str
    kernel_version: str
    hz: int
    user_hz: int
    page_size: int
    legacy: frozenset[str]
    init_devices: tuple[str, ...]
    device_values: dict[str, dict[str, str]]
    dropped: tuple[tuple[str, str], ...]
    entries: dict[str, SysctlSpec]
    description: str = ""
    templates: dict[str, SysctlSpec] = field(default_factory=dict, compare=False)
    constants: dict[str, int] = field(default_factory=dict)
    directories: tuple[str, ...] = ()
    machine: Machine | None = None
    machine_formulas: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.templates.update({k: s for k, s in self.entries.items() if s.is_template})

    @property
    def version_tuple(self) -> tuple[int, int]:
        """(major, minor) of :attr:`kernel_version`."""
        parts = self.kernel_version.split(".")
        try:
            return int(parts[0]), int(parts[1].split("-")[0])
        except (IndexError, ValueError):
            return (0, 0)

    def spec(self, key: str) -> SysctlSpec:
        """The spec of a plain key or of a template key (``<dev>``); ``KeyError`` if unknown."""
        return self.entries[key]


def available_profiles() -> list[str]:
    """Names of the profiles shipped with fakeproc."""
    data = resources.files("fakeproc.profiles") / "data"
    return sorted(p.name[: -len(".json")] for p in data.iterdir() if p.name.endswith(".json"))


def default_profile_name() -> str:
    """The profile used when none is named."""
    return _DEFAULT_PROFILE


def load_profile(name_or_path: str | Path | None = None, *, machine: Machine | str | None = None) -> Profile:
    """Load a shipped profile by name, or a profile file by path.

    Args:
        name_or_path: A shipped profile name or a profile file (default: 6.18).
        machine: Boot it on this machine (``"mem=8G,cpus=4"`` or a :class:`Machine`):
            the machine-derived defaults are recomputed by the profile's formulas.

    Raises:
        ProfileError: unknown name, unreadable file or invalid content.
        UsageError: a malformed ``machine``, or one given for a profile without a machine model.
    """
    profile = _load_cached(str(name_or_path or _DEFAULT_PROFILE))
    return profile if machine is None else apply_machine(profile, machine)


@lru_cache(maxsize=16)
def _load_cached(name_or_path: str) -> Profile:
    path = Path(name_or_path)
    if path.suffix == ".json" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ProfileError(f"cannot read profile {name_or_path}: {e.strerror}") from None
    else:
        resource = resources.files("fakeproc.profiles") / "data" / f"{name_or_path}.json"
        if not resource.is_file():
            known = ", ".join(available_profiles())
            raise ProfileError(f"unknown kernel profile {name_or_path!r} (shipped: {known}; or give a file path)")
        text = resource.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProfileError(f"profile {name_or_path} is not valid JSON: {e}") from None
    return profile_from_dict(data, origin=name_or_path)


_ENUMS: dict[str, type] = {
    "namespace": NamespaceType,
    "registered_in": NamespaceType,
    "creation": CreationRule,
    "provenance": Provenance,
}
_SPEC_FIELDS = {f.name for f in fields(SysctlSpec)}


def _spec_from_dict(row: dict[str, Any], origin: str) -> SysctlSpec:
    kwargs: dict[str, Any] = {}
    for name, raw in row.items():
        if name not in _SPEC_FIELDS:
            raise ProfileError(f"{origin}: entry {row.get('key')!r} has unknown field {name!r}")
        if name in _ENUMS:
            try:
                kwargs[name] = _ENUMS[name](raw)
            except ValueError:
                raise ProfileError(f"{origin}: entry {row.get('key')!r}: bad {name} {raw!r}") from None
        elif name in ("mode", "child_mode"):
            kwargs[name] = None if raw is None else int(raw, 8) if isinstance(raw, str) else int(raw)
        elif name in ("min", "max") and isinstance(raw, list):
            kwargs[name] = tuple(raw)
        elif name == "mode_if_capable" and raw is not None:
            if not (isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str) and isinstance(raw[1], str)):
                raise ProfileError(f"{origin}: entry {row.get('key')!r}: mode_if_capable must be [CAPABILITY, MODE]")
            kwargs[name] = (raw[0], int(raw[1], 8))
        else:
            kwargs[name] = raw
    if "key" not in kwargs or "mode" not in kwargs or "handler" not in kwargs:
        raise ProfileError(f"{origin}: entry {row!r} lacks key, mode or handler")
    return SysctlSpec(**kwargs)


def profile_from_dict(data: dict[str, Any], origin: str = "<dict>") -> Profile:
    """Build a :class:`Profile` from its JSON object.

    Raises:
        ProfileError: wrong format version, missing fields, unknown handler names.
    """
    if data.get("format") != FORMAT_VERSION:
        raise ProfileError(f"{origin}: unsupported profile format {data.get('format')!r} (expected {FORMAT_VERSION})")
    try:
        entries = {}
        for row in data["entries"]:
            spec = _spec_from_dict(row, origin)
            entries[spec.key] = spec
        profile = Profile(
            name=str(data["name"]),
            kernel_version=str(data.get("kernel_version", data["name"])),
            hz=int(data.get("hz", 250)),
            user_hz=int(data.get("user_hz", 100)),
            page_size=int(data.get("page_size", 4096)),
            legacy=frozenset(data.get("legacy", ())),
            init_devices=tuple(data.get("init_devices", ("lo",))),
            device_values={d: dict(v) for d, v in data.get("device_values", {}).items()},
            dropped=tuple((d["key"], d.get("reason", "")) for d in data.get("dropped", ())),
            entries=entries,
            description=str(data.get("description", "")),
            constants={str(k): int(v) for k, v in data.get("constants", {}).items()},
            directories=tuple(str(d).strip("/") for d in data.get("directories", ())),
            machine=Machine.from_dict(data["machine"], origin) if data.get("machine") else None,
            machine_formulas={str(k): str(v) for k, v in data.get("machine_formulas", {}).items()},
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ProfileError(f"{origin}: malformed profile ({e!r})") from None
    from fakeproc.handlers import HANDLERS  # the handler table is the schema's vocabulary

    unknown = sorted({s.handler for s in entries.values()} - set(HANDLERS))
    if unknown:
        raise ProfileError(f"{origin}: unknown handlers {', '.join(unknown)}")
    bad_alias = sorted(s.key for s in entries.values()
                       if any(ref and ref not in entries for ref in (s.alias_of, s.min_key, s.max_key)))
    if bad_alias:
        raise ProfileError(f"{origin}: alias_of, min_key or max_key names a missing entry in {', '.join(bad_alias)}")
    if profile.machine_formulas and profile.machine is None:
        raise ProfileError(f"{origin}: machine_formulas without a machine")
    missing = sorted(set(profile.machine_formulas) - set(entries))
    if missing:
        raise ProfileError(f"{origin}: machine_formulas name missing entries: {', '.join(missing)}")
    if any(s.is_template and s.key.count(DEVICE_PLACEHOLDER) != 1 for s in entries.values()):
        raise ProfileError(f"{origin}: template keys must contain {DEVICE_PLACEHOLDER} exactly once")
    return profile


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The JSON object of ``profile`` (inverse of :func:`profile_from_dict`)."""
    defaults = {f.name: f.default for f in fields(SysctlSpec) if f.default is not f.default_factory}
    rows = []
    for spec in profile.entries.values():
        row: dict[str, Any] = {}
        for f in fields(SysctlSpec):
            if f.name == "extra":
                continue
            value = getattr(spec, f.name)
            if f.name not in ("key", "mode", "handler") and defaults.get(f.name) == value:
                continue
            if f.name in ("mode", "child_mode"):
                value = f"{value:04o}"
            elif f.name == "mode_if_capable":
                value = [value[0], f"{value[1]:04o}"]
            elif isinstance(value, (NamespaceType, CreationRule, Provenance)):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            row[f.name] = value
        rows.append(row)
    return {
        "format": FORMAT_VERSION,
        "name": profile.name,
        "kernel_version": profile.kernel_version,
        "description": profile.description,
        "hz": profile.hz,
        "user_hz": profile.user_hz,
        "page_size": profile.page_size,
        "legacy": sorted(profile.legacy),
        "init_devices": list(profile.init_devices),
        "device_values": profile.device_values,
        "dropped": [{"key": k, "reason": r} for k, r in profile.dropped],
        "constants": dict(sorted(profile.constants.items())),
        "directories": list(profile.directories),
        **({"machine": profile.machine.to_dict()} if profile.machine is not None else {}),
        **({"machine_formulas": dict(sorted(profile.machine_formulas.items()))} if profile.machine_formulas else {}),
        "entries": rows,
    }
