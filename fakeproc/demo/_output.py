"""The demo's printer (``$ command`` then its output; colour only on a terminal) and its transcript.

>>> import io
>>> buf = io.StringIO()
>>> p = Printer(buf, color=False)
>>> p.command("cat /proc/sys/vm/swappiness")
>>> p.output("60\\n")
>>> print(buf.getvalue(), end="")
$ cat /proc/sys/vm/swappiness
60
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

__all__ = ["Printer", "Record", "Transcript", "use_color"]

_RESET = "\033[0m"
_STYLES = {
    "title": "\033[1;36m",  # bold cyan
    "note": "\033[2m",  # dim
    "prompt": "\033[1;32m",  # bold green
    "command": "\033[1m",  # bold
    "warn": "\033[1;33m",  # bold yellow
    "fail": "\033[1;31m",  # bold red
}


def use_color(out: TextIO, color: bool | None = None) -> bool:
    """Whether to colour: ``color`` if given, else only on a terminal and when ``NO_COLOR`` is unset or empty."""
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


class Printer:
    """Writes the walkthrough to a stream.

    Args:
        out: Where to write.
        color: Force colour on or off; None decides with :func:`use_color`.
    """

    def __init__(self, out: TextIO, color: bool | None = None) -> None:
        self.out = out
        self.color = use_color(out, color)

    def _paint(self, style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.color and text else text

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def title(self, text: str) -> None:
        """A step heading, with a blank line before it."""
        self._write("\n" + self._paint("title", f"== {text} ==") + "\n")

    def note(self, text: str) -> None:
        """Explanation lines, each shown as a shell comment."""
        for line in text.splitlines():
            self._write(self._paint("note", f"# {line}".rstrip()) + "\n")

    def command(self, display: str) -> None:
        """The command about to run."""
        self._write(self._paint("prompt", "$ ") + self._paint("command", display) + "\n")

    def output(self, text: str) -> None:
        """A command's output, exactly as it came (a missing final newline is added)."""
        if text:
            self._write(text if text.endswith("\n") else text + "\n")

    def warn(self, text: str) -> None:
        """Something the reader should know about how the demo ran."""
        for line in text.splitlines():
            self._write(self._paint("warn", f"! {line}") + "\n")

    def pause(self, prompt: str, stdin: TextIO) -> None:
        """Show ``prompt`` and wait for a line (Enter) on ``stdin``; at end of input, go on."""
        self._write(self._paint("warn", prompt) + "\n")
        stdin.readline()

    def fail(self, text: str) -> None:
        """A check that did not hold."""
        for line in text.splitlines():
            self._write(self._paint("fail", f"FAILED: {line}") + "\n")


@dataclass(frozen=True)
class Record:
    """One command of the walkthrough as it ran.

    Attributes:
        step: Step number.
        command: The command as displayed.
        output: Its output (stdout and stderr, in order).
        exit_status: Its exit status.
        mode: ``mount`` (a real program against the FUSE mount), ``host`` (a real
            program that does not touch /proc/sys, e.g. gcc), or ``in-process``
            (through fakeproc's Python API).
        missing: Expected text that was not in the output.
    """

    step: int
    command: str
    output: str
    exit_status: int
    mode: str
    missing: tuple[str, ...] = ()


@dataclass
class Transcript:
    """Everything a demo run printed, for tests and ``--json``.

    Attributes:
        records: The commands, in order.
        steps: The step numbers that ran.
        mode: ``mount`` or ``in-process`` (how /proc/sys commands ran).
        fallback_reason: Why the mount was not used, if it was not.
        in_process_steps: Steps in which at least one command ran in-process only.
        failures: Checks that failed outside a command's output (a pod that did not start).
    """

    records: list[Record] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    mode: str = "in-process"
    fallback_reason: str | None = None
    in_process_steps: list[int] = field(default_factory=list)
    failures: int = 0

    @property
    def exit_code(self) -> int:
        """0 when every expected value appeared (and no step failed), 1 otherwise."""
        return 1 if self.failures or any(r.missing for r in self.records) else 0

    def output_of(self, command: str) -> str:
        """The output of the first command displayed as ``command`` (or starting with it)."""
        for r in self.records:
            if r.command == command:
                return r.output
        for r in self.records:
            if r.command.startswith(command):
                return r.output
        raise KeyError(command)

    def text(self) -> str:
        """All outputs joined (for searching)."""
        return "".join(f"$ {r.command}\n{r.output}" for r in self.records)

    def data(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "mode": self.mode,
            "fallback_reason": self.fallback_reason,
            "steps": list(self.steps),
            "in_process_steps": list(self.in_process_steps),
            "exit_code": self.exit_code,
            "records": [asdict(r) for r in self.records],
        }
