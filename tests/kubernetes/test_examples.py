"""Every example README and docs/kubernetes.md show what their commands really print."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.kubernetes.console import commands, run_markdown

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "kubernetes"
READMES = sorted(EXAMPLES.glob("*/README.md"))


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_example_readme_shows_the_real_output(readme: Path, tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "kubernetes")  # READMEs may use a neighbour's manifest
    ran = run_markdown(readme, tmp_path / "kubernetes" / readme.parent.name, monkeypatch)
    assert ran, f"{readme} has no commands"
    for command, printed in ran:
        assert printed == command.shown, f"$ {command.line}"


def test_docs_kubernetes_shows_the_real_output(tmp_path: Path, monkeypatch) -> None:
    work = tmp_path / "kubernetes"
    shutil.copytree(EXAMPLES, work)
    ran = run_markdown(ROOT / "docs" / "kubernetes.md", work, monkeypatch)
    assert len(ran) >= 10
    for command, printed in ran:
        assert printed == command.shown, f"$ {command.line}"


def test_console_blocks_are_split_into_commands_and_their_output() -> None:
    md = "x\n```console\n$ fakeproc a\none\ntwo\n$ fakeproc b\n```\n```sh\n$ not this\n```\n"
    assert [(c.line, c.shown) for c in commands(md)] == [("fakeproc a", "one\ntwo\n"), ("fakeproc b", "")]
