"""The seccomp backend: CMD's ``/proc/sys`` lookups redirected into a mounted fake, no namespaces.

CMD runs under a seccomp filter whose user-notification listener fakeproc holds. Only the
path-taking syscalls (open, openat, openat2, the stat family, access, readlink, chdir) are
notified; those that resolve into ``/proc/sys`` get the answer of the fake mounted at
``mountpoint`` (an open gets the mount's descriptor injected), everything else continues.

>>> from fakeproc.backends.seccomp import available
>>> available() is None or isinstance(available(), str)
True
"""

from __future__ import annotations

import ctypes
import os
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from fakeproc._env import env_number
from fakeproc.errors import UnavailableError

if TYPE_CHECKING:
    from fakeproc.backends import LaunchRequest
    from fakeproc.backends.seccomp._redirect import RedirectHandlers
    from fakeproc.backends.seccomp._supervisor import Supervisor
    from fakeproc.backends.seccomp._uts import UtsApply, UtsTarget

__all__ = ["MIN_KERNEL", "SPLIT_BUSY_POLL_US", "available", "busy_poll_us", "launch", "redirecting_supervisor",
           "run_redirected", "uname_of", "uts_target_of"]

MIN_KERNEL = (5, 9)
"""SECCOMP_IOCTL_NOTIF_ADDFD; SECCOMP_USER_NOTIF_FLAG_CONTINUE is 5.5, user notification 5.0."""
SEND_KERNEL = (5, 14)
"""SECCOMP_ADDFD_FLAG_SEND: without it an open is answered in two steps (still correct)."""

KERNEL_OVERRIDE_ENV = "FAKEPROC_SECCOMP_KERNEL"
"""Tests set this to a release string to simulate another kernel in :func:`available`."""


def _release() -> tuple[int, int]:
    text = os.environ.get(KERNEL_OVERRIDE_ENV) or os.uname().release
    m = re.match(r"(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


_checked: dict[tuple[int, str, bytes], str | None] = {}


def available() -> str | None:
    """None when this process can run commands under the seccomp backend, else one line saying
    what is missing and how to get it.

    The answer is kept while this process, its seccomp filters and the kernel override stay the
    same: the check forks a child, which costs a large Python process milliseconds per command.
    """
    key = (os.getpid(), os.environ.get(KERNEL_OVERRIDE_ENV, ""), _seccomp_filters())
    if key not in _checked:
        _checked.clear()
        _checked[key] = _available()
    return _checked[key]


def _seccomp_filters() -> bytes:
    """This process's ``Seccomp:`` mode and ``Seccomp_filters:`` count (a new filter may forbid more)."""
    try:
        with open("/proc/self/status", "rb") as f:
            return b"".join(line for line in f if line.startswith(b"Seccomp"))
    except OSError:
        return b""


def _available() -> str | None:
    from fakeproc.backends.seccomp import _abi

    if not _abi.x86_64():
        return "fakeproc: the seccomp backend supports x86_64 only (this machine is " + os.uname().machine + ")"
    release = _release()
    if release < MIN_KERNEL:
        return (f"fakeproc: kernel {release[0]}.{release[1]} is too old for the seccomp backend (it needs "
                f"{MIN_KERNEL[0]}.{MIN_KERNEL[1]} for SECCOMP_IOCTL_NOTIF_ADDFD); use the namespaces backend "
                "or a newer kernel")
    try:
        with open("/proc/sys/kernel/seccomp/actions_avail") as f:
            actions = f.read().split()
    except OSError:
        actions = []
    if "user_notif" not in actions:
        return ("fakeproc: this kernel has no seccomp user notification (user_notif missing from "
                "/proc/sys/kernel/seccomp/actions_avail; CONFIG_SECCOMP_FILTER)")
    return _probe_filter()


def _probe_filter() -> str | None:
    """Install a listener filter in a throw-away child: a seccomp policy may refuse it."""
    from fakeproc.backends.seccomp import _abi
    from fakeproc.backends.seccomp._supervisor import SockFprog, has_cap_sys_admin

    prog = _abi.bpf_program([(_abi.NR["io_uring_setup"], None)])
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = SockFprog(len(prog) // 8, ctypes.addressof(buf))
    need_nnp = not has_cap_sys_admin()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(r)
        err = 0
        if need_nnp and _abi.libc.prctl(_abi.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or _abi.libc.syscall(ctypes.c_long(_abi.NR["seccomp"]), ctypes.c_long(_abi.SECCOMP_SET_MODE_FILTER),
                               ctypes.c_long(_abi.SECCOMP_FILTER_FLAG_NEW_LISTENER), ctypes.byref(fprog)) < 0:
            err = ctypes.get_errno()
        os.write(w, str(err).encode())
        os._exit(0)
    os.close(w)
    try:
        data = os.read(r, 16)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    err = int(data or b"0")
    if err:
        return (f"fakeproc: a new seccomp filter is refused here ({os.strerror(err)}): a seccomp policy "
                "(e.g. a container's default profile) forbids seccomp(2); allow seccomp in the profile, or "
                "use the namespaces backend")
    return None


def run_redirected(
    argv: Sequence[str],
    *,
    mountpoint: str,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    uname: Callable[[], dict[str, str]] | None = None,
    uts: UtsTarget | None = None,
    acting_for: Callable[[int], AbstractContextManager[None]] | None = None,
    shared: tuple[str | int, int] | None = None,
) -> int:
    """Run ``argv`` with ``/proc/sys`` answered from the fake mounted at ``mountpoint``.

    Args:
        argv: The command.
        mountpoint: A mounted fake ``/proc/sys`` (e.g. ``fakeproc.mounted().path``).
        env: The command's environment (default: ours).
        cwd: Its working directory.
        uname: Answers ``uname(2)``: a dict with any of ``nodename``, ``domainname``, ``release``.
        uts: Answers ``sethostname(2)`` and ``setdomainname(2)`` from the model instead of the
            host (:func:`uts_target_of`); give it with ``uname`` (without it, the real calls run).
        acting_for: For a mount served by this process, its resolver's ``acting_for``
            (``handle.session.resolver.acting_for``): the caller's namespaces are then bound at
            the supervisor's opens, as a direct open would bind them.
        shared: For a mount served by another process: its resolver's shared table (the path
            or descriptor of ``resolver.share_proxies()``) and the slot reserved there for this
            supervisor (``.reserve()``), which then does what ``acting_for`` does.

    Returns:
        The command's exit status (128+N if signal N killed it).

    Raises:
        UnavailableError: the backend cannot run here (:func:`available` says why).
        CommandNotFound: no such command.
    """
    why = available()
    if why is not None:
        raise UnavailableError(why)
    if shared is not None:
        from fakeproc.serve._proxies import Acting

        acting_for = Acting(*shared).on
    sup, handlers = redirecting_supervisor(mountpoint, uname, uts, acting_for)
    try:
        return sup.run(argv, env=env, cwd=cwd)
    finally:
        handlers.close()


def redirecting_supervisor(
    mountpoint: str, uname: Callable[[], dict[str, str]] | None = None, uts: UtsTarget | None = None,
    acting_for: Callable[[int], AbstractContextManager[None]] | None = None, uts_apply: UtsApply | None = None,
) -> tuple[Supervisor, RedirectHandlers]:
    """The :class:`~fakeproc.backends.seccomp._supervisor.Supervisor` of :func:`run_redirected`
    and its :class:`~fakeproc.backends.seccomp._redirect.RedirectHandlers` (which the
    caller closes), not yet started."""
    from fakeproc.backends.seccomp._redirect import supervisor_for

    return supervisor_for(mountpoint, uname, uts, acting_for, uts_apply)


def uname_of(kernel: Any, nsset: Any) -> Callable[[], dict[str, str]]:
    """``uname(2)``'s answer from ``kernel`` as ``nsset`` sees it, read at each call."""

    def answer() -> dict[str, str]:
        return {field: kernel.read(key, ns=nsset).rstrip("\n")
                for field, key in (("nodename", "kernel.hostname"), ("domainname", "kernel.domainname"),
                                   ("release", "kernel.osrelease"))}

    return answer


def uts_target_of(nsset: Any, identity: str = "root", kernel: Any = None) -> UtsTarget:
    """Where ``sethostname(2)``/``setdomainname(2)`` go: ``nsset``'s UTS namespace (the one
    :func:`uname_of` reads), with the caller's ids mapped as a mount served with ``identity``
    maps them (``"root"``: the supervisor's user is root of the fake); ``kernel`` (the model
    ``nsset`` belongs to) gets the poll notification of each change."""
    from fakeproc.backends.seccomp._uts import model_caller
    from fakeproc.serve import Identity

    ids = Identity.of_this_process(identity)
    return lambda pid: (nsset.uts, model_caller(pid, ids), kernel)


SPLIT_BUSY_POLL_US = 200.0
"""The busy-poll (µs) of the server process in front of the supervisor's process, when a CPU is
free for it: its requests come at the pace of the notifications the command makes between them
(about 150 µs apart for ``sysctl -a``), and a server that has gone to sleep costs the wake-up of
a halted vCPU on each (docs/mount.md, "Speed of the seccomp and emulated backends")."""


def busy_poll_us() -> float:
    """``$FAKEPROC_FUSE_BUSY_POLL_US`` when set (0 turns it off); else :data:`SPLIT_BUSY_POLL_US`
    while the 1-minute load average leaves a CPU free, and 0 otherwise.

    Measured with ``sysctl -a`` on 2 vCPUs: idle, 200 µs took its supervisor from 600 to 365 ms
    (50 µs: 480 ms); with another process using one CPU, 200 µs took it from 293 to 485 ms, as
    the spinning server then takes the CPU the command and the supervisor need.
    """
    if "FAKEPROC_FUSE_BUSY_POLL_US" in os.environ:
        return env_number("FAKEPROC_FUSE_BUSY_POLL_US", 0.0)
    cpus = len(os.sched_getaffinity(0))
    return SPLIT_BUSY_POLL_US if os.getloadavg()[0] <= cpus - 1 else 0.0


def launch(request: LaunchRequest) -> int:
    """``fakeproc run --backend seccomp``: a private FUSE mount of the request's kernel, and
    ``request.argv`` run under the supervisor against it; returns the command's exit status.

    The supervisor runs in a process of its own, forked before the mount starts its threads
    (:mod:`fakeproc.backends.seccomp._split`); where another thread already runs, in this one.
    """
    from fakeproc.backends.seccomp._split import can_fork, run_split
    from fakeproc.backends.seccomp._uts import model_apply
    from fakeproc.serve import serving_hold_ms

    env = {**os.environ, **(request.env or {})}
    base = request.base or request.kernel.init_ns
    uname, uts = uname_of(request.kernel, base), uts_target_of(base, request.identity, request.kernel)
    if can_fork():
        why = available()
        if why is not None:
            raise UnavailableError(why)
        # The server keeps idle CPUs polling while the supervisor's requests come, busy-polling or
        # not: each one otherwise wakes the halted vCPU of the supervisor waiting for it.
        return run_split(list(request.argv),
                         start_mount=lambda: request.start_mount(busy_poll_us=busy_poll_us(),
                                                                 latency_hold_ms=serving_hold_ms()),
                         env=env, uname=uname, uts=model_apply(uts))
    handle = request.start_mount()
    try:
        resolver = handle.session.resolver
        return run_redirected(list(request.argv), mountpoint=handle.path, env=env, uname=uname, uts=uts,
                              acting_for=resolver.acting_for if resolver is not None else None)
    finally:
        handle.close()
