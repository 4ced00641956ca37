"""Shared by the walkthrough scripts: run a real program against a fake kernel, or say why not."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from fakeproc import Kernel


def show(command: str, output: str) -> None:
    """Print ``$ command`` and its output, the way the demo does."""
    print(f"$ {command}")
    print(output, end="" if output.endswith("\n") or not output else "\n")


def run_real(kernel: Kernel, argv: Sequence[str]) -> str | None:
    """Run ``argv`` with ``kernel`` at /proc/sys (FUSE); None if FUSE is not usable here."""
    from fakeproc.sandbox import fuse_available, mounted

    if not fuse_available()[0]:
        return None
    with mounted(kernel=kernel) as m:
        r = m.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    return r.stdout
