"""Strategies for sysctl.conf documents and sysctl.d layouts, with what each tool makes of them."""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from fakeproc.profiles import Profile
from fakeproc.spec import (
    DEVICE_PLACEHOLDER,
    SysctlSpec,
    key_to_path,
)
from fakeproc.sysctlconf import DIALECTS, ParsedConf, PlannedWrite, parse, plan, system_order
from fakeproc.testing._versions import resolve_dialect
from fakeproc.testing.strategies._common import check_sizes, check_type, defines_strategy, resolve_profile
from fakeproc.testing.strategies._domains import has_domain
from fakeproc.testing.strategies.names import instantiate, select_specs
from fakeproc.testing.strategies.values import valid_values

__all__ = ["ConfDocument", "ConfLayout", "sysctl_conf_documents", "sysctl_d_layouts"]

# ----------------------------------------------------------------------------- sysctl.conf documents


@dataclass(frozen=True)
class ConfDocument:
    """A generated sysctl.conf / sysctl.d document and what each tool makes of it.

    Attributes:
        text: The document.
        keys: The existing keys the expectations were computed against (a profile's
            boot keys); globs expand against them.
        features: What the generator put in (``"crlf"``, ``"inline_hash"``,
            ``"ignore_failure"``, ``"glob"``, ``"exclusion"``, ``"duplicate"``,
            ``"vlan"``, ``"semicolon_comment"``, ...), to label examples.
        filename: The name diagnostics use.
        devices: Network devices beyond the profile's boot devices that the
            expectations assume (``eth0.100`` with the ``vlan`` feature); give them
            to the kernel the document is applied to with :meth:`prepare`.
    """

    text: str
    keys: tuple[str, ...] = field(repr=False)
    features: frozenset[str] = frozenset()
    filename: str = field(default="/etc/sysctl.conf", repr=False)
    devices: tuple[str, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return f"ConfDocument(text={self.text!r}, features={sorted(self.features)!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # Hypothesis's failure report
        p.text(repr(self))

    def prepare(self, kernel: Any, ns: Any = None) -> None:
        """Create the devices this document assumes (:attr:`devices`) in ``kernel``
        (a :class:`~fakeproc.Kernel` or a mount handle), in ``ns``'s net namespace
        (default: the initial one); devices it has already are left alone."""
        add_devices(kernel, self.devices, ns)

    def parsed(self, dialect: str = "procps") -> ParsedConf:
        """The document as ``dialect`` parses it (a tool name means its installed release,
        see :func:`fakeproc.testing.apply_conf`)."""
        return parse(self.text, resolve_dialect(dialect), filename=self.filename)

    def writes(self, dialect: str = "procps") -> list[PlannedWrite]:
        """What ``sysctl -p`` (procps), ``sysctl --system`` (the same writes) or
        ``systemd-sysctl`` would write, in order."""
        return plan(self.parsed(dialect), self.keys)

    def applied(self, dialect: str = "procps") -> list[tuple[str, str]]:
        """``(dotted key, value)`` of :meth:`writes`, in order."""
        return [(w.key, w.value) for w in self.writes(dialect)]

    def final(self, dialect: str = "procps") -> dict[str, str]:
        """The last value written to each key (what a read shows afterwards, modulo
        the kernel's formatting)."""
        return dict(self.applied(dialect))


def add_devices(kernel: Any, names: Iterable[str], ns: Any = None) -> None:
    """Add the network devices ``names`` that ``kernel`` (or a mount handle's kernel) lacks
    to ``ns``'s net namespace (default: the initial one)."""
    k = getattr(kernel, "kernel", kernel)
    target = k.init_ns if ns is None else ns
    for name in names:
        if name not in target.net.devices:
            k.add_device(target, name)


#: The generator features :func:`sysctl_conf_documents` knows.
_FEATURES = frozenset({"assignment", "comment", "semicolon_comment", "blank", "whitespace", "inline_hash",
                       "ignore_failure", "glob", "exclusion", "duplicate", "invalid_line", "crlf", "slash", "vlan",
                       "no_final_newline"})


BOOT_KEYS: dict[int, tuple[Profile, tuple[str, ...]]] = {}


def boot_keys(profile: Profile) -> tuple[str, ...]:
    """The keys of a freshly booted kernel of ``profile`` (cached per profile object)."""
    hit = BOOT_KEYS.get(id(profile))
    if hit is None or hit[0] is not profile:
        from fakeproc.model import Kernel

        hit = BOOT_KEYS[id(profile)] = (profile, tuple(Kernel(profile).keys()))
    return hit[1]


def conf_value(spec: SysctlSpec, prof: Profile) -> SearchStrategy[str]:
    if has_domain(spec.handler):
        return valid_values(spec, profile=prof).filter(lambda v: "\n" not in v and v == v.strip())
    return st.just(spec.default.split("\n")[0].strip() or "0")


@defines_strategy
def sysctl_conf_documents(*, profile: str | Profile | None = None, min_size: int = 0, max_size: int = 12,
                          features: Iterable[str] | None = None,
                          devices: Sequence[str] | None = None) -> SearchStrategy[ConfDocument]:
    """Returns a strategy which generates sysctl.conf / sysctl.d documents with
    what procps ``sysctl -p``, ``sysctl --system`` and ``systemd-sysctl`` apply.

    Lines mix assignments (dotted or slash keys, VLAN interfaces, valid values
    that may contain spaces or tabs), ``#`` and ``;`` comments (also indented),
    blank and whitespace-only lines, whitespace around ``=``, values with an
    inline ``#`` (which is part of the value), ``-`` prefixes, globs with
    ``-key`` exclusions, duplicate keys, lines without ``=``, and CRLF or a
    missing final newline. Each document's expectations come from
    :mod:`fakeproc.sysctlconf` evaluated against the profile's boot keys.

    Args:
        profile: Keys and values come from this profile.
        min_size, max_size: Number of lines.
        features: Restrict the generator to these features (default: all). Known:
            ``assignment`` (always on), ``comment``, ``semicolon_comment``, ``blank``,
            ``whitespace``, ``inline_hash``, ``ignore_failure``, ``glob``,
            ``exclusion``, ``duplicate``, ``invalid_line``, ``crlf``, ``slash``,
            ``vlan``, ``no_final_newline``.
        devices: Interface names for per-device keys (default: the profile's boot
            devices plus, with ``vlan``, a VLAN device that the expectations assume
            exists: ``eth0.100``).

    Examples shrink towards short documents of plain ``key = value`` lines.
    """
    prof = resolve_profile(profile)
    check_sizes(min_size, max_size)
    feats = _FEATURES if features is None else frozenset(features) | {"assignment"}
    if features is not None:
        if isinstance(features, str):
            raise InvalidArgument(f"features={features!r} must be a collection of names, not one string")
        unknown = sorted(set(features) - _FEATURES)
        if unknown:
            raise InvalidArgument(f"features={sorted(features)!r}: unknown {unknown} (known: {sorted(_FEATURES)})")
    if devices is not None and (isinstance(devices, str) or not all(isinstance(x, str) for x in devices)):
        raise InvalidArgument(f"devices={devices!r} must be a sequence of interface names")
    devs = list(devices) if devices is not None else list(prof.init_devices)
    if "vlan" in feats and devices is None:
        devs.append("eth0.100")
    extra_devices = tuple(d for d in devs if d not in prof.init_devices)
    boot = set(boot_keys(prof))
    keys = set(boot)
    specs = [s for s in select_specs(prof, None, True, None) if s.handler != "proc_taint"]
    for spec in specs:
        if spec.is_template:
            keys.update(instantiate(spec, dv) for dv in devs)
    all_keys = tuple(sorted(keys))
    plain = [s for s in specs if not s.is_template and s.key in boot]
    templ = [s for s in specs if s.is_template]

    # Strings keep an inline "#" (numbers stop at the first token), so they are the entries
    # where an inline "#" tells parsers apart.
    strings = [s for s in plain if "string" in s.handler]

    @st.composite
    def key_and_value(draw: Any, prefer_string: bool = False) -> tuple[str, str, SysctlSpec, set[str]]:
        used: set[str] = set()
        if prefer_string and strings:
            spec = draw(st.sampled_from(strings))
            key = spec.key
        elif templ and devs and draw(st.booleans()):
            spec = draw(st.sampled_from(templ))
            dev = draw(st.sampled_from(devs))
            if "." in dev:
                used.add("vlan")
            key = instantiate(spec, dev)
        else:
            spec = draw(st.sampled_from(plain))
            key = spec.key
        if "slash" in feats and draw(st.booleans()):
            key = key_to_path(key)
            used.add("slash")
        return key, draw(conf_value(spec, prof)), spec, used

    ws = st.sampled_from(["", " ", "  ", "\t"])

    @st.composite
    def line(draw: Any, earlier: list[tuple[str, str]]) -> tuple[str, set[str], tuple[str, str] | None]:
        kinds = ["assignment"] + sorted(k for k in ("comment", "semicolon_comment", "blank", "glob", "exclusion",
                                                     "invalid_line", "duplicate") if k in feats)
        if "duplicate" in kinds and not earlier:
            kinds.remove("duplicate")
        kind = draw(st.sampled_from(kinds))
        if kind == "comment":
            return draw(ws) + "#" + draw(st.text(string.ascii_letters + " =.", max_size=12)), {"comment"}, None
        if kind == "semicolon_comment":
            return draw(ws) + ";" + draw(st.text(string.ascii_letters + " =.", max_size=12)), {"semicolon_comment"}, None
        if kind == "blank":
            return draw(st.sampled_from(["", " ", "\t", "  \t"])), {"blank"}, None
        if kind == "invalid_line":
            return draw(st.text(string.ascii_lowercase + ".", min_size=2, max_size=12)), {"invalid_line"}, None
        if kind in ("glob", "exclusion") and templ:
            spec = draw(st.sampled_from(templ))
            glob_key = spec.key.replace(DEVICE_PLACEHOLDER, "*")
            if kind == "glob":
                return f"{glob_key} = {draw(conf_value(spec, prof))}", {"glob"}, None
            dev = draw(st.sampled_from(devs))
            return "-" + instantiate(spec, dev), {"exclusion"}, None
        if kind == "duplicate":
            key, _ = draw(st.sampled_from(earlier))
            spec_key = key
            value = draw(st.sampled_from(["0", "1", "2"]))
            return f"{spec_key} = {value}", {"duplicate"}, (key, value)
        hashed = "inline_hash" in feats and draw(st.integers(0, 3)) == 0
        key, value, spec, used = draw(key_and_value(prefer_string=hashed and draw(st.booleans())))
        prefix = ""
        if "ignore_failure" in feats and draw(st.booleans()):
            prefix = "-"
            used.add("ignore_failure")
        if hashed:
            value = value + " # " + draw(st.text(string.ascii_letters, max_size=6))
            used.add("inline_hash")
        if "whitespace" in feats:
            text = draw(ws) + prefix + key + draw(ws) + "=" + draw(ws) + value + draw(ws)
            used.add("whitespace")
        else:
            text = f"{prefix}{key} = {value}"
        return text, used, (key, value)

    @st.composite
    def documents(draw: Any) -> ConfDocument:
        n = draw(st.integers(min_size, max_size))
        lines: list[str] = []
        used: set[str] = set()
        earlier: list[tuple[str, str]] = []
        for _ in range(n):
            text, u, kv = draw(line(earlier))
            lines.append(text)
            used |= u
            if kv is not None:
                earlier.append(kv)
        eol = "\n"
        if "crlf" in feats and draw(st.booleans()):
            eol = "\r\n"
            used.add("crlf")
        text = eol.join(lines)
        if lines and not ("no_final_newline" in feats and draw(st.booleans())):
            text += eol
        elif lines:
            used.add("no_final_newline")
        return ConfDocument(text, all_keys, frozenset(used), devices=extra_devices)

    return documents()




@dataclass(frozen=True)
class ConfLayout:
    """Configuration directories for ``--system``, with what each tool reads and applies.

    Attributes:
        files: ``{directory: {file name: document text}}``, highest precedence first.
        keys: The existing keys the expectations were computed against.
        etc_sysctl_conf: Text of ``/etc/sysctl.conf``, if the layout has one (procps
            reads it last; systemd-sysctl never reads it).
        devices: Network devices beyond the boot ones that the expectations assume.
    """

    files: dict[str, dict[str, str]]
    keys: tuple[str, ...] = field(repr=False)
    etc_sysctl_conf: str | None = None
    devices: tuple[str, ...] = field(default=(), repr=False)

    def prepare(self, kernel: Any, ns: Any = None) -> None:
        """Create the devices the layout's documents assume (see :meth:`ConfDocument.prepare`)."""
        add_devices(kernel, self.devices, ns)

    def __repr__(self) -> str:
        return f"ConfLayout(files={self.files!r}, etc_sysctl_conf={self.etc_sysctl_conf!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def order(self, dialect: str = "procps") -> list[str]:
        """The paths read, in order."""
        dialect = resolve_dialect(dialect)
        return [f.path for f in system_order({d: list(n) for d, n in self.files.items()}, dialect,
                                             etc_sysctl_conf=self.etc_sysctl_conf is not None)]

    def parsed(self, dialect: str = "procps") -> list[ParsedConf]:
        """Each file read, parsed, in reading order."""
        texts = {f"{d.rstrip('/')}/{n}": t for d, names in self.files.items() for n, t in names.items()}
        if self.etc_sysctl_conf is not None:
            texts["/etc/sysctl.conf"] = self.etc_sysctl_conf
        return [parse(texts[p], resolve_dialect(dialect), filename=p) for p in self.order(dialect)]

    def writes(self, dialect: str = "procps") -> list[PlannedWrite]:
        """What ``sysctl --system`` (procps) or ``systemd-sysctl`` writes, in order."""
        return plan(self.parsed(dialect), self.keys, dialect=resolve_dialect(dialect))

    def applied(self, dialect: str = "procps") -> list[tuple[str, str]]:
        """``(dotted key, value)`` of :meth:`writes`."""
        return [(w.key, w.value) for w in self.writes(dialect)]


@defines_strategy
def sysctl_d_layouts(*, profile: str | Profile | None = None, dialect: str = "procps", max_files: int = 6,
                     documents: SearchStrategy[ConfDocument] | None = None) -> SearchStrategy[ConfLayout]:
    """Returns a strategy which generates sysctl.d directory trees for ``--system``.

    File names repeat across directories (so higher directories shadow lower
    ones), include names that sort in surprising byte order (``10-a.conf``,
    ``9-b.conf``, ``Z.conf``), non-``.conf`` files that are never read, and for
    procps sometimes ``/etc/sysctl.conf``.

    Args:
        profile: Profile the documents come from.
        dialect: Which tool's directory list to use (``procps`` has ``/lib/sysctl.d``).
        max_files: Total number of files at most.
        documents: Strategy for file contents (default :func:`sysctl_conf_documents`
            with up to 4 lines).

    Examples shrink towards a single file in ``/etc/sysctl.d``.
    """
    from fakeproc.sysctlconf import system_dirs

    prof = resolve_profile(profile)
    try:
        dialect = resolve_dialect(dialect)
    except (ValueError, TypeError):
        raise InvalidArgument(f"dialect={dialect!r} must be procps, systemd or one of {', '.join(DIALECTS)}") from None
    check_type(int, max_files, "max_files")
    if max_files < 1:
        raise InvalidArgument(f"max_files={max_files!r} must be at least 1")
    if documents is not None and not isinstance(documents, SearchStrategy):
        raise InvalidArgument(f"documents={documents!r} must be a strategy of ConfDocument")
    docs = documents if documents is not None else sysctl_conf_documents(profile=prof, max_size=4)
    dirs = list(system_dirs(dialect))
    names = st.sampled_from(["50-default.conf", "99-sysctl.conf", "10-a.conf", "9-b.conf", "Z.conf",
                             "a.conf", "notes.txt", "90-net.conf"])

    @st.composite
    def layouts(draw: Any) -> ConfLayout:
        n = draw(st.integers(1, max_files))
        files: dict[str, dict[str, str]] = {}
        keys: tuple[str, ...] = ()
        devices: dict[str, None] = {}
        for _ in range(n):
            d = draw(st.sampled_from(dirs))
            doc = draw(docs)
            keys = doc.keys
            devices.update(dict.fromkeys(doc.devices))
            files.setdefault(d, {})[draw(names)] = doc.text
        ordered = {d: files[d] for d in dirs if d in files}
        etc = None
        if dialect == "procps" and draw(st.booleans()):
            doc = draw(docs)
            etc, keys = doc.text, doc.keys
            devices.update(dict.fromkeys(doc.devices))
        return ConfLayout(ordered, keys or boot_keys(prof), etc, tuple(devices))

    return layouts()


