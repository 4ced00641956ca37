"""The document model shared by the parsers, the planner and the applier."""

from __future__ import annotations

from dataclasses import dataclass, field

from fakeproc.spec import path_to_key

__all__ = [
    "DIALECTS",
    "PROCPS_RULES",
    "Diagnostic",
    "Ignored",
    "ParsedConf",
    "ProcpsRules",
    "Setting",
    "check_dialect",
    "dialect_for",
    "family",
]

#: The parsers fakeproc knows, by the tool (and release) whose rules they follow.
#:
#: * ``procps``: procps-ng ``sysctl -p`` / ``--system`` 4.0.6 and later (``src/sysctl.c``).
#: * ``procps-4.0.5``, ``procps-4.0.4``, ``procps-4.0.2``: earlier 4.0.x releases, which differ
#:   only in :data:`PROCPS_RULES` (``procps-4.0.2`` stands for 4.0.0 to 4.0.3; Debian 12 ships 4.0.2).
#: * ``systemd``: ``systemd-sysctl`` 254 and later (``conf_file_read`` + ``parse_line``): only ``#``
#:   starts a comment; ``\\n``, ``\\r``, ``\\r\\n`` and NUL end a line.
#: * ``systemd-252``: ``systemd-sysctl`` up to 253 (Debian 12 ships 252): ``#`` and ``;`` start a
#:   comment; line ends as in ``systemd``.
DIALECTS = ("procps", "procps-4.0.5", "procps-4.0.4", "procps-4.0.2", "systemd", "systemd-252")


@dataclass(frozen=True)
class ProcpsRules:
    """What changed in procps-ng ``sysctl`` between 4.0.0 and 4.0.6 (``src/sysctl.c``).

    Attributes:
        refusal_errno: A key without ``S_IWUSR``, or a directory, is reported with
            ``EPERM`` / ``EISDIR`` (4.0.4, commit 13a6df9f). Before, ``WriteSetting``
            printed ``setting key "k": `` with whatever errno was left over.
        refusal_fails: ... and counts as a failure, exit status 1 (4.0.6, commit cd3a440b).
        glob_excludes: A ``-pattern`` exclusion matches paths with ``fnmatch`` (4.0.5,
            commit 39748b78); before, only a path equal to it.
    """

    refusal_errno: bool
    refusal_fails: bool
    glob_excludes: bool


#: procps dialect -> its rules.
PROCPS_RULES: dict[str, ProcpsRules] = {
    "procps": ProcpsRules(refusal_errno=True, refusal_fails=True, glob_excludes=True),
    "procps-4.0.5": ProcpsRules(refusal_errno=True, refusal_fails=False, glob_excludes=True),
    "procps-4.0.4": ProcpsRules(refusal_errno=True, refusal_fails=False, glob_excludes=False),
    "procps-4.0.2": ProcpsRules(refusal_errno=False, refusal_fails=False, glob_excludes=False),
}


def check_dialect(dialect: str) -> str:
    """Return ``dialect`` if fakeproc knows it, else raise ``ValueError`` naming the known ones."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown sysctl.conf dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    return dialect


def family(dialect: str) -> str:
    """``"procps"`` or ``"systemd"``: the tool a dialect belongs to."""
    return "procps" if dialect.startswith("procps") else "systemd"


def dialect_for(tool: str, version: tuple[int, ...] | None) -> str:
    """The dialect of ``tool`` (``"procps"`` or ``"systemd"``) at ``version`` (None: the newest).

    >>> dialect_for("procps", (4, 0, 2)), dialect_for("procps", (4, 0, 5)), dialect_for("systemd", (253,))
    ('procps-4.0.2', 'procps-4.0.5', 'systemd-252')
    """
    if tool not in ("procps", "systemd"):
        raise ValueError(f"unknown tool {tool!r} (known: procps, systemd)")
    if version is None:
        return tool
    if tool == "systemd":
        return "systemd" if version >= (254,) else "systemd-252"
    if version >= (4, 0, 6):
        return "procps"
    if version >= (4, 0, 5):
        return "procps-4.0.5"
    if version >= (4, 0, 4):
        return "procps-4.0.4"
    return "procps-4.0.2"


@dataclass(frozen=True)
class Setting:
    """One setting line as the tool understood it.

    Attributes:
        key: The key as written, after the tool stripped it (without the ``-`` prefix).
        path: The ``/proc/sys``-relative path the tool opens (may contain glob characters).
        value: The stripped value, or ``None`` for an exclusion (``-key`` without ``=``).
        ignore_failure: The line had a ``-`` prefix and an ``=``.
        line: 1-based line number in its file.
        file: The file name the document was parsed as.
    """

    key: str
    path: str
    value: str | None
    ignore_failure: bool
    line: int
    file: str = "<string>"

    @property
    def is_exclusion(self) -> bool:
        """A ``-key`` line without ``=``: keeps globs away from matching keys."""
        return self.value is None

    @property
    def is_glob(self) -> bool:
        """Whether the path contains ``*``, ``?`` or ``[`` (expanded against ``/proc/sys``)."""
        return any(c in self.path for c in "*?[")

    @property
    def dotted(self) -> str:
        """The canonical dotted key of :attr:`path` (VLAN dots shown as ``/``)."""
        return path_to_key(self.path)


@dataclass(frozen=True)
class Ignored:
    """A line the tool skipped without a word.

    Attributes:
        line: 1-based line number.
        text: The line without its end-of-line bytes.
        reason: ``"blank"``, ``"comment"``, ``"short"`` (procps skips lines under two
            bytes), or ``"pattern"`` (filtered by ``sysctl --pattern``).
    """

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Diagnostic:
    """A line the tool complained about and skipped.

    Attributes:
        line: 1-based line number.
        text: The line without its end-of-line bytes.
        message: The message exactly as the tool prints it (procps on stderr, systemd
            through its log).
    """

    line: int
    text: str
    message: str


@dataclass(frozen=True)
class ParsedConf:
    """A sysctl.conf / sysctl.d document as one tool parsed it.

    Attributes:
        dialect: One of :data:`DIALECTS`.
        file: The file name used in messages.
        settings: Every setting and exclusion line, in file order.
        ignored: Lines skipped silently.
        errors: Lines skipped with a diagnostic.
        line_count: Number of lines the tool counted.
    """

    dialect: str
    file: str
    settings: tuple[Setting, ...] = ()
    ignored: tuple[Ignored, ...] = ()
    errors: tuple[Diagnostic, ...] = ()
    line_count: int = 0
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def assignments(self) -> tuple[Setting, ...]:
        """The ``key = value`` lines, in file order (exclusions left out)."""
        return tuple(s for s in self.settings if s.value is not None)

    @property
    def exclusions(self) -> tuple[Setting, ...]:
        """The ``-key`` lines without ``=``."""
        return tuple(s for s in self.settings if s.value is None)
