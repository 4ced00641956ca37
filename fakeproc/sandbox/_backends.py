"""Which backend runs ``fakeproc run``: a small registry of launchers and the ``auto`` choice.

* ``namespaces``: the FUSE mount bound over ``/proc/sys`` in private namespaces
  (:mod:`fakeproc.sandbox._namespaces`);
* ``seccomp``, ``emulated``: launchers of the optional ``fakeproc.backends.seccomp`` package
  (see :mod:`fakeproc.backends` for the contract);
* ``auto``: ``namespaces`` where it works here, else ``seccomp`` (FUSE without user namespaces),
  else ``emulated`` (no FUSE), else the reasons of all three. Where every precondition of
  ``seccomp`` passes but the FUSE mount itself fails, ``auto`` hands the command to ``emulated``
  (:func:`launch`).

>>> BACKENDS
('auto', 'namespaces', 'seccomp', 'emulated')
>>> backend_problem("no-such")
'unknown backend no-such (choose from auto, namespaces, seccomp, emulated)'
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from typing import TYPE_CHECKING, Any

from fakeproc.backends import LAUNCHERS
from fakeproc.errors import UnavailableError, UsageError
from fakeproc.sandbox._checks import fuse_problem
from fakeproc.sandbox._namespaces import namespaces_problem

if TYPE_CHECKING:
    from fakeproc.backends import Launcher, LaunchRequest

__all__ = ["BACKENDS", "backend_problem", "choose_backend", "launch", "launcher"]

log = logging.getLogger("fakeproc.sandbox")

#: The values of ``fakeproc run --backend``.
BACKENDS = ("auto", "namespaces", "seccomp", "emulated")
#: What ``auto`` tries, in order.
AUTO_ORDER = ("namespaces", "seccomp", "emulated")


def _optional(name: str) -> tuple[Launcher | None, str | None]:
    """(launcher, None) for an optional backend that works here, else (None, the reason)."""
    module_name, check, launch = LAUNCHERS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is not None and module_name.startswith(e.name):
            return None, f"{module_name} is not installed in this fakeproc"
        raise
    checker = getattr(module, check, None)
    function = getattr(module, launch, None)
    if checker is None or function is None:
        return None, f"{module_name} has no {name} launcher"
    reason = checker()
    if reason:
        return None, str(reason).removeprefix("fakeproc: ")
    return function, None


def backend_problem(name: str) -> str | None:
    """Why backend ``name`` cannot run here (None if it can)."""
    if name not in BACKENDS:
        return f"unknown backend {name} (choose from {', '.join(BACKENDS)})"
    if name == "namespaces":
        return namespaces_problem()
    if name == "seccomp":  # it mounts the fake with FUSE, in the caller's own namespaces
        problem = fuse_problem()
        if problem:
            return problem
    if name == "auto":
        problems = [backend_problem(n) for n in AUTO_ORDER]
        if all(problems):
            return "; ".join(f"{n}: {p}" for n, p in zip(AUTO_ORDER, problems))
        return None
    return _optional(name)[1]


def choose_backend(name: str = "auto") -> str:
    """The backend that will run: ``name`` itself, or for ``auto`` the first that works here.

    Raises:
        UsageError: an unknown name.
        UnavailableError: the backend (for ``auto``: every backend) cannot run here; the message
            says what is missing and how to enable it.
    """
    if name not in BACKENDS:
        raise UsageError(backend_problem(name) or name)
    candidates = AUTO_ORDER if name == "auto" else (name,)
    reasons = []
    for candidate in candidates:
        problem = backend_problem(candidate)
        if problem is None:
            return candidate
        reasons.append(f"{candidate}: {problem}" if name == "auto" else problem)
    if name == "auto":
        raise UnavailableError("no backend can run here (" + "; ".join(reasons) + ")")
    if name == "namespaces":
        raise UnavailableError(reasons[0])
    raise UnavailableError(f"backend {name} is not available: {reasons[0]}")


def launcher(name: str) -> Launcher:
    """The launcher of an optional backend (``seccomp`` or ``emulated``).

    Raises:
        UnavailableError: it cannot run here.
    """
    function, reason = _optional(name)
    if function is None:
        raise UnavailableError(f"backend {name} is not available: {reason}")
    return function


def launch(name: str, function: Launcher, request: LaunchRequest, *, auto: bool = False) -> tuple[int, str]:
    """Run ``request`` with the optional backend ``name`` (its launcher ``function``); the exit
    status and the backend that ran.

    Under ``auto``, a ``seccomp`` launch whose FUSE mount fails at the mount call itself (every
    precondition passed: e.g. a policy refusing mount(2) to the setuid fusermount) runs the
    command under ``emulated`` instead, which needs no mount. The command had not started.

    Raises:
        UnavailableError: the backend cannot run (and, under ``auto``, neither can ``emulated``).
    """
    failed = []
    start = request.start_mount

    def start_mount(*args: Any, **kwargs: Any) -> Any:
        try:
            return start(*args, **kwargs)
        except UnavailableError:
            failed.append(True)
            raise

    try:
        return function(dataclasses.replace(request, start_mount=start_mount)), name
    except UnavailableError as e:
        if not (auto and name == "seccomp" and failed and backend_problem("emulated") is None):
            raise
        log.warning("running under the emulated backend: the FUSE mount failed: %s", e)
    return launcher("emulated")(request), "emulated"
