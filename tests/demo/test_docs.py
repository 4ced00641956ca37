"""docs/demo.md shows what ``fakeproc demo`` really prints."""

from __future__ import annotations

import re
from pathlib import Path

from tests.kubernetes.console import example_world, run

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "demo.md"
#: Each run works in a new temporary directory; the docs show one name for it.
_TMP = re.compile(r"\S*/fakeproc-demo-[A-Za-z0-9_]+")
#: A demo block: the command line, then everything the demo printed (its own `$` lines too).
_DEMO_BLOCK = re.compile(r"```console\n\$ (fakeproc demo[^\n]*)\n(.*?)```", re.DOTALL)


def demo_blocks(text: str) -> list[tuple[str, str]]:
    """``(command, shown output)`` of each demo block of a Markdown text."""
    return _DEMO_BLOCK.findall(text)


def test_docs_demo_shows_the_real_output(tmp_path: Path, monkeypatch) -> None:
    blocks = demo_blocks(DOC.read_text())
    assert [line for line, _ in blocks] == ["fakeproc demo --in-process --step 4",
                                            "fakeproc demo --in-process --step 4 --lang ko"]
    monkeypatch.chdir(tmp_path)
    with example_world(monkeypatch):
        for line, shown in blocks:
            assert _TMP.sub("/tmp/fakeproc-demo-XXXXXXXX", run(line)) == shown, line


def test_docs_demo_names_every_step() -> None:
    from fakeproc.demo import STEPS

    text = DOC.read_text()
    for step in STEPS:
        assert f"| {step.number} " in text
