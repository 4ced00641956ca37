"""The package type-checks (mypy, strict on handlers/ and model/) and all our Python lints clean (ruff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Every tree of Python we write: the package, its tests, the benchmarks, the worked examples and the
#: scripts (profilegen). Named one by one rather than `ruff check .`, so that a virtualenv or a build
#: directory under another name is never linted.
LINTED = ("fakeproc", "tests", "benchmarks", "examples", "scripts")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)


def test_mypy_strict_passes_on_handlers_and_model_and_plain_on_the_rest() -> None:
    strict = _run("mypy", "fakeproc/handlers", "fakeproc/model")
    assert strict.returncode == 0, strict.stdout + strict.stderr
    whole = _run("mypy", "fakeproc", "--ignore-missing-imports")
    assert whole.returncode == 0, whole.stdout + whole.stderr


def test_ruff_finds_nothing_in_the_package_tests_benchmarks_examples_and_scripts() -> None:
    trees = [name for name in LINTED if (ROOT / name).is_dir()]
    assert "fakeproc" in trees and "tests" in trees, trees
    result = _run("ruff", "check", *trees)
    assert result.returncode == 0, result.stdout + result.stderr
