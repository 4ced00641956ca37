"""Launch programs against the fake kernel and manage the mounts' lifecycles.

* :func:`mounted`: serve a kernel through FUSE for the duration of a ``with``
  block; ``handle.run(argv)`` runs a command that sees it at ``/proc/sys``.
* :func:`run` / :func:`run_command`: the engine of ``fakeproc run -- CMD``, through a
  backend chosen by name (``auto``, ``namespaces``, ``seccomp``, ``emulated``).
* :func:`serve_mount` / :func:`unmount_path`: ``fakeproc mount`` / ``umount``.
* :func:`fuse_available`: whether this host can mount, and why not.

Nothing here prints: outcomes are return values and exceptions, and ``cli/`` prints.
Serving itself is :mod:`fakeproc.serve`'s, through the adapters of :mod:`fakeproc.backends`.

>>> ok, reason = fuse_available()
>>> ok or bool(reason)
True
"""

from __future__ import annotations

from fakeproc.sandbox._backends import BACKENDS, backend_problem, choose_backend
from fakeproc.sandbox._checks import fuse_available, mount_problem
from fakeproc.sandbox._daemon import serve_mount, unmount_path
from fakeproc.sandbox._mount import MountHandle, bind_argv, mounted, serving_busy_poll, start_mount
from fakeproc.sandbox._namespaces import LaunchError
from fakeproc.sandbox._run import RunResult, run, run_command
from fakeproc.sandbox._runtime import runtime_dir, sweep_dead_mounts
from fakeproc.sandbox._tools import find_tool

__all__ = [
    "BACKENDS",
    "LaunchError",
    "MountHandle",
    "RunResult",
    "backend_problem",
    "bind_argv",
    "choose_backend",
    "find_tool",
    "fuse_available",
    "mount_problem",
    "mounted",
    "run",
    "run_command",
    "runtime_dir",
    "serve_mount",
    "serving_busy_poll",
    "start_mount",
    "sweep_dead_mounts",
    "unmount_path",
]
