"""The package type-checks (mypy, strict on handlers/ and model/) and lints clean (ruff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict_passes_on_handlers_and_model_and_plain_on_the_rest() -> None:
    strict = _run("mypy", "fakeproc/handlers", "fakeproc/model")
    assert strict.returncode == 0, strict.stdout + strict.stderr
    whole = _run("mypy", "fakeproc", "--ignore-missing-imports")
    assert whole.returncode == 0, whole.stdout + whole.stderr


def test_ruff_finds_nothing_in_the_package() -> None:
    result = _run("ruff", "check", "fakeproc")
    assert result.returncode == 0, result.stdout + result.stderr
