"""``fakeproc demo``: the article's walkthrough, every command run for real against a fake kernel.

The steps (see :data:`STEPS`), in the article's order: procfs and the /proc/sys
tree; ``sysctl -w``, a reboot, ``sysctl -p`` and the boot-time configuration;
kernel.sem's fields and defaults; ``sysctl -w`` in the parent and inside a new
IPC namespace, each keeping its own value; the article's C program; the pod
refused, then allowed; exec into the pod; the namespaces as a tree. ``lang="ko"``
tells it in Korean (commands and outputs never change); ``pause=True`` waits for
Enter between steps. Commands that use /proc/sys run as real programs with the fake tree
bound over /proc/sys where a FUSE mount can be made, and through the Python
API otherwise (the demo says which steps and why). Each run uses its own
throw-away kernel and directory; the user's state and the host's /proc/sys are
never touched.

>>> import io
>>> t = run_demo(steps=[3], in_process=True, out=io.StringIO(), lang="ko")
>>> t.exit_code, t.mode
(0, 'in-process')
>>> "SEMOPM=500" in t.output_of("awk")
True
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from fakeproc.demo._output import Printer, Record, Transcript, use_color
from fakeproc.demo._steps import CHILD_SEM, HOST_SEM, POD_NAME, POD_SEM, STEPS, Step, asset_text
from fakeproc.demo._text import LANGUAGES, check_lang, text
from fakeproc.demo._world import Demo
from fakeproc.errors import UsageError
from fakeproc.model import Kernel

__all__ = [
    "CHILD_SEM",
    "HOST_SEM",
    "LANGUAGES",
    "POD_NAME",
    "POD_SEM",
    "STEPS",
    "Printer",
    "Record",
    "Step",
    "Transcript",
    "asset_text",
    "run_demo",
    "use_color",
]


def _select(steps: Iterable[int] | None) -> list[Step]:
    if not steps:
        return list(STEPS)
    wanted = sorted(set(steps))
    known = {s.number: s for s in STEPS}
    bad = [n for n in wanted if n not in known]
    if bad:
        raise UsageError(f"no step {bad[0]}: the demo has steps 1 to {len(STEPS)}")
    return [known[n] for n in wanted]


def run_demo(*, steps: Iterable[int] | None = None, kernel: str | None = None,
             kubernetes_version: str | None = None, in_process: bool = False,
             out: TextIO | None = None, color: bool | None = None, lang: str = "en",
             pause: bool = False, stdin: TextIO | None = None) -> Transcript:
    """Run the walkthrough, printing each command and its real output.

    Args:
        steps: Step numbers to run (default: all, in order).
        kernel: Kernel profile name or file (default: 6.18).
        kubernetes_version: Kubernetes version for step 5 (default: the newest modelled).
        in_process: Do not try the FUSE mount.
        out: Where to print (default: stdout).
        color: Force colour on/off (default: on a terminal, unless ``NO_COLOR`` is set).
        lang: ``en`` (default) or ``ko``: the language of headings and explanations.
        pause: Wait for Enter (a line on ``stdin``) before each step after the first.
        stdin: Where Enter is read (default: ``sys.stdin``); at its end the demo goes on.

    Returns:
        The :class:`Transcript`; its ``exit_code`` is 1 if an expected value did not appear.

    Raises:
        UsageError: an unknown step, profile, language or Kubernetes version.
    """
    check_lang(lang)
    selected = _select(steps)
    if kubernetes_version is not None:
        from fakeproc.kubernetes import KubeVersion

        KubeVersion.parse(kubernetes_version)  # fail before anything runs
    out = out if out is not None else sys.stdout
    printer = Printer(out, color)
    transcript = Transcript()
    k = Kernel(kernel)
    with tempfile.TemporaryDirectory(prefix="fakeproc-demo-") as tmp:
        demo = Demo(k, Path(tmp), printer, transcript, use_mount=not in_process,
                    kubernetes_version=kubernetes_version, lang=lang)
        demo.profile_arg = str(Path(kernel).resolve()) if kernel and Path(kernel).is_file() else kernel
        try:
            how = (text("how.mount", lang) if demo.mounted
                   else text("how.inproc", lang, why=demo.mount_reason))
            printer.note(text("intro", lang, profile=k.profile.name, tmp=tmp, how=how))
            for i, step in enumerate(selected):
                if pause and i:
                    printer.pause(text("pause", lang, n=step.number), stdin if stdin is not None else sys.stdin)
                demo.step = step.number
                transcript.steps.append(step.number)
                printer.title(text("step", lang, n=step.number, total=len(STEPS), title=step.title(lang)))
                step.run(demo)
        finally:
            demo.close()
    reasons = demo.in_process_reasons
    if reasons:
        printer.title(text("how.title", lang))
        by_reason: dict[str, list[int]] = {}
        for n, why in sorted(reasons.items()):
            by_reason.setdefault(why, []).append(n)
        for why, numbers in by_reason.items():
            which = ", ".join(map(str, numbers))
            printer.warn(text("how.steps", lang, s="s" if len(numbers) > 1 else "", which=which, why=why))
    if transcript.exit_code:
        printer.fail(text("failed", lang))
    return transcript
