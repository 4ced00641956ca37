"""What the tools write, in order (``plan``), and what happens when they do (``apply``)."""

from __future__ import annotations

import errno as errno_mod
import os
import posixpath
import stat as stat_mod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from fakeproc.spec import key_to_path, path_to_key
from fakeproc.sysctlconf._model import PROCPS_RULES, ParsedConf, ProcpsRules, Setting, check_dialect, family

if TYPE_CHECKING:  # pragma: no cover
    from fakeproc.model import Kernel

__all__ = ["ApplyReport", "PlannedWrite", "WriteOutcome", "apply", "plan"]

_GLOB = "*?["


@dataclass(frozen=True)
class PlannedWrite:
    """One write a tool would attempt.

    Attributes:
        path: The ``/proc/sys``-relative path it opens (a glob already expanded).
        value: The value; the tool writes ``value + "\\n"`` in one ``write(2)``.
        ignore_failure: The setting had the ``-`` prefix.
        setting: The line it comes from.
    """

    path: str
    value: str
    ignore_failure: bool
    setting: Setting

    @property
    def key(self) -> str:
        """The canonical dotted key (VLAN dots shown as ``/``)."""
        return path_to_key(self.path)

    @property
    def data(self) -> bytes:
        """The bytes of the single ``write(2)``: the value and a newline."""
        return (self.value + "\n").encode("utf-8", "surrogateescape")


class _Tree:
    """Directory tree of existing paths, for glob expansion the way ``glob(3)`` walks it."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.root: dict[str, Any] = {}
        for p in paths:
            node = self.root
            for part in p.split("/"):
                node = node.setdefault(part, {})

    def expand(self, pattern: str) -> list[str]:
        parts = [p for p in pattern.split("/") if p]
        out: list[str] = []

        def walk(node: dict[str, Any], i: int, prefix: list[str]) -> None:
            if i == len(parts):
                out.append("/".join(prefix))
                return
            part = parts[i]
            names = sorted(node, key=lambda n: n.encode("utf-8", "surrogateescape"))
            if not any(c in part for c in _GLOB):
                names = [part] if part in node else []
            for name in names:
                if fnmatchcase(name, part) if any(c in part for c in _GLOB) else True:
                    walk(node[name], i + 1, prefix + [name])

        walk(self.root, 0, [])
        return out


def _as_docs(docs: ParsedConf | Sequence[ParsedConf]) -> list[ParsedConf]:
    return [docs] if isinstance(docs, ParsedConf) else list(docs)


def plan(docs: ParsedConf | Sequence[ParsedConf], keys: Iterable[str] = (), *,
         dialect: str | None = None) -> list[PlannedWrite]:
    """The writes a tool attempts for parsed documents, in order.

    Args:
        docs: One parsed document, or several in the order the tool reads them
            (``system_files`` order for ``--system``).
        keys: The dotted keys that exist (``Kernel.keys(ns)``); globs expand against
            them and the directories they imply.
        dialect: Defaults to the documents' dialect.

    procps writes every line in order with no de-duplication; a glob match is
    skipped if any line (in any file) names that path explicitly or an exclusion
    pattern matches it (``fnmatch``; before 4.0.5 only an exclusion equal to the path). systemd keeps one assignment per path (a
    different later value replaces the earlier one and moves to the end; an
    identical one only merges the ``-`` flag), skips glob matches that have any
    entry of their own (exclusions match exactly, not as patterns), and writes a
    glob that matches nothing literally (``GLOB_NOCHECK``).

    >>> from fakeproc.sysctlconf import parse
    >>> doc = parse("net.ipv4.conf.*.rp_filter = 2\\n-net.ipv4.conf.all.rp_filter\\n")
    >>> [w.key for w in plan(doc, ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.eth0/100.rp_filter"])]
    ['net.ipv4.conf.eth0/100.rp_filter']
    """
    parsed = _as_docs(docs)
    if dialect is None:
        dialect = parsed[0].dialect if parsed else "procps"
    check_dialect(dialect)
    tree = _Tree(key_to_path(k) for k in keys)
    settings = [s for d in parsed for s in d.settings]
    out: list[PlannedWrite] = []
    if family(dialect) == "procps":
        globbed = PROCPS_RULES[dialect].glob_excludes

        def claimed(path: str) -> bool:
            return any(n.path == path or (globbed and n.value is None and fnmatchcase(path, n.path))
                       for n in settings)

        for s in settings:
            if s.value is None:
                continue
            if s.is_glob:
                for m in sorted(tree.expand(s.path), key=lambda p: p.encode("utf-8", "surrogateescape")):
                    if not claimed(m):
                        out.append(PlannedWrite(m, s.value, s.ignore_failure, s))
            else:
                out.append(PlannedWrite(s.path, s.value, s.ignore_failure, s))
        return out
    options: dict[str, list[Any]] = {}
    for s in settings:
        existing = options.get(s.path)
        if existing is not None:
            if existing[0] == s.value:
                existing[1] = existing[1] or s.ignore_failure
                continue
            del options[s.path]
        options[s.path] = [s.value, s.ignore_failure, s]
    for path, (value, ignore, s) in options.items():
        if value is None:
            continue
        if any(c in path for c in _GLOB):
            matches = tree.expand(path) or [path]
            for m in matches:
                if m not in options:
                    out.append(PlannedWrite(m, value, ignore, s))
        else:
            out.append(PlannedWrite(path, value, ignore, s))
    return out


@dataclass(frozen=True)
class WriteOutcome:
    """What one planned write did.

    Attributes:
        write: The planned write.
        status: ``"written"``, ``"unchanged"`` (systemd read the same value and did not
            write), ``"failed"`` (counts against the exit status) or ``"ignored"``
            (failed, but the tool carries on without failing).
        errno: 0, or the errno the tool saw.
        message: The line the tool prints or logs about it, if any.
    """

    write: PlannedWrite
    status: str
    errno: int = 0
    message: str | None = None


@dataclass(frozen=True)
class ApplyReport:
    """The result of :func:`apply`.

    Attributes:
        outcomes: One per planned write, in order.
        stdout: Lines the tool prints on stdout (procps echoes ``key = value``).
        stderr: Diagnostics, parse errors first (systemd logs to stderr when run by hand).
        exit_status: The tool's exit status.
    """

    outcomes: tuple[WriteOutcome, ...]
    stdout: tuple[str, ...] = ()
    stderr: tuple[str, ...] = ()
    exit_status: int = 0
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def written(self) -> list[PlannedWrite]:
        """The writes that went through."""
        return [o.write for o in self.outcomes if o.status == "written"]


def _dotted(path: str) -> str:
    """procps ``slashdot(p, '/', '.')`` for display."""
    i = min((path.find(c) for c in "./" if c in path), default=-1)
    if i < 0 or path[i] == ".":
        return path
    return path.translate(str.maketrans("./", "/."))


def apply(kernel: Kernel, docs: ParsedConf | Sequence[ParsedConf], dialect: str | None = None, *,
          ns: Any = None, caller: Any = None, system: bool = False, ignore_errors: bool = False,
          quiet: bool = False, strict: bool = False) -> ApplyReport:
    """Run the documents against ``kernel`` the way the tool does, writing through the model.

    Args:
        kernel: The kernel to write to. Pass ``kernel.copy()`` to keep it unchanged.
        docs: Parsed documents in reading order.
        dialect: Defaults to the documents' dialect.
        ns: The namespace set the tool runs in.
        caller: The caller (``fakeproc.model.permissions.Caller``); root by default.
        system: procps ``--system``: print ``* Applying FILE ...`` per document and
            ignore unknown keys (``IgnoreError``).
        ignore_errors: procps ``-e``.
        quiet: procps ``-q`` (no ``key = value`` echo).
        strict: systemd ``--strict``.

    Returns:
        An :class:`ApplyReport`. procps messages and exit status follow the
        dialect's release (:data:`~fakeproc.sysctlconf.PROCPS_RULES`): from 4.0.6 a key
        without write permission is an error (exit status 1); before, a warning.
    """
    parsed = _as_docs(docs)
    if dialect is None:
        dialect = parsed[0].dialect if parsed else "procps"
    check_dialect(dialect)
    kw: dict[str, Any] = {"ns": ns} if caller is None else {"ns": ns, "caller": caller}
    writes = plan(parsed, kernel.keys(ns), dialect=dialect)
    stdout: list[str] = []
    stderr: list[str] = [e.message for d in parsed for e in d.errors]
    outcomes: list[WriteOutcome] = []
    if family(dialect) == "procps":
        rules = PROCPS_RULES[dialect]
        ignore_errors = ignore_errors or system
        if system and not quiet:
            stdout.extend(f"* Applying {d.file} ..." for d in parsed)
        rc = 0
        for w in writes:
            o = _procps_write(kernel, w, kw, ignore_errors, rules)
            outcomes.append(o)
            if o.message:
                stderr.append(o.message)
            if o.status == "failed":
                rc = 1
            if o.status == "written" and not quiet:
                stdout.append(f"{_dotted(w.path)} = {w.value}")
        return ApplyReport(tuple(outcomes), tuple(stdout), tuple(stderr), rc)
    rc = 1 if any(d.errors for d in parsed) else 0
    for w in writes:
        o = _systemd_write(kernel, w, kw, strict)
        outcomes.append(o)
        if o.message:
            stderr.append(o.message)
        if o.status == "failed":
            rc = 1
    return ApplyReport(tuple(outcomes), tuple(stdout), tuple(stderr), rc)


def _procps_write(kernel: Kernel, w: PlannedWrite, kw: dict[str, Any], ignore_errors: bool,
                  rules: ProcpsRules = PROCPS_RULES["procps"]) -> WriteOutcome:
    full = "/proc/sys/" + w.path
    resolved = posixpath.normpath(full)
    if resolved != "/proc/sys" and not resolved.startswith("/proc/sys/"):
        return WriteOutcome(w, "failed", 0, f"sysctl: Path is not under /proc/sys/: {full}")
    rel = resolved[len("/proc/sys/"):] if resolved != "/proc/sys" else ""
    try:
        st = kernel.stat(rel, kw["ns"])
    except OSError as e:
        if ignore_errors:
            return WriteOutcome(w, "ignored", e.errno or errno_mod.ENOENT)
        return WriteOutcome(w, "failed", e.errno or errno_mod.ENOENT,
                            f"sysctl: cannot stat {full}: {os.strerror(e.errno or errno_mod.ENOENT)}")
    dotted = _dotted(w.path)
    ignoring = ", ignoring" if w.ignore_failure else ""
    refused = errno_mod.EPERM if not st.mode & stat_mod.S_IWUSR else errno_mod.EISDIR if st.is_dir else 0
    if refused:
        # Before 4.0.4 WriteSetting printed a leftover errno here; procps 4.0.2 on Debian 12
        # was observed to print "Invalid argument" (tools-and-peers.md 4.1).
        shown = refused if rules.refusal_errno else errno_mod.EINVAL
        return WriteOutcome(w, "failed" if rules.refusal_fails else "ignored", refused,
                            f'sysctl: setting key "{dotted}": {os.strerror(shown)}')
    try:
        f = kernel.open(rel, os.O_WRONLY, **kw)
    except OSError as e:
        err = e.errno or 0
        if err == errno_mod.ENOENT:
            if ignore_errors:
                return WriteOutcome(w, "ignored", err)
            return WriteOutcome(w, "ignored" if w.ignore_failure else "failed", err,
                                f'sysctl: "{dotted}" is an unknown key{ignoring}')
        if err in (errno_mod.EPERM, errno_mod.EROFS, errno_mod.EACCES):
            msg = f'sysctl: permission denied on key "{dotted}"{ignoring}'
        else:
            msg = f'sysctl: setting key "{dotted}"{ignoring}: {os.strerror(err)}'
        return WriteOutcome(w, "ignored" if w.ignore_failure else "failed", err, msg)
    try:
        f.write_all(w.data)
    except OSError as e:
        err = e.errno or 0
        return WriteOutcome(w, "failed", err, f'sysctl: setting key "{dotted}": {os.strerror(err)}')
    return WriteOutcome(w, "written")


_REFUSED = (errno_mod.EPERM, errno_mod.EACCES, errno_mod.EROFS)


def _same(current: str, value: str) -> bool:
    return current.rstrip("\n\r") == value.rstrip("\n\r")


def _systemd_write(kernel: Kernel, w: PlannedWrite, kw: dict[str, Any], strict: bool) -> WriteOutcome:
    err = 0
    parts = w.path.split("/")
    if any(p in (".", "..") for p in parts) or "//" in w.path:
        err = errno_mod.EINVAL
    else:
        try:
            f = kernel.open(w.path, os.O_RDWR, **kw)
            current = f.read(1 << 20, 0).decode("utf-8", "surrogateescape")
            if _same(current, w.value):
                return WriteOutcome(w, "unchanged")
            f.write_all(w.data)
        except OSError as e:
            err = e.errno or 0
            try:  # WRITE_STRING_FILE_VERIFY_ON_FAILURE
                if _same(kernel.read(w.path, **kw), w.value):
                    return WriteOutcome(w, "unchanged", err)
            except OSError:
                pass
    if not err:
        return WriteOutcome(w, "written")
    text = os.strerror(err)
    if w.ignore_failure or (not strict and err in _REFUSED):
        return WriteOutcome(w, "ignored", err, f"Couldn't write '{w.value}' to '{w.path}', ignoring: {text}")
    if not strict and err == errno_mod.ENOENT:
        return WriteOutcome(w, "ignored", err, f"Couldn't write '{w.value}' to '{w.path}', ignoring: {text}")
    return WriteOutcome(w, "failed", err, f"Couldn't write '{w.value}' to '{w.path}': {text}")
