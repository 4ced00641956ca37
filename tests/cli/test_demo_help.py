"""The demo's help text, which is built without importing the demo."""

from __future__ import annotations

import subprocess
import sys

from fakeproc.cli import _demo_cmds


def test_the_parser_knows_the_demos_steps_and_languages() -> None:
    from fakeproc.demo import LANGUAGES, STEPS

    assert (_demo_cmds.DEMO_STEPS, _demo_cmds.DEMO_LANGUAGES) == (len(STEPS), LANGUAGES)


def test_building_the_command_line_does_not_import_the_demo() -> None:
    code = "import sys; from fakeproc.cli.main import main_parser; main_parser(); print('fakeproc.demo' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "False\n"
