"""The emulated backend: ``/proc/sys`` for CMD with no FUSE, no namespaces and no root.

The seccomp supervisor of :mod:`fakeproc.backends.seccomp` answers CMD's ``/proc/sys`` opens
with placeholder descriptors and every call on them from a :class:`fakeproc.Kernel`
(see :mod:`fakeproc.backends.emulated._handlers` for what is covered and the stated limits).

>>> from fakeproc.backends.emulated import available
>>> available() is None or isinstance(available(), str)
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fakeproc.errors import UnavailableError

if TYPE_CHECKING:
    from fakeproc.backends import LaunchRequest

__all__ = ["available", "launch", "run_emulated"]


def available() -> str | None:
    """None when CMD can run under the emulated backend here, else one line saying what is
    missing (the seccomp backend's requirements: x86_64, Linux 5.9, a new filter allowed)."""
    from fakeproc.backends.seccomp import available as seccomp_available

    return seccomp_available()


def run_emulated(argv: Sequence[str], *, kernel: Any, env: dict[str, str] | None = None,
                 cwd: str | None = None, identity: str = "root", base: Any = None) -> int:
    """Run ``argv`` with ``/proc/sys`` emulated from ``kernel``; returns its exit status.

    ``identity`` is what the command's user is to the kernel, as for a mount (``"root"``, or
    ``"user"`` for a plain user); ``base`` is the model namespace set the command's own real
    namespaces stand for (default: the initial one).

    ``uname(2)`` is answered from the kernel's ``kernel.hostname``, ``kernel.domainname`` and
    ``kernel.osrelease`` as the caller's namespaces see them, and ``sethostname(2)`` and
    ``setdomainname(2)`` change those keys there (never the host's names).

    Raises:
        UnavailableError: the backend cannot run here (:func:`available` says why).
        CommandNotFound: no such command.
    """
    why = available()
    if why is not None:
        raise UnavailableError(why)
    from fakeproc.backends.emulated._handlers import FD_SYSCALLS, WATCH_FROM, EmulatedHandlers
    from fakeproc.backends.seccomp._abi import NR, bpf_program
    from fakeproc.backends.seccomp._redirect import PATH_SYSCALLS, VIEW_RULES
    from fakeproc.backends.seccomp._supervisor import Supervisor
    from fakeproc.backends.seccomp._uts import UTS_SYSCALLS

    rules: list[tuple[int, tuple[int, ...] | None]] = [
        (NR[name], None) for name in (*PATH_SYSCALLS, "io_uring_setup", "inotify_add_watch", "seccomp", "uname",
                                            *UTS_SYSCALLS)]
    rules += [(NR[name], fds) for name, fds in FD_SYSCALLS.items()]
    rules += VIEW_RULES
    program = bpf_program(rules, watch_low=3, watch_from=WATCH_FROM)
    sup = Supervisor(program, {}, watch_from=WATCH_FROM)
    handlers = EmulatedHandlers(sup, kernel, identity=identity, base=base)
    sup.handlers = handlers.table()
    try:
        return sup.run(argv, env=env, cwd=cwd)
    finally:
        handlers.close()


def launch(request: LaunchRequest) -> int:
    """``fakeproc run --backend emulated``: ``request.argv`` with ``/proc/sys`` emulated from the
    request's kernel (no mount); returns the command's exit status."""
    return run_emulated(list(request.argv), kernel=request.kernel, env={**os.environ, **(request.env or {})},
                        identity=request.identity, base=request.base)
