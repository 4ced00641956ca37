"""The machinery behind the fixtures, usable without pytest: context managers,
unittest decorators, a write-log view, and per-example isolation (:meth:`FakeKernel.reset`)."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fakeproc._env import env_number
from fakeproc.model import Kernel, WriteRecord
from fakeproc.spec import path_to_key

__all__ = [
    "FakeKernel",
    "ProcSys",
    "WriteLog",
    "kernel",
    "procsys",
    "reset",
    "skip_reason",
    "with_kernel",
    "with_procsys",
    "write_log",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Seconds :meth:`ProcSys.run` lets a command run by default (``$FAKEPROC_RUN_TIMEOUT`` overrides).
DEFAULT_RUN_TIMEOUT = 60.0


class _FromEnvironment:
    """The default of :meth:`ProcSys.run`'s ``timeout``: ``$FAKEPROC_RUN_TIMEOUT`` or
    :data:`DEFAULT_RUN_TIMEOUT`, read at the call."""

    def __repr__(self) -> str:
        return "$FAKEPROC_RUN_TIMEOUT or 60"


_RUN_TIMEOUT = _FromEnvironment()


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL ``proc``'s process group (its own session), or ``proc`` alone if that fails."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(OSError):
            proc.kill()


class WriteLog:
    """A view of a kernel's write log for assertions.

    Each record has ``key``, ``data`` (the bytes of one ``write(2)``), ``pos``,
    ``namespaces`` (ids), ``pid``, ``comm``, ``count`` (bytes consumed) and
    ``errno`` (0 on success).

    >>> k = Kernel("6.18")
    >>> log = write_log(k)
    >>> k.write("vm.swappiness", "10\\n")
    3
    >>> log.keys(), log.records[-1].data, log.records[-1].errno
    (['vm.swappiness'], b'10\\n', 0)
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    @property
    def records(self) -> list[WriteRecord]:
        """Every recorded write, oldest first."""
        return list(self.kernel.write_log)

    def keys(self) -> list[str]:
        """Keys written to, in first-write order, each once."""
        return list(dict.fromkeys(r.key for r in self.kernel.write_log))

    def for_key(self, key: str) -> list[WriteRecord]:
        """The writes to ``key`` (dotted key or ``/proc/sys``-relative path)."""
        want = path_to_key(key) if "/" in key and "." not in key.split("/")[0] else key
        return [r for r in self.kernel.write_log if r.key == want]

    def failed(self) -> list[WriteRecord]:
        """The writes the kernel refused."""
        return [r for r in self.kernel.write_log if r.errno]

    def by(self, comm: str) -> list[WriteRecord]:
        """The writes made by processes whose command name is ``comm``."""
        return [r for r in self.kernel.write_log if r.comm == comm]

    def clear(self) -> None:
        """Forget the recorded writes."""
        self.kernel.clear_write_log()

    def assert_keys(self, expected: Iterable[str]) -> None:
        """Assert that exactly the keys ``expected`` were written (in any order), and nothing else.

        Raises:
            AssertionError: listing the unexpected and the missing keys.
        """
        want = set(expected)
        got = set(self.keys())
        if want != got:
            raise AssertionError(f"unexpected writes: {sorted(got - want)}; missing writes: {sorted(want - got)}")

    def __len__(self) -> int:
        return len(self.kernel.write_log)

    def __iter__(self) -> Iterator[WriteRecord]:
        return iter(self.records)

    def __repr__(self) -> str:
        return f"<WriteLog {len(self)} writes to {self.keys()!r}>"


def write_log(obj: Any) -> WriteLog:
    """The :class:`WriteLog` of a :class:`~fakeproc.Kernel` or of a mount handle (its ``.kernel``)."""
    return WriteLog(obj if isinstance(obj, Kernel) else obj.kernel)


def reset(obj: Any, *, devices: Iterable[str] = ()) -> None:
    """Put a kernel (or a mount handle's kernel) back in its boot state, in place.

    Every written value is lost, every namespace but the initial ones is gone,
    the write log and the kernel log (``dmesg``) are empty, ``attachments`` are
    cleared, and the initial net namespace has the profile's boot devices plus
    ``devices``. The initial namespace objects stay the same objects, so a live
    mount keeps serving the reset kernel without remounting. Built on
    :meth:`Kernel.reboot` (about 0.15 ms; see ``benchmarks/bench_reset.py``).

    >>> k = Kernel("6.18")
    >>> k.write("vm.swappiness", "10")
    2
    >>> reset(k, devices=["eth0.100"])
    >>> k.read("vm.swappiness"), len(k.write_log), k.exists("net.ipv4.conf.eth0/100.rp_filter")
    ('60\\n', 0, True)

    Raises:
        UsageError: a device name is invalid.
    """
    k = obj if isinstance(obj, Kernel) else obj.kernel
    k.reboot()
    k.clear_write_log()
    k.dmesg.clear()
    k.attachments.clear()
    for name in devices:
        if name not in k.init_ns.net.devices:
            k.add_device(k.init_ns, name)


class FakeKernel(Kernel):
    """The kernel the fixtures and :func:`kernel` give: a :class:`~fakeproc.Kernel` that can be
    reset to its boot state (plus its fixture's devices) between Hypothesis examples.

    Attributes:
        devices: Network devices (beyond the profile's boot devices) this kernel has at
            boot and after every :meth:`reset` (``@pytest.mark.kernel_devices(...)``).
    """

    def __init__(self, profile: Any = None, *, devices: Iterable[str] = ()) -> None:
        super().__init__(profile)
        self.devices = tuple(devices)
        for name in self.devices:
            if name not in self.init_ns.net.devices:
                self.add_device(self.init_ns, name)

    def reset(self, *, devices: Iterable[str] = ()) -> None:
        """Back to the boot state with :attr:`devices` (and ``devices``), write log cleared
        (see :func:`reset`). Call it first thing in a ``@given`` test body."""
        reset(self, devices=(*self.devices, *devices))


class ProcSys:
    """A mounted fake ``/proc/sys`` (what ``fake_procsys`` and :func:`procsys` give).

    Attributes:
        path: The mountpoint.
        kernel: The served kernel (in this process).
        handle: The underlying :class:`fakeproc.sandbox.MountHandle`.
    """

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.path: str = handle.path
        self.kernel: Kernel = handle.kernel

    def run(self, argv: Any, *, timeout: float | None | _FromEnvironment = _RUN_TIMEOUT, input: Any = None,
            capture_output: bool = False, check: bool = False, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        """Run ``argv`` with the fake tree at ``/proc/sys`` in a private mount namespace.

        Like :func:`subprocess.run` (``capture_output``, ``text``, ``input``, ``env``,
        ``check``...), with two differences that keep a test from hanging: the command
        runs in its own session, and after ``timeout`` seconds (default
        ``$FAKEPROC_RUN_TIMEOUT`` or 60; None waits forever) its whole process group is
        killed and :class:`subprocess.TimeoutExpired` raised. A tool that loops on a
        write the fake kernel answers with 0 bytes (stdio retries those forever) then
        fails the example instead of stalling Hypothesis's shrinking.
        """
        if isinstance(timeout, _FromEnvironment):
            timeout = env_number("FAKEPROC_RUN_TIMEOUT", DEFAULT_RUN_TIMEOUT)
        if capture_output:
            kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
        if input is not None:
            kwargs["stdin"] = subprocess.PIPE
        kwargs.setdefault("start_new_session", True)
        argv = list(argv)
        with self.handle.popen(argv, **kwargs) as proc:
            try:
                out, err = proc.communicate(input, timeout=timeout)
            except BaseException:  # timeout, KeyboardInterrupt (SIGTERM under pytest)
                _kill_group(proc)
                proc.communicate()
                raise
            result = subprocess.CompletedProcess(argv, proc.returncode, out, err)
        if check:
            result.check_returncode()
        return result

    def reset(self, *, devices: Iterable[str] = ()) -> None:
        """Reset the served kernel to its boot state without remounting (see :func:`reset`).

        Divergence: the host kernel may keep a lookup of a device that the reset
        removed for up to the mount's ``attr_timeout``; opening it then fails
        with ENOENT as a removed device's files do.
        """
        own = getattr(self.kernel, "devices", ())
        reset(self.kernel, devices=(*own, *devices))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __repr__(self) -> str:
        return f"<ProcSys {self.path} {self.kernel!r}>"


@contextlib.contextmanager
def kernel(profile: str | None = None, *, devices: Iterable[str] = ()) -> Iterator[FakeKernel]:
    """A fresh in-process kernel for the block (what the ``fake_kernel`` fixture gives),
    with ``devices`` added to its initial net namespace (kept across :meth:`FakeKernel.reset`)."""
    yield FakeKernel(profile, devices=devices)


def skip_reason() -> str | None:
    """Why a FUSE mount cannot be made here, or None if it can."""
    from fakeproc.sandbox import mount_problem

    reason = mount_problem()
    return None if reason is None else f"fakeproc: FUSE mount unavailable: {reason}"


@contextlib.contextmanager
def procsys(kernel: Kernel | None = None, *, profile: str | None = None, **kwargs: Any) -> Iterator[ProcSys]:
    """A mounted fake ``/proc/sys`` for the block (what the ``fake_procsys`` fixture gives).

    :func:`fakeproc.mounted` wrapped in a :class:`ProcSys`: ``.path``, ``.kernel``,
    ``.run(argv, **subprocess_kwargs)`` (a command with the tree at ``/proc/sys``)
    and ``.reset()`` (boot state again, without remounting). Without ``kernel``, a
    :class:`FakeKernel` of ``profile`` is served.

    Raises:
        UnavailableError: FUSE is not usable here.
    """
    from fakeproc.sandbox import mounted

    if kernel is None and kwargs.get("state") is None:
        kernel = FakeKernel(profile)
    with mounted(kernel, profile=profile, **kwargs) as handle:
        yield ProcSys(handle)


def with_kernel(profile: str | None = None) -> Callable[[F], F]:
    """Decorator: call the function with a fresh :class:`~fakeproc.Kernel` as an extra
    last positional argument (for ``unittest`` test methods).

    >>> @with_kernel("6.18")
    ... def check(k):
    ...     return k.read("kernel.ostype")
    >>> check()
    'Linux\\n'
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            with kernel(profile) as k:
                return fn(*args, k, **kw)

        return wrapper  # type: ignore[return-value]

    return decorate


def with_procsys(profile: str | None = None, **options: Any) -> Callable[[F], F]:
    """Decorator: call the function with a mounted fake ``/proc/sys`` handle as an extra
    last positional argument; raise :class:`unittest.SkipTest` where FUSE is unusable.

    ``options`` go to :func:`procsys`.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            reason = skip_reason()
            if reason is not None:
                import unittest

                raise unittest.SkipTest(reason)
            with procsys(profile=profile, **options) as handle:
                return fn(*args, handle, **kw)

        return wrapper  # type: ignore[return-value]

    return decorate
