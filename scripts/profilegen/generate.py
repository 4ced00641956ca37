"""Generate fakeproc's shipped kernel profiles from captures and semantics tables.

Run from the repository root::

    .venv/bin/python scripts/profilegen/generate.py            # writes every profile
    .venv/bin/python scripts/profilegen/generate.py --check    # fails if a file would change

Inputs (all under ``scripts/profilegen/``):

* ``captures/<version>/``: raw measurements of a real kernel (``sysctl -a``, the
  modes of every file, the net file lists and values in the initial and in a
  fresh network namespace).
* ``semantics/*.yaml``: rows giving each key's handler, bounds, namespace and
  creation rule, with provenance. Read in sorted file order; an exact ``match``
  wins over patterns, and among patterns the first in order wins.
* ``versions/<name>.yaml``: one per profile. A captured profile names its
  capture, placeholder replacements and dropped keys; a derived profile
  (``base: 6.18``) lists removals and overrides that turn the base into an
  older kernel.

Output: ``fakeproc/profiles/data/<name>.json`` in the loader's format, entries
sorted by key, byte-for-byte deterministic.
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from fakeproc.profiles.machine import Machine, machine_defaults

__all__ = [
    "Captures",
    "SemanticsTable",
    "build_captured_profile",
    "build_derived_profile",
    "dump_profile",
    "generate_all",
    "infer_shape",
    "main",
]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA_DIR = ROOT / "fakeproc" / "profiles" / "data"

DEV = "<dev>"
#: Per-interface directories: (prefix of the key, the template it copies from).
DEVICE_FAMILIES = (
    ("net.ipv4.conf.", "net.ipv4.conf.default."),
    ("net.ipv6.conf.", "net.ipv6.conf.default."),
    ("net.ipv4.neigh.", "net.ipv4.neigh.default."),
    ("net.ipv6.neigh.", "net.ipv6.neigh.default."),
)
_NOT_DEVICES = {"all", "default"}
_INT_RE = re.compile(r"^-?\d+$")
_INT_MAX = 2**31 - 1
_INT_MIN = -(2**31)

#: Entry fields in SysctlSpec order (the order profile_to_dict writes).
ENTRY_FIELDS = (
    "key", "mode", "handler", "namespace", "default", "creation", "ns_default", "length",
    "maxlen", "min", "max", "device_source", "loopback_default", "provenance", "source",
    "registered_in", "child_mode", "alias_of", "on_write", "min_key", "max_key", "mode_if_capable",
    "init_user_ns_only",
)
#: Fields a semantics row may set on an entry.
ROW_FIELDS = (
    "handler", "namespace", "creation", "ns_default", "length", "maxlen", "min", "max",
    "loopback_default", "provenance", "source", "mode", "default", "registered_in", "child_mode", "alias_of", "on_write", "min_key", "max_key",
    "mode_if_capable", "init_user_ns_only",
)
#: SysctlSpec defaults: a field equal to its default is omitted from the JSON.
_DEFAULTS: dict[str, Any] = {
    "namespace": "global", "default": "", "creation": "compile_default", "ns_default": None,
    "length": 1, "maxlen": 0, "min": None, "max": None, "device_source": None,
    "loopback_default": None, "provenance": "inferred", "source": "",
    "registered_in": None, "child_mode": None, "alias_of": None, "on_write": None, "min_key": None, "max_key": None,
    "mode_if_capable": None, "init_user_ns_only": False,
}
_NUMERIC_HANDLERS_WITH_LENGTH = {
    "proc_dointvec", "proc_dointvec_minmax", "proc_dointvec_jiffies",
    "proc_dointvec_userhz_jiffies", "proc_dointvec_ms_jiffies", "proc_dointvec_ms_jiffies_minmax",
    "proc_doulongvec_minmax", "proc_doulongvec_ms_jiffies_minmax", "proc_ipc_sem_dointvec",
    "proc_dointvec_minmax_sysadmin", "proc_taint", "ipv4_local_port_range",
    "ipv4_ping_group_range",
}


# --------------------------------------------------------------------------- captures

def _path_to_key(path: str) -> str:
    rel = path.strip()
    rel = rel.removeprefix("/proc/sys/")
    return ".".join(part.replace(".", "/") for part in rel.strip("/").split("/") if part)


def _spaces_to_tabs(value: str) -> str:
    """Undo the capture's tab-to-space conversion for integer vectors."""
    parts = value.split()
    if len(parts) > 1 and all(_INT_RE.match(p) for p in parts):
        return "\t".join(parts)
    return value


@dataclass
class Captures:
    """The raw measurements of one real kernel.

    Attributes:
        modes: Octal mode of every file, by dotted key.
        values: ``sysctl -a`` values (multi-line values joined with ``\\n``).
        net_init_values: net values of the initial netns (tabs restored for vectors).
        net_new_files: keys of the files a fresh netns has.
        net_new_values: net values of a fresh netns (tabs restored for vectors).
    """

    modes: dict[str, int]
    values: dict[str, str]
    net_init_values: dict[str, str]
    net_new_files: set[str]
    net_new_values: dict[str, str]

    @classmethod
    def load(cls, directory: Path) -> Captures:
        """Read a capture directory (see ``captures/6.18``)."""
        modes: dict[str, int] = {}
        for line in _lines(directory, "proc-sys-modes-*.txt"):
            mode, path = line.split(" ", 1)
            modes[_path_to_key(path)] = int(mode, 8)
        values: dict[str, str] = {}
        for line in _lines(directory, "sysctl-a-*.txt"):
            m = re.match(r"^(\S+) = ?(.*)$", line)
            if not m:
                raise SystemExit(f"unparsable sysctl -a line: {line!r}")
            key, value = m.group(1), m.group(2)
            # sysctl -a prints one "key = line" per line of a multi-line value (kernel.core_modes).
            values[key] = f"{values[key]}\n{value}" if key in values else value
        return cls(
            modes=modes,
            values=values,
            net_init_values=_value_file(directory / "netns-init-values.txt"),
            net_new_files={_path_to_key(p) for p in _lines(directory, "netns-new-files.txt")},
            net_new_values=_value_file(directory / "netns-new-values.txt"),
        )

    def boot_value(self, key: str) -> str:
        """A key's value in the initial namespaces ("" if it cannot be read)."""
        if key in self.values:
            return self.values[key]
        return self.net_init_values.get(key, "")


def _lines(directory: Path, pattern: str) -> list[str]:
    files = sorted(directory.glob(pattern))
    if len(files) != 1:
        raise SystemExit(f"{directory}: expected one {pattern}, found {len(files)}")
    return [line for line in files[0].read_text(encoding="utf-8").split("\n") if line.strip()]


def _value_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        path_part, _, value = line.partition("=")
        value = "" if value == "<unreadable>" else value
        out[_path_to_key(path_part)] = _spaces_to_tabs(value)
    return out


# --------------------------------------------------------------------------- semantics

@dataclass
class SemanticsTable:
    """The semantics rows: exact matches and ordered patterns."""

    exact: dict[str, dict[str, Any]] = field(default_factory=dict)
    patterns: list[dict[str, Any]] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, directory: Path) -> SemanticsTable:
        """Read ``*.yaml`` in sorted order."""
        table = cls()
        for path in sorted(directory.glob("*.yaml")):
            rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            for row in rows:
                if "match" not in row:
                    raise SystemExit(f"{path.name}: row without match: {row!r}")
                unknown = set(row) - set(ROW_FIELDS) - {"match", "note"}
                if unknown:
                    raise SystemExit(f"{path.name}: {row['match']}: unknown fields {sorted(unknown)}")
                row = dict(row, _file=path.name)
                if any(c in row["match"] for c in "*?["):
                    table.patterns.append(row)
                elif row["match"] in table.exact:
                    raise SystemExit(f"{path.name}: duplicate exact row {row['match']}")
                else:
                    table.exact[row["match"]] = row
        return table

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The row for ``key``: exact first, then the first matching pattern."""
        if key in self.exact:
            self.used.add(id(self.exact[key]))
            return self.exact[key]
        for row in self.patterns:
            if fnmatch.fnmatchcase(key, row["match"]):
                self.used.add(id(row))
                return row
        return None

    def unused(self) -> list[str]:
        """Rows that matched no key (typos, or keys of other kernels)."""
        rows = list(self.exact.values()) + self.patterns
        return [f"{r['_file']}: {r['match']}" for r in rows if id(r) not in self.used]


def infer_shape(value: str, mode: int) -> dict[str, Any]:
    """Handler arguments guessed from a value: integer vector or string.

    Integers that do not fit an int make it an unsigned-long vector; anything
    else is a string whose buffer holds the value (at least 64 bytes if writable).
    """
    tokens = value.split("\t")
    if value and all(_INT_RE.match(t) for t in tokens):
        ints = [int(t) for t in tokens]
        wide = any(i > _INT_MAX or i < _INT_MIN for i in ints)
        return {"handler": "proc_doulongvec_minmax" if wide else "proc_dointvec", "length": len(tokens)}
    size = len(value.encode()) + 1
    if mode & 0o222:
        size = max(size, 64)
    return {"handler": "proc_dostring", "maxlen": size}


# --------------------------------------------------------------------------- building

def _device_split(key: str, devices: set[str]) -> tuple[str, str, str] | None:
    """``(template_key, device, device_source)`` for a per-interface key."""
    for prefix, source_prefix in DEVICE_FAMILIES:
        if key.startswith(prefix):
            dev, _, leaf = key[len(prefix):].partition(".")
            if dev in devices and dev not in _NOT_DEVICES and leaf:
                return f"{prefix}{DEV}.{leaf}", dev, f"{source_prefix}{leaf}"
    return None


def _instantiate(template: str, dev: str) -> str:
    return template.replace(DEV, dev.replace(".", "/"))


def build_captured_profile(meta: dict[str, Any], table: SemanticsTable) -> tuple[dict[str, Any], dict[str, int]]:
    """Build a profile from a capture plus semantics rows.

    Returns:
        The profile JSON object and statistics (inferred keys, provenance counts).
    """
    caps = Captures.load(HERE / "captures" / str(meta["capture"]))
    dropped = {d["key"]: d["reason"] for d in meta.get("dropped", [])}
    replacements: dict[str, str] = {k: str(v) for k, v in (meta.get("replacements") or {}).items()}
    devices = list(meta["init_devices"])
    missing = sorted(set(dropped) - set(caps.modes))
    if missing:
        raise SystemExit(f"dropped keys not in the capture: {missing}")

    values = {k: replacements.get(k, caps.boot_value(k)) for k in caps.modes}
    entries: dict[str, dict[str, Any]] = {}
    per_device: dict[str, dict[str, str]] = {}  # template -> dev -> observed value
    template_source: dict[str, str] = {}
    inferred: list[str] = []

    for key in sorted(caps.modes):
        if key in dropped:
            continue
        split = _device_split(key, set(devices))
        if split:
            template, dev, source = split
            per_device.setdefault(template, {})[dev] = values[key]
            template_source[template] = source
            prev = entries.get(template)
            if prev is not None:
                if prev["mode"] != caps.modes[key]:
                    raise SystemExit(f"{template}: modes differ between devices")
                continue
            key_for_entry = template
        else:
            key_for_entry = key
        entry: dict[str, Any] = {"key": key_for_entry, "mode": caps.modes[key]}
        row = table.lookup(key_for_entry)
        value = values[key]
        if row is None:
            entry.update(infer_shape(values.get(template_source.get(key_for_entry, key), value), caps.modes[key]))
            entry["provenance"] = "inferred"
            entry["source"] = f"inferred from the value's shape (capture {meta['capture']})"
            inferred.append(key_for_entry)
        else:
            entry.update({k: v for k, v in row.items() if k in ROW_FIELDS and k != "default"})
        if key_for_entry.startswith("net.") and entry.get("namespace") == "global":
            # One global value in a per-netns table (netns_core_table): the row says so.
            entry["registered_in"] = "net"
            if key not in caps.net_new_files:
                entry["creation"] = "absent"  # registered with &init_net only (capture)
        elif key_for_entry.startswith("net."):
            entry["namespace"] = "net"
            if split:
                entry["creation"] = "copy_device_source"
                entry["device_source"] = template_source[key_for_entry]
            elif key not in caps.net_new_files:
                entry["creation"] = "absent"  # registered with &init_net only (capture)
            entry.setdefault("creation", "compile_default")
        entry["default"] = values[template_source[key_for_entry]] if split else value
        if row is not None and "default" in row and not entry["default"]:
            entry["default"] = str(row["default"])  # unreadable file (0200): the row gives the initial value
        entries[key_for_entry] = entry

    # Per-device facts: what lo gets in a fresh netns, and boot values that differ.
    device_values: dict[str, dict[str, str]] = {}
    for template, observed in per_device.items():
        entry = entries[template]
        source = template_source[template]
        fresh_lo = caps.net_new_values.get(_instantiate(template, "lo"))
        fresh_src = caps.net_new_values.get(source, values[source])
        if "loopback_default" not in entry and fresh_lo is not None and fresh_lo != fresh_src:
            entry["loopback_default"] = fresh_lo
        for dev in devices:
            copied = entry.get("loopback_default") if dev == "lo" and entry.get("loopback_default") is not None \
                else entry["default"]
            if dev in observed and observed[dev] != copied:
                device_values.setdefault(dev, {})[_instantiate(template, dev)] = observed[dev]

    # A fresh netns value that differs from the boot value (and no row said so): observed ns_default.
    for key, entry in entries.items():
        if entry.get("creation") == "compile_default" and entry.get("namespace") == "net" \
                and "ns_default" not in entry and key in caps.net_new_values \
                and caps.net_new_values[key] != entry["default"]:
            entry["ns_default"] = caps.net_new_values[key]

    for entry in entries.values():
        _fill_length(entry)
    profile = {
        "format": 1,
        "name": str(meta["name"]),
        "kernel_version": str(meta["kernel_version"]),
        "description": str(meta.get("description", "")).strip(),
        "hz": int(meta.get("hz", 250)),
        "user_hz": int(meta.get("user_hz", 100)),
        "page_size": int(meta.get("page_size", 4096)),
        "legacy": sorted(meta.get("legacy") or []),
        "constants": dict(sorted((meta.get("constants") or {}).items())),
        "directories": sorted(meta.get("directories") or []),
        "init_devices": devices,
        "device_values": {d: dict(sorted(v.items())) for d, v in sorted(device_values.items(),
                                                                         key=lambda kv: devices.index(kv[0]))},
        "dropped": [{"key": k, "reason": dropped[k]} for k in sorted(dropped)],
        "entries": [_normalise(entries[k]) for k in sorted(entries)],
    }
    stats = {"inferred_keys": len(inferred)}
    return profile, stats


def _fill_length(entry: dict[str, Any]) -> None:
    """Vector length of numeric handlers, from the default when the row does not say."""
    if entry["handler"] in _NUMERIC_HANDLERS_WITH_LENGTH and "length" not in entry:
        value = entry.get("default", "")
        entry["length"] = len(value.split("\t")) if value else 1


def _normalise(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ENTRY_FIELDS:
        if name not in entry:
            if name in ("key", "mode", "handler"):
                raise SystemExit(f"entry {entry.get('key')!r} lacks {name}")
            continue
        value = entry[name]
        if name == "mode":
            value = f"{int(value):04o}"
        elif name == "child_mode" and value is not None:
            value = f"{int(value, 8) if isinstance(value, str) else int(value):04o}"
        elif name == "mode_if_capable" and value is not None:
            cap, mode = value
            value = [cap, f"{int(mode, 8) if isinstance(mode, str) else int(mode):04o}"]
        elif name in ("ns_default", "loopback_default", "default") and value is not None:
            value = str(value)
        if name not in ("key", "mode", "handler") and _DEFAULTS.get(name) == value:
            continue
        out[name] = value
    return out


def build_derived_profile(meta: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Apply a version difference table (``versions/4.15.yaml``) to a base profile."""
    profile = copy.deepcopy(base)
    for name in ("name", "kernel_version", "description", "hz", "user_hz", "page_size", "legacy"):
        if name in meta:
            profile[name] = sorted(meta[name]) if name == "legacy" else meta[name]
    if "directories" in meta:  # empty directories (sysctl mount points) the derived kernel has instead
        profile["directories"] = sorted(meta["directories"])
    if "constants" in meta:  # a derived profile states the constants that differ from its base
        profile["constants"] = dict(sorted({**profile.get("constants", {}), **meta["constants"]}.items()))
    profile["description"] = str(profile["description"]).strip()
    profile["dropped"] = [dict(d) for d in meta.get("dropped", [])]
    entries = {e["key"]: e for e in profile["entries"]}

    removed: set[str] = set()
    for rule in meta.get("remove", []):
        hits = [k for k in entries if fnmatch.fnmatchcase(k, rule["match"])]
        if not hits:
            raise SystemExit(f"{meta['name']}: remove {rule['match']} matches nothing")
        removed.update(hits)
    for key in removed:
        del entries[key]

    handler_map: dict[str, dict[str, str]] = meta.get("handler_map", {})
    creation_map: dict[str, str] = meta.get("creation_map", {})
    for entry in entries.values():
        if entry.get("creation") in creation_map:
            entry["creation"] = creation_map[entry["creation"]]
        rule = handler_map.get(entry["handler"])
        if rule:
            bounded = "min" in entry or "max" in entry
            entry["handler"] = rule["bounded" if bounded else "unbounded"]
            entry["source"] = f"{entry.get('source', '')}; {rule['note']}".lstrip("; ")

    touched: set[str] = set()
    for rule in meta.get("override", []):
        hits = [k for k in entries if fnmatch.fnmatchcase(k, rule["match"])]
        if not hits:
            raise SystemExit(f"{meta['name']}: override {rule['match']} matches nothing")
        touched.update(hits)
        for key in hits:
            entry = entries[key]
            for name, value in rule.items():
                if name in ("match", "note"):
                    continue
                if name not in ENTRY_FIELDS:
                    raise SystemExit(f"override {rule['match']}: unknown field {name}")
                if value is None:
                    entry.pop(name, None)
                elif name == "mode":
                    entry[name] = f"{int(str(value), 8):04o}"
                else:
                    entry[name] = value
    # Rows kept from the base name the trees whose ctl_table entry was compared (ctlscan.py) and found equal;
    # the differences are the override rows.
    compared = meta.get("compared_with")
    if compared:
        for key, entry in entries.items():
            if key not in touched:
                source = entry.get("source", "")
                marker = "; table entry same in: "
                entry["source"] = f"{source}, {compared}" if marker in source else f"{source}{marker}{compared}"
    for rule in meta.get("add", []):
        if rule["key"] in entries:
            raise SystemExit(f"add {rule['key']}: already present")
        entries[rule["key"]] = dict(rule)

    device_values = {}
    for dev, vals in profile["device_values"].items():
        kept = {k: v for k, v in vals.items() if _template_of(k, dev) in entries}
        for rule in meta.get("device_values_override", []):
            if rule["device"] == dev:
                kept.update(rule["values"])
        if kept:
            device_values[dev] = dict(sorted(kept.items()))
    profile["device_values"] = device_values
    profile["entries"] = [_normalise(_with_int_mode(entries[k])) for k in sorted(entries)]
    return profile


def _template_of(key: str, dev: str) -> str:
    return key.replace(f".{dev.replace('.', '/')}.", f".{DEV}.", 1)


def _with_int_mode(entry: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    if isinstance(out["mode"], str):
        out["mode"] = int(out["mode"], 8)
    return out


# --------------------------------------------------------------------------- machine model

def _version(text: str) -> tuple[int, int]:
    major, minor = (re.findall(r"\d+", text) + ["0", "0"])[:2]
    return int(major), int(minor)


def apply_machine_model(profile: dict[str, Any], model: dict[str, Any], *, captured: bool) -> None:
    """Give ``profile`` its machine formulas (``machine.yaml`` rules for its version), the
    reference machine, and the defaults the formulas compute for it.

    A captured profile's captured values must equal the formulas' output (they are what the
    reference machine was solved from); a derived profile takes the computed values.
    """
    version = _version(str(profile["kernel_version"]))
    entries = {e["key"]: e for e in profile["entries"]}
    formulas: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in sorted(entries):
        for rule in model["rules"]:
            if not any(fnmatch.fnmatchcase(key, pat) for pat in rule["keys"]):
                continue
            if "since" in rule and version < _version(str(rule["since"])):
                continue
            if "before" in rule and version >= _version(str(rule["before"])):
                continue
            formulas[key], sources[key] = rule["formula"], rule["source"]
            break
    constants = {**profile.get("constants", {}), **model["constants"]}
    machine = Machine.from_dict(model["reference"], "machine.yaml")
    computed = machine_defaults(formulas, machine, int(profile["page_size"]), constants)
    wrong = []
    for key, fields_ in computed.items():
        entry = entries[key]
        for name, value in fields_.items():
            if captured and entry.get(name, _DEFAULTS.get(name)) != value:
                wrong.append(f"{key} {name}: captured {entry.get(name)!r}, formula {formulas[key]} gives {value!r}")
            entry[name] = value
        note = f"default: {sources[key]}"
        if note not in entry.get("source", ""):
            entry["source"] = f"{entry['source']}; {note}" if entry.get("source") else note
    if wrong:
        raise SystemExit(f"{profile['name']}: machine formulas disagree with the capture:\n  " + "\n  ".join(wrong))
    head = {k: v for k, v in profile.items() if k not in ("entries", "machine", "machine_formulas")}
    head["constants"] = dict(sorted(constants.items()))
    head["machine"] = machine.to_dict()
    head["machine_formulas"] = dict(sorted(formulas.items()))
    entries_list = profile["entries"]
    profile.clear()
    profile.update(head)
    profile["entries"] = entries_list


# --------------------------------------------------------------------------- output

def dump_profile(profile: dict[str, Any]) -> str:
    """Serialise deterministically: one entry per line, keys in a fixed order."""
    head = {k: v for k, v in profile.items() if k != "entries"}
    lines = ["{"]
    for name, value in head.items():
        lines.append(f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False, sort_keys=False)},")
    lines.append('  "entries": [')
    rows = [f"    {json.dumps(e, ensure_ascii=False)}" for e in profile["entries"]]
    lines.append(",\n".join(rows))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _provenance_counts(profile: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in profile["entries"]:
        p = e.get("provenance", "inferred")
        counts[p] = counts.get(p, 0) + 1
    return dict(sorted(counts.items()))


def generate_all(out_dir: Path = DATA_DIR, *, check: bool = False, verbose: bool = True) -> dict[str, str]:
    """Build every profile of ``versions/``; write (or, with ``check``, compare) the JSON files.

    Returns:
        The serialised profiles by name.
    """
    metas = {}
    for path in sorted((HERE / "versions").glob("*.yaml")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
        metas[str(meta["name"])] = meta
    table = SemanticsTable.load(HERE / "semantics")
    built: dict[str, dict[str, Any]] = {}
    for name, meta in metas.items():
        if "capture" in meta:
            built[name], stats = build_captured_profile(meta, table)
            if verbose:
                print(f"{name}: {stats['inferred_keys']} keys matched no semantics row (inferred from shape)")
    # Derived profiles may chain (6.12 from 6.18, 6.8 from 6.12, ubuntu-24.04 from 6.8): build each once its base is.
    pending = {name: meta for name, meta in metas.items() if "base" in meta}
    while pending:
        ready = [name for name, meta in pending.items() if str(meta["base"]) in built]
        if not ready:
            raise SystemExit(f"derived profiles with a missing or circular base: {sorted(pending)}")
        for name in ready:
            meta = pending.pop(name)
            built[name] = build_derived_profile(meta, built[str(meta["base"])])
    model = yaml.safe_load((HERE / "machine.yaml").read_text(encoding="utf-8"))
    for name, profile in built.items():
        apply_machine_model(profile, model, captured="capture" in metas[name])
    if verbose:
        for row in table.unused():
            print(f"unused semantics row: {row}")
    texts = {}
    stale = []
    for name in sorted(built):
        text = dump_profile(built[name])
        texts[name] = text
        target = out_dir / f"{name}.json"
        if verbose:
            p = built[name]
            print(f"{name}: {len(p['entries'])} entries, {len(p['dropped'])} dropped, "
                  f"provenance {_provenance_counts(p)}")
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
        else:
            out_dir.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    if stale:
        raise SystemExit(f"out of date: {', '.join(stale)}")
    return texts


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a data file would change")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output directory")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    generate_all(args.out, check=args.check, verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
