"""``fakeproc run``: a command that sees the fake kernel at ``/proc/sys``, through a chosen backend.

The command runs through one backend (:mod:`fakeproc.sandbox._backends`); ``auto`` takes
the namespace backend where it works and the seccomp one otherwise. Ctrl-C reaches the
command (same terminal process group) and this process waits for it; SIGTERM and SIGHUP
are forwarded. The status is the command's, or 128 + the signal number that killed it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from fakeproc.backends import LaunchRequest
from fakeproc.errors import CommandNotFound, UsageError
from fakeproc.sandbox._backends import choose_backend, launch, launcher
from fakeproc.sandbox._kernel import open_kernel
from fakeproc.sandbox._lock import Notify
from fakeproc.sandbox._mount import start_mount
from fakeproc.sandbox._namespaces import launch_namespaces
from fakeproc.sandbox._tools import find_tool, search_path

if TYPE_CHECKING:
    from fakeproc.model import Kernel

__all__ = ["RunResult", "run", "run_command"]


@dataclass(frozen=True)
class RunResult:
    """How a ``run`` ended.

    Attributes:
        exit_code: The command's exit status (128+N if signal N killed it).
        backend: The backend that ran it (``namespaces``, ``seccomp``, ``emulated``).
    """

    exit_code: int
    backend: str


def run(
    argv: Sequence[str],
    *,
    kernel: Kernel | None = None,
    profile: str | None = None,
    state: str | None = None,
    ns_label: str | None = None,
    backend: str = "auto",
    identity: str = "root",
    lock_timeout: float | None = None,
    notify: Notify | None = None,
) -> RunResult:
    """Run ``argv`` with the fake tree at ``/proc/sys`` through ``backend``.

    Args:
        argv: The command and its arguments (``argv[0]`` is also looked for in ``/usr/sbin``
            and ``/sbin`` when the search path lacks them, as on Debian for normal users).
        kernel: The kernel to serve (default: a new one from ``profile``, or ``state``).
        profile: Profile for a new kernel.
        state: State file: loaded under its lock at start, saved atomically at the end.
        ns_label: Map the command's own namespaces to the kernel's namespace set
            with this label (``Kernel.namespace_by_label``), as ``fakeproc pod exec`` does.
        backend: ``auto``, ``namespaces``, ``seccomp`` or ``emulated``.
        identity: ``root`` (the command's user is the kernel's root) or ``user`` (a plain user).
        lock_timeout: Give up waiting for the state file's lock after this many seconds.
        notify: Gets one line when the state file's lock is busy (naming the holder). A state
            held by a live ``fakeproc mount`` is refused at once (UsageError, exit status 2).

    Raises:
        UnavailableError: the backend cannot run here (the message says how to enable it).
        UsageError: empty command, unknown label or backend, kernel and state both given.
        CommandNotFound: ``argv[0]`` is not an executable (exit status 127, as a shell
            gives), checked before anything is mounted.
        LaunchError: the sandbox could not be set up (exit status 125).
    """
    argv = list(argv)
    if not argv:
        raise UsageError(
            "no command given (usage: fakeproc run [--kernel PROFILE] [--state FILE] -- CMD [ARGS...])"
        )
    if kernel is not None and state is not None:
        raise UsageError("give either a kernel or a state file, not both")
    found = find_tool(argv[0])
    if found is None:
        raise CommandNotFound(f"{argv[0]}: command not found")
    if "/" not in argv[0] and shutil.which(argv[0]) is None:
        argv[0] = found
    name = choose_backend(backend)
    if name == "namespaces":
        code = launch_namespaces(
            argv,
            kernel=kernel,
            profile=profile,
            state=state,
            ns_label=ns_label,
            identity=identity,
            lock_timeout=lock_timeout,
            notify=notify,
        )
        return RunResult(code, name)
    function = launcher(name)
    with open_kernel(kernel, profile, state, signals=True, lock_timeout=lock_timeout, notify=notify) as k:
        base = None
        if ns_label is not None:
            base = k.namespace_by_label(ns_label)
            if base is None:
                raise UsageError(f"no namespaces labelled {ns_label!r} in this kernel")
        request = LaunchRequest(
            argv=argv,
            kernel=k,
            base=base,
            identity=identity,
            start_mount=partial(start_mount, k, base=base, identity=identity),
            env={"PATH": search_path()},  # a shell in CMD finds sysctl off a normal user's PATH
        )
        code, ran = launch(name, function, request, auto=backend == "auto")
        return RunResult(code, ran)


def run_command(
    argv: Sequence[str],
    *,
    kernel: Kernel | None = None,
    profile: str | None = None,
    state: str | None = None,
    ns_label: str | None = None,
    backend: str = "auto",
    identity: str = "root",
) -> int:
    """:func:`run`, returning only the command's exit status (see :func:`run` for the arguments).

    Returns:
        The command's exit status; 128+N if signal N killed it; 125 if the
        sandbox could not be set up after starting; 127 if the command was not found.
    """
    return run(
        argv, kernel=kernel, profile=profile, state=state, ns_label=ns_label, backend=backend, identity=identity
    ).exit_code
