"""Put the fake kernel where programs look for it: a FUSE mount, bound over ``/proc/sys``.

* :func:`mounted`: serve a kernel through FUSE for the duration of a ``with``
  block; ``handle.run(argv)`` runs a command that sees it at ``/proc/sys``.
* :func:`run_command`: the engine of ``fakeproc run -- CMD``.
* :func:`fuse_available`: whether this host can do it, and why not.

Slash paths and mount namespaces live here and in :mod:`fakeproc.fuse` only.

>>> ok, reason = fuse_available()
>>> ok or bool(reason)
True
"""

from __future__ import annotations

from fakeproc.sandbox._checks import fuse_available
from fakeproc.sandbox._daemon import serve_mount, unmount_path
from fakeproc.sandbox._mount import MountHandle, bind_argv, mounted, start_mount, sweep_dead_mounts
from fakeproc.sandbox._run import run_command

__all__ = [
    "MountHandle",
    "bind_argv",
    "fuse_available",
    "mounted",
    "run_command",
    "serve_mount",
    "start_mount",
    "sweep_dead_mounts",
    "unmount_path",
]
