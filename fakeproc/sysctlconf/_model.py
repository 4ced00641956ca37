"""The document model shared by the parsers, the planner and the applier."""

from __future__ import annotations

from dataclasses import dataclass, field

from fakeproc.spec import path_to_key

__all__ = [
    "DIALECTS",
    "Diagnostic",
    "Ignored",
    "ParsedConf",
    "Setting",
    "check_dialect",
]

#: The parsers fakeproc knows, by the tool whose rules they follow.
#:
#: * ``procps``: procps-ng ``sysctl -p`` / ``--system`` (4.0.x, ``src/sysctl.c``).
#: * ``systemd``: current ``systemd-sysctl`` (``conf_file_read`` + ``parse_line``): only ``#``
#:   starts a comment; ``\\n``, ``\\r``, ``\\r\\n`` and NUL end a line.
#: * ``systemd-252``: the ``systemd-sysctl`` of Debian 12 and its era (before ``conf_file_read``):
#:   ``#`` and ``;`` start a comment; line ends as in ``systemd``.
DIALECTS = ("procps", "systemd", "systemd-252")


def check_dialect(dialect: str) -> str:
    """Return ``dialect`` if fakeproc knows it, else raise ``ValueError`` naming the known ones."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown sysctl.conf dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    return dialect


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
        dialect: ``procps``, ``systemd`` or ``systemd-252``.
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
