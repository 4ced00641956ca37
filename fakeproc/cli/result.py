"""What a subcommand hands back to ``main`` for printing.

>>> CommandResult(text="ok").exit_code
0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "CommandResult"]

EXIT_OK = 0
#: The operation ran and answered "no" (a refused write, a pod that would not start).
EXIT_FAILURE = 1
#: Bad input or a missing host facility; one line on stderr says what.
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one subcommand.

    Attributes:
        exit_code: Process exit status.
        text: Human-readable output for stdout (printed as is).
        data: JSON-able form of the same, printed with ``--json``.
        errors: Lines for stderr.
    """

    exit_code: int = EXIT_OK
    text: str = ""
    data: Any = None
    errors: tuple[str, ...] = field(default_factory=tuple)
