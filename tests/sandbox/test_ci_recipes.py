"""Every fakeproc and pytest command of the CI recipes in examples/ci runs here as written.

Installation lines (apt-get, pip, docker itself) are the recipes' set-up and are not run; the
commands that use fakeproc are, with this checkout's fakeproc first on PATH, in examples/ci.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fuse.support import REPO, requires_fuse, requires_root

CI = Path(REPO) / "examples" / "ci"
_COMMAND = re.compile(r"^(?:FAKEPROC_\w+=\S+ )*(?:fakeproc |python -m pytest )")


def _yaml_commands(name: str) -> list[str]:
    doc = yaml.safe_load((CI / name).read_text())
    lines: list[str] = []
    for job in doc.get("jobs", doc).values():  # GitHub nests jobs under "jobs:", GitLab does not
        if not isinstance(job, dict):
            continue
        lines += [step["run"] for step in job.get("steps", []) if "run" in step]
        lines += job.get("before_script", []) + job.get("script", [])
    return [line.strip() for text in lines for line in text.splitlines()]


def _shell_commands(name: str) -> list[str]:
    lines = (CI / name).read_text().splitlines()
    return [line.strip().removesuffix("'").strip().removesuffix("&&").strip() for line in lines]


RECIPES = {name: [c for c in (_yaml_commands(name) if name.endswith(".yml") else _shell_commands(name))
                  if _COMMAND.match(c)]
           for name in ("github-actions.yml", "gitlab-ci.yml", "docker.sh")}


def test_each_recipe_has_fakeproc_commands_to_run():
    assert all(RECIPES.values()), RECIPES
    assert any("--backend emulated" in c for c in RECIPES["gitlab-ci.yml"])
    assert any("--backend namespaces" in c for c in RECIPES["github-actions.yml"])


@requires_fuse
@requires_root
@pytest.mark.parametrize(("recipe", "command"), [(r, c) for r, cs in RECIPES.items() for c in dict.fromkeys(cs)],
                         ids=lambda v: v if len(v) < 40 else v[:40])
def test_the_recipes_commands_run_here(recipe: str, command: str) -> None:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '')}"}
    env.pop("PYTEST_ADDOPTS", None)
    command = command.replace("python -m pytest", "python -m pytest -p no:cacheprovider")
    done = subprocess.run(["sh", "-c", command], cwd=CI, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{recipe}: {command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
