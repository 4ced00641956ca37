"""Find an importable tuned: ``$FAKEPROC_TUNED_PATH``, the copy ``scripts/bootstrap.sh test`` unpacks
beside the running virtualenv (``<virtualenv>/tools/tuned``), or the system's package."""

from __future__ import annotations

import os
import subprocess
import sys

__all__ = ["tuned_path"]


def tuned_path() -> str | None:
    """A ``PYTHONPATH`` entry under which ``import tuned.plugins.plugin_sysctl`` works, or None."""
    unpacked = os.path.join(sys.prefix, "tools", "tuned", "usr", "lib", "python3", "dist-packages")
    candidates = [os.environ.get("FAKEPROC_TUNED_PATH", ""), unpacked, "/usr/lib/python3/dist-packages"]
    for path in filter(None, candidates):
        probe = subprocess.run([sys.executable, "-c", "import tuned.plugins.plugin_sysctl"], capture_output=True,
                               env=dict(os.environ, PYTHONPATH=path), check=False)
        if probe.returncode == 0:
            return path
    return None
