"""``fakeproc reboot``: reboot the kernel kept in a state file (see :mod:`fakeproc.boot`).

>>> import os, tempfile
>>> state = os.path.join(tempfile.mkdtemp(), "state.json")
>>> reboot(state=state).exit_status
0
"""

from __future__ import annotations

import os
from pathlib import Path

from fakeproc.boot import AppliedSetting, RebootResult, boot_files, reboot_kernel
from fakeproc.state import StateFile, default_state_path

__all__ = ["AppliedSetting", "RebootResult", "boot_files", "reboot", "reboot_kernel"]


def reboot(*, state: str | os.PathLike[str] | None = None, etc: str | os.PathLike[str] | None = None,
           root: str | os.PathLike[str] | None = None, dialect: str = "procps",
           profile: str | None = None, quiet: bool = False) -> RebootResult:
    """Reboot the kernel kept in a state file (see :func:`reboot_kernel`) and save it.

    Args:
        state: The state file (default :func:`fakeproc.state.default_state_path`).
            A missing file boots a fresh ``profile`` kernel.
        etc, root, dialect, quiet: As for :func:`reboot_kernel`.
        profile: The profile to boot when the state file does not exist yet.
    """
    path = Path(state) if state is not None else default_state_path()
    with StateFile(path).open(profile=profile) as kernel:
        return reboot_kernel(kernel, etc=etc, root=root, dialect=dialect, quiet=quiet, state=str(path))
