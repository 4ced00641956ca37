"""The ``namespaces`` backend of ``fakeproc run``: the FUSE mount bound over ``/proc/sys`` in a
private mount namespace (plus a user namespace when not root).

As root: the kernel is served from a thread of this process at a private
mountpoint; the command runs in a new mount namespace (propagation private)
where that mount is bound over ``/proc/sys``. As soon as the bind is done, the
mountpoint is detached from the host's mount table, so the host sees no mount
at all and the FUSE session ends by itself when the command's namespace dies
(also when the command is killed or this process is).

As a normal user: this process forks a child that enters a new user + mount
namespace where the user is root (``unshare -Urm``); the child mounts FUSE
directly (no fusermount needed) and proceeds as above. The host's mount table
is never touched. The child works on a copy of an in-process kernel; state
files are loaded and saved by the child. A failure in the child comes back to
this process as an exception (nothing here prints).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import TYPE_CHECKING

from fakeproc.errors import FakeprocError, UnavailableError, UsageError
from fakeproc.sandbox._checks import fuse_problem, userns_problem
from fakeproc.sandbox._kernel import open_kernel
from fakeproc.sandbox._lock import Notify
from fakeproc.sandbox._mount import serving_busy_poll, start_mount
from fakeproc.sandbox._mounts import enter_user_namespace, unmount
from fakeproc.sandbox._process import wait_forwarding
from fakeproc.serve import UTS_KEYS, NamespaceResolver, RealUts, start_in_new_uts

if TYPE_CHECKING:
    from fakeproc.model import Kernel

__all__ = ["LaunchError", "launch_namespaces", "namespaces_problem"]

log = logging.getLogger("fakeproc.sandbox")

#: Exit status when the sandbox could not be set up after starting (as ``unshare``/``env`` use 125).
SETUP_FAILED = 125


class LaunchError(FakeprocError):
    """The sandbox could not be set up; ``exit_code`` is what ``fakeproc run`` exits with."""

    def __init__(self, message: str, exit_code: int = SETUP_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def namespaces_problem() -> str | None:
    """Why the ``namespaces`` backend cannot work here (with the fix), None if it can."""
    if os.geteuid() == 0:
        return fuse_problem()
    return userns_problem() or fuse_problem(for_userns=True)


def launch_namespaces(
    argv: Sequence[str],
    *,
    kernel: Kernel | None,
    profile: str | None,
    state: str | None,
    ns_label: str | None,
    identity: str = "root",
    lock_timeout: float | None = None,
    notify: Notify | None = None,
) -> int:
    """Run ``argv`` with the fake tree bound over ``/proc/sys``; its exit status.

    Raises:
        UnavailableError: FUSE or user namespaces are missing.
        UsageError: unknown ``ns_label``.
        LaunchError: the sandbox could not be started (exit status 125).
    """
    problem = namespaces_problem()
    if problem:
        raise UnavailableError(problem)
    if os.geteuid() != 0:
        opened = partial(open_kernel, kernel, profile, state, signals=True, lock_timeout=lock_timeout, notify=notify)
        return _run_in_user_namespace(list(argv), opened, ns_label, identity)
    with open_kernel(kernel, profile, state, signals=True, lock_timeout=lock_timeout, notify=notify) as k:
        return _run_here(list(argv), k, ns_label, identity)


def _run_here(argv: list[str], kernel: Kernel, ns_label: str | None, identity: str) -> int:
    """Serve ``kernel`` from this process and run the command (root, or root of a user namespace)."""
    # Divergence: as real root the command could still reach the host's /proc/sys through another
    # mount namespace's root (/proc/1/root/proc/sys) or a fresh procfs mount; unmodified tools never do.
    base = None
    if ns_label is not None:
        base = kernel.namespace_by_label(ns_label)
        if base is None:
            raise UsageError(f"no namespaces labelled {ns_label!r} in this kernel")
    with start_mount(kernel, base=base, identity=identity, busy_poll_us=serving_busy_poll()) as handle:
        resolver = handle.resolver
        assert resolver is not None
        try:
            proc = _start_in_private_uts(handle.bind_argv(argv), kernel, resolver)
        except OSError as e:
            raise LaunchError(f"cannot start the sandbox: {e}") from None
        try:
            if _wait_bound(proc):
                # The command's namespace holds its own copy of the mount; the host needs none, and
                # without it nothing is left behind even if this process is killed.
                with contextlib.suppress(OSError):
                    unmount(handle.path, lazy=True)
            return wait_forwarding(proc)
        finally:
            resolver.release_uts()  # the model keeps what `hostname NAME` set (the state file too)


def _start_in_private_uts(argv: list[str], kernel: Kernel, resolver: NamespaceResolver) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a private real UTS namespace named as the resolver's base model one, so
    that ``uname(2)`` in the command follows ``kernel.hostname`` and ``kernel.domainname`` and
    ``sethostname(2)`` there shows in the fake (:meth:`NamespaceResolver.adopt_uts`).

    Where the kernel refuses the namespace, the command starts in this process's own one
    (``uname`` then shows the host's name) and one line is logged.
    """
    base = resolver.base
    names = {key: kernel.read(key, ns=base).rstrip("\n").encode("utf-8", "surrogateescape") for key in UTS_KEYS}

    adopted = []

    def start(real: RealUts) -> subprocess.Popen[bytes]:
        resolver.adopt_uts(real)
        adopted.append(real)
        return subprocess.Popen(argv)

    try:
        return start_in_new_uts(names, start)[1]
    except OSError as e:
        if adopted:
            raise  # the namespace is there; the command itself could not start
        log.warning("no private UTS namespace for the command (%s); uname shows the host's name", e.strerror or e)
        return subprocess.Popen(argv)


def _wait_bound(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> bool:
    """Wait until the child's mount namespace has the fake tree at /proc/sys (False if it exited)."""
    deadline = time.monotonic() + timeout
    path = f"/proc/{proc.pid}/mountinfo"
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open(path, "rb") as f:
                for line in f:
                    fields = line.split(b" ")
                    if len(fields) > 4 and fields[4] == b"/proc/sys" and b" - fuse.fakeproc " in line:
                        return True
        except OSError:
            return False
        time.sleep(0.002)
    return False


def _run_in_user_namespace(
    argv: list[str], opened: Callable[[], AbstractContextManager[Kernel]], ns_label: str | None, identity: str
) -> int:
    """Fork a child that becomes root of a new user + mount namespace and runs :func:`_run_here`.

    The child's failure (one line and an exit status) comes back through a pipe and is
    raised here as :class:`LaunchError` (or the :class:`FakeprocError` it was).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        code = 1
        failure = ""
        try:
            enter_user_namespace()
            with opened() as k:
                code = _run_here(argv, k, ns_label, identity)
        except FakeprocError as e:
            failure, code = str(e), e.exit_code
        except OSError as e:
            failure = e.strerror or str(e)
            code = SETUP_FAILED if e.errno != errno.ENOENT else 127
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException as e:  # noqa: BLE001 - the child must never return into the caller
            failure = "internal error: " + "".join(traceback.format_exception_only(type(e), e)).strip()
            log.debug("%s", traceback.format_exc())
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            with contextlib.suppress(OSError):
                if failure:
                    os.write(w, f"{code}\n{failure}".encode())
                os.close(w)
            os._exit(code)
    os.close(w)
    status = wait_forwarding(pid)
    with os.fdopen(r, "rb") as f:
        report = f.read().decode(errors="replace")
    if report:
        text_code, _, message = report.partition("\n")
        raise LaunchError(message, int(text_code) if text_code.isdigit() else status)
    return status
