"""Finding a program the way an administrator's shell would: ``PATH``, then the sbin directories.

Debian gives normal users a ``PATH`` without ``/usr/sbin`` and ``/sbin``, where ``sysctl``
lives; a command run under the fake ``/proc/sys`` is looked for there too.

>>> find_tool("sh") is not None
True
>>> find_tool("/no/such/tool") is None
True
"""

from __future__ import annotations

import os
import shutil

__all__ = ["SBIN_DIRS", "find_tool", "search_path"]

#: Searched after ``PATH`` (in this order) when it lacks them.
SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def search_path(path: str | None = None) -> str:
    """``path`` (default ``$PATH``) with the :data:`SBIN_DIRS` it lacks appended."""
    path = os.environ.get("PATH", os.defpath) if path is None else path
    parts = [p for p in path.split(os.pathsep) if p]
    return os.pathsep.join(parts + [d for d in SBIN_DIRS if d not in parts])


def find_tool(name: str) -> str | None:
    """The executable ``name`` would run: on ``PATH``, else in the sbin directories; None if nowhere."""
    if "/" in name:
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN_DIRS))
