"""The seccomp backend in two processes: the model's and the supervisor's.

``fakeproc run --backend seccomp`` forks before anything else starts a thread. The parent keeps
the model: it mounts it (FUSE server threads), answers the child's few questions about it, and
saves the state file afterwards. The child holds the seccomp listener and runs CMD under it.

Why two: every open the supervisor makes in the mount for a caller is a FUSE request, served by a
thread of the process that holds the model. In one process the supervisor thread and the server
thread hand the GIL to each other twice per request (about 125 µs an open here); in two, each
runs on its own interpreter, and on its own CPU when there are two.

What crosses between them:

* **Attribution**: the child publishes "my serving thread acts for pid P" in a slot of a shared
  memfd before each request it makes in the mount (:mod:`fakeproc.serve._proxies`), and the
  server's resolver reads it, so an open binds the caller's namespaces, as in one process.
* **The model's answers** to ``uname(2)``, ``sethostname(2)`` and ``setdomainname(2)``: one
  message each way on a ``SOCK_SEQPACKET`` pair. The child reads the caller's memory and makes
  every check that needs none of the model (:func:`~fakeproc.backends.seccomp._uts.uts_handlers`);
  the parent makes the permission check and stores the name.
* **The end**: the child sends CMD's exit status, or the error that kept it from starting.

The child dies with the parent (``PR_SET_PDEATHSIG``), as the supervisor thread did in one
process; SIGTERM and SIGHUP to the parent are forwarded to the child, which forwards them to CMD,
and the parent ignores SIGINT while CMD runs (Ctrl-C reaches CMD through the terminal).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from fakeproc import errors
from fakeproc.backends.seccomp import _abi
from fakeproc.backends.seccomp._uts import UTS_SYSCALLS, UtsApply
from fakeproc.errors import FakeprocError

__all__ = ["can_fork", "run_split"]

log = logging.getLogger("fakeproc.backends.seccomp")

_KEYS = tuple(UTS_SYSCALLS.values())
_SET = struct.Struct("<iiB")  # caller pid, its errno so far, index into _KEYS
_MAX = 1 << 16


def can_fork() -> bool:
    """Whether this process may fork the supervisor: no other thread runs (a forked child gets
    only the forking thread, and any lock another one held stays locked in it)."""
    return threading.active_count() == 1


def run_split(
    argv: Sequence[str],
    *,
    start_mount: Callable[[], Any],
    env: Mapping[str, str] | None = None,
    uname: Callable[[], dict[str, str]] | None = None,
    uts: UtsApply | None = None,
) -> int:
    """Fork the supervisor, mount with ``start_mount()`` here, run ``argv`` there; CMD's exit status.

    Args:
        argv: The command.
        start_mount: Mounts the model (a handle with ``path``, ``session.resolver`` and ``close()``).
        env: CMD's environment.
        uname: Answers ``uname(2)`` (here, from the model).
        uts: The model's side of ``sethostname(2)``/``setdomainname(2)``
            (:func:`~fakeproc.backends.seccomp._uts.model_apply`).

    Raises:
        UnavailableError, CommandNotFound: as :func:`~fakeproc.backends.seccomp.run_redirected`.
    """
    # Imported here, before the fork: the child would import them again on each run.
    from fakeproc.backends.seccomp import _redirect  # noqa: F401
    from fakeproc.serve._proxies import SharedProxies

    table = SharedProxies()
    slot = table.reserve()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    parent = os.getpid()
    child = os.fork()
    if child == 0:  # pragma: no cover - the supervisor's process (its coverage is not collected)
        status = 70
        try:
            ours.close()
            status = _supervise(theirs, parent, table.fd, slot, list(argv), env, uname is not None, uts is not None)
        except BaseException:
            log.exception("fakeproc: the supervisor process failed")
        finally:
            os._exit(status)
    theirs.close()
    handle = None
    ended = False
    try:
        with _forwarding(child):
            try:
                handle = start_mount()
            except BaseException:
                ours.send(b"")  # the child ends without starting CMD
                raise
            resolver = handle.session.resolver
            if resolver is not None:
                resolver.share_proxies(table)
            ours.send(os.fsencode(handle.path))
            end = _answer(ours, child, uname, uts)
            ended = True  # the child has reported: it exits now
            if "error" in end:
                raise getattr(errors, end["error"], FakeprocError)(end["message"])
            return int(end["status"])
    finally:
        try:
            if handle is not None:
                handle.close()
        finally:
            ours.close()
            _reap(child, wait=ended)
            table.close()


def _answer(sock: socket.socket, child: int, uname: Callable[[], dict[str, str]] | None,
            uts: UtsApply | None) -> dict[str, Any]:
    """Answer the child until it reports the end: ``{"status": N}`` or ``{"error": class name,
    "message": ...}``."""
    while True:
        msg = sock.recv(_MAX)
        kind = msg[:1]
        if kind == b"U" and uname is not None:
            sock.send(json.dumps(uname()).encode())
        elif kind == b"S" and uts is not None:
            pid, err, key = _SET.unpack_from(msg, 1)
            sock.send(struct.pack("<i", uts(pid, _KEYS[key], err, msg[1 + _SET.size:])))
        elif kind == b"X":
            end: dict[str, Any] = json.loads(msg[1:])
            return end
        else:
            e = FakeprocError(f"fakeproc: the supervisor process ended unexpectedly ({_how_it_ended(child)})")
            e.exit_code = 125
            raise e


def _how_it_ended(child: int) -> str:
    with contextlib.suppress(ChildProcessError):
        _, status = os.waitpid(child, 0)
        if os.WIFSIGNALED(status):
            return f"killed by signal {os.WTERMSIG(status)}"
        return f"exit status {os.waitstatus_to_exitcode(status)}"
    return "no status"


def _reap(child: int, *, wait: bool) -> None:
    """Collect the child: after its report (``wait``), once it exits; else (an error here) it may
    still run CMD, so it is stopped first, and CMD with it."""
    with contextlib.suppress(ChildProcessError):
        pid, _ = os.waitpid(child, 0 if wait else os.WNOHANG)
        if pid == 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
            os.waitpid(child, 0)


@contextlib.contextmanager
def _forwarding(child: int) -> Iterator[None]:
    """SIGTERM and SIGHUP go to the child; SIGINT is ignored (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    old[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------------- the supervisor's process


def _supervise(sock: socket.socket, parent: int, table_fd: int, slot: int, argv: list[str],
               env: Mapping[str, str] | None, with_uname: bool, with_uts: bool) -> int:  # pragma: no cover
    """The child: wait for the mount, run CMD against it, report the end; its own exit status."""
    from fakeproc.backends.seccomp._redirect import supervisor_for
    from fakeproc.serve._proxies import Acting

    _abi.libc.prctl(_abi.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # until the supervisor's own handlers are set
    path = sock.recv(_MAX)
    if not path:
        return 0
    acting = Acting(table_fd, slot)

    def uname() -> dict[str, str]:
        sock.send(b"U")
        answer: dict[str, str] = json.loads(sock.recv(_MAX))
        return answer

    def set_uts(pid: int, key: str, err: int, name: bytes) -> int:
        sock.send(b"S" + _SET.pack(pid, err, _KEYS.index(key)) + name)
        return int(struct.unpack("<i", sock.recv(4))[0])

    sup, handlers = supervisor_for(os.fsdecode(path), uname if with_uname else None, None, acting.on,
                                           set_uts if with_uts else None)
    end: dict[str, Any]
    try:
        end = {"status": sup.run(argv, env=env)}
    except FakeprocError as e:
        end = {"error": type(e).__name__, "message": str(e)}
    finally:
        handlers.close()
    sock.send(b"X" + json.dumps(end).encode())
    return 0
