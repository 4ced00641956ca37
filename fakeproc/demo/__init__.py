"""``fakeproc demo``: the article's walkthrough, every command run for real against a fake kernel.

The steps (see :data:`STEPS`): the /proc/sys tree; ``sysctl -w``, a reboot,
``sysctl -p`` and the boot-time configuration; kernel.sem's fields; the IPC
namespace test with the article's C program; a Kubernetes pod with an unsafe
sysctl. Commands that use /proc/sys run as real programs with the fake tree
bound over /proc/sys where a FUSE mount can be made, and through the Python
API otherwise (the demo says which steps and why). Each run uses its own
throw-away kernel and directory; the user's state and the host's /proc/sys are
never touched.

>>> import io
>>> t = run_demo(steps=[3], in_process=True, out=io.StringIO())
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
from fakeproc.demo._steps import HOST_SEM, POD_SEM, STEPS, Step, asset_text
from fakeproc.demo._world import Demo
from fakeproc.errors import UsageError
from fakeproc.model import Kernel

__all__ = [
    "HOST_SEM",
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
             out: TextIO | None = None, color: bool | None = None) -> Transcript:
    """Run the walkthrough, printing each command and its real output.

    Args:
        steps: Step numbers to run (default: all, in order).
        kernel: Kernel profile name or file (default: 6.18).
        kubernetes_version: Kubernetes version for step 5 (default: the newest modelled).
        in_process: Do not try the FUSE mount.
        out: Where to print (default: stdout).
        color: Force colour on/off (default: on a terminal, unless ``NO_COLOR`` is set).

    Returns:
        The :class:`Transcript`; its ``exit_code`` is 1 if an expected value did not appear.

    Raises:
        UsageError: an unknown step, profile or Kubernetes version.
    """
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
                    kubernetes_version=kubernetes_version)
        demo.profile_arg = str(Path(kernel).resolve()) if kernel and Path(kernel).is_file() else kernel
        try:
            how = ("real programs see the fake kernel at /proc/sys (FUSE mount, private mount namespace)"
                   if demo.mounted else f"in-process through fakeproc's API: {demo.mount_reason}")
            printer.note(f"fakeproc demo: a throw-away {k.profile.name} kernel; the host's /proc/sys is not touched.\n"
                         f"Commands run in {tmp}; {how}.")
            for step in selected:
                demo.step = step.number
                transcript.steps.append(step.number)
                printer.title(f"Step {step.number}/{len(STEPS)}: {step.title}")
                step.run(demo)
        finally:
            demo.close()
    reasons = demo.in_process_reasons
    if reasons:
        printer.title("How this ran")
        by_reason: dict[str, list[int]] = {}
        for n, why in sorted(reasons.items()):
            by_reason.setdefault(why, []).append(n)
        for why, numbers in by_reason.items():
            which = ", ".join(map(str, numbers))
            printer.warn(f"step{'s' if len(numbers) > 1 else ''} {which} ran in-process only "
                         f"(through fakeproc's API, not real programs): {why}")
    if transcript.exit_code:
        printer.fail("some expected values did not appear (see above)")
    return transcript
