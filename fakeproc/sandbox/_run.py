"""``fakeproc run``: a command that sees the fake kernel at ``/proc/sys``.

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
files are loaded and saved by the child.

Ctrl-C reaches the command (same terminal process group) and this process
waits for it; SIGTERM and SIGHUP are forwarded. The return value is the
command's exit status, or 128 + the signal number that killed it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from fakeproc.errors import CommandNotFound, FakeprocError, UsageError

if TYPE_CHECKING:
    from fakeproc.model import Kernel

__all__ = ["run_command"]

log = logging.getLogger("fakeproc.sandbox")

_FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT)


def run_command(
    argv: Sequence[str],
    *,
    kernel: Kernel | None = None,
    profile: str | None = None,
    state: str | None = None,
    ns_label: str | None = None,
) -> int:
    """Run ``argv`` with the fake tree at ``/proc/sys``; return its exit status.

    Args:
        argv: The command and its arguments.
        kernel: The kernel to serve (default: a new one from ``profile``, or ``state``).
        profile: Profile for a new kernel.
        state: State file: loaded under its lock at start, saved atomically at the end.
        ns_label: Map the command's own namespaces to the kernel's namespace set
            with this label (``Kernel.namespace_by_label``), as ``fakeproc pod exec`` does.

    Returns:
        The command's exit status; 128+N if signal N killed it; 125 if the
        sandbox could not be set up after starting; 127 if the command was not found.

    Raises:
        UnavailableError: FUSE or user namespaces are missing (the message says how to enable them).
        UsageError: empty command, unknown label, kernel and state both given.
        CommandNotFound: ``argv[0]`` is not an executable on ``PATH`` (exit status 127,
            as a shell gives), checked before anything is mounted.
    """
    argv = list(argv)
    if not argv:
        raise UsageError(
            "no command given (usage: fakeproc run [--kernel PROFILE] [--state FILE] -- CMD [ARGS...])"
        )
    if kernel is not None and state is not None:
        raise UsageError("give either a kernel or a state file, not both")
    if shutil.which(argv[0]) is None:
        raise CommandNotFound(f"{argv[0]}: command not found")
    if os.geteuid() != 0:
        return _run_unprivileged(argv, kernel=kernel, profile=profile, state=state, ns_label=ns_label)
    from fakeproc.sandbox._checks import require_fuse

    require_fuse()
    with _kernel_for(kernel, profile, state) as k:
        return _run_here(argv, k, ns_label)


@contextlib.contextmanager
def _kernel_for(kernel: Kernel | None, profile: str | None, state: str | None) -> Iterator[Kernel]:
    if state is not None:
        from fakeproc.state import StateFile

        with StateFile(state).open(profile=profile) as k, _save_on_signal():
            yield k
        return
    if kernel is None:
        from fakeproc.model import Kernel

        kernel = Kernel(profile)
    yield kernel


@contextlib.contextmanager
def _save_on_signal() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP that arrive outside the command's lifetime into a clean exit (state saved)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    old = {s: signal.signal(s, _exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _run_here(argv: list[str], kernel: Kernel, ns_label: str | None) -> int:
    """Serve ``kernel`` from this process and run the command (root, or root of a user namespace)."""
    # Divergence: as real root the command could still reach the host's /proc/sys through another
    # mount namespace's root (/proc/1/root/proc/sys) or a fresh procfs mount; unmodified tools never do.
    from fakeproc.sandbox._mount import start_mount
    from fakeproc.sandbox._mounts import unmount

    base = None
    if ns_label is not None:
        base = kernel.namespace_by_label(ns_label)
        if base is None:
            raise UsageError(f"no namespaces labelled {ns_label!r} in this kernel")
    handle = start_mount(kernel, base=base)
    try:
        try:
            proc = subprocess.Popen(handle.bind_argv(argv))
        except OSError as e:
            print(f"fakeproc: cannot start the sandbox: {e}", file=sys.stderr)
            return 125
        if _wait_bound(proc):
            # The command's namespace holds its own copy of the mount; the host needs none, and
            # without it nothing is left behind even if this process is killed.
            with contextlib.suppress(OSError):
                unmount(handle.path, lazy=True)
        return _wait(proc)
    finally:
        handle.close()


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


def _wait(proc: subprocess.Popen[bytes]) -> int:
    """Wait for the command, forwarding signals; its status the shell way."""
    main = threading.current_thread() is threading.main_thread()
    old: dict[int, object] = {}

    def forward(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_delivers():
            return  # the terminal sent it to the command's process group already
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signum)

    if main:
        for signum in _FORWARDED:
            old[signum] = signal.signal(signum, forward)
    try:
        while True:
            try:
                rc = proc.wait()
                break
            except KeyboardInterrupt:  # pragma: no cover - only if a handler raised it
                continue
    finally:
        for number, handler in old.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
    return rc if rc >= 0 else 128 - rc


def _terminal_delivers() -> bool:
    """Whether this process is in the terminal's foreground group (so Ctrl-C also hit the command)."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def _run_unprivileged(
    argv: list[str], *, kernel: Kernel | None, profile: str | None, state: str | None, ns_label: str | None
) -> int:
    """Fork a child that becomes root of a new user + mount namespace and runs :func:`_run_here`."""
    from fakeproc.sandbox._checks import require_fuse, require_userns

    require_userns()
    require_fuse(for_userns=True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            from fakeproc.sandbox._mounts import enter_user_namespace

            enter_user_namespace()
            with _kernel_for(kernel, profile, state) as k:
                code = _run_here(argv, k, ns_label)
        except FakeprocError as e:
            print(f"fakeproc: {e}", file=sys.stderr)
            code = e.exit_code
        except OSError as e:
            print(f"fakeproc: {e.strerror or e}", file=sys.stderr)
            code = 125 if e.errno != errno.ENOENT else 127
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:  # noqa: BLE001 - the child must never return into the caller
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    return _wait_pid(pid)


def _wait_pid(pid: int) -> int:
    main = threading.current_thread() is threading.main_thread()
    old: dict[int, object] = {}

    def forward(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_delivers():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    if main:
        for signum in _FORWARDED:
            old[signum] = signal.signal(signum, forward)
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        for number, handler in old.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
