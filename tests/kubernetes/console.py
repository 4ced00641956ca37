"""Run the ``$ fakeproc ...`` lines of a Markdown file's ```console blocks and collect what they print.

Docs and example READMEs show real output; the tests run every command in a copy
of the example folder, with a fixed clock (ages 0s, known timestamps) and
``pod exec`` answered in-process, and compare stdout+stderr byte for byte.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: The clock every example runs at.
NOW = 1_790_000_000.0
_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Command:
    """One ``$ command`` line of a console block and the text shown after it."""

    line: str
    shown: str


def commands(markdown: str) -> list[Command]:
    """The commands of every ```console block, in order, each with the output shown below it."""
    found: list[Command] = []
    for block in _BLOCK.findall(markdown):
        current: str | None = None
        shown: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                if current is not None:
                    found.append(Command(current, "".join(shown)))
                current, shown = line[2:], []
            elif current is not None:
                shown.append(line + "\n")
        if current is not None:
            found.append(Command(current, "".join(shown)))
    return found


@contextlib.contextmanager
def example_world(monkeypatch) -> Iterator[None]:
    """A fixed clock and ``pod exec`` without FUSE (its output is the same in-process)."""
    import fakeproc.sandbox
    from fakeproc.errors import UnavailableError

    def unavailable(*args, **kwargs):
        raise UnavailableError("examples run pod exec in-process")

    monkeypatch.setattr(time, "time", lambda: NOW)
    monkeypatch.setattr(fakeproc.sandbox, "run_command", unavailable)
    yield


def run(line: str) -> str:
    """Run one ``fakeproc ...`` command line through ``main``; stdout then stderr."""
    from fakeproc.cli.main import main

    argv = shlex.split(line)
    assert argv[0] == "fakeproc", line
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(argv[1:])
    return out.getvalue() + err.getvalue()


def run_markdown(path: Path, cwd: Path, monkeypatch) -> list[tuple[Command, str]]:
    """Every command of ``path`` run in ``cwd``: (command, what it printed)."""
    monkeypatch.chdir(cwd)
    with example_world(monkeypatch):
        return [(c, run(c.line)) for c in commands(path.read_text(encoding="utf-8"))]
