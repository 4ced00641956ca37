"""The machinery behind the fixtures, usable without pytest: context managers,
unittest decorators and a write-log view."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fakeproc.model import Kernel, WriteRecord
from fakeproc.spec import path_to_key

__all__ = ["WriteLog", "kernel", "procsys", "skip_reason", "with_kernel", "with_procsys", "write_log"]

F = TypeVar("F", bound=Callable[..., Any])


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


@contextlib.contextmanager
def kernel(profile: str | None = None) -> Iterator[Kernel]:
    """A fresh in-process kernel for the block (what the ``fake_kernel`` fixture gives)."""
    yield Kernel(profile)


def skip_reason() -> str | None:
    """Why a FUSE mount cannot be made here, or None if it can."""
    from fakeproc.sandbox import fuse_available

    ok, reason = fuse_available()
    return None if ok else f"fakeproc: FUSE mount unavailable: {reason}"


@contextlib.contextmanager
def procsys(kernel: Kernel | None = None, *, profile: str | None = None, **kwargs: Any) -> Iterator[Any]:
    """A mounted fake ``/proc/sys`` for the block (what the ``fake_procsys`` fixture gives).

    The same as :func:`fakeproc.sandbox.mounted`: the handle has ``.path``,
    ``.kernel`` and ``.run(argv, **subprocess_kwargs)``, which runs a command with
    the tree at ``/proc/sys``.

    Raises:
        UnavailableError: FUSE is not usable here.
    """
    from fakeproc.sandbox import mounted

    with mounted(kernel, profile=profile, **kwargs) as handle:
        yield handle


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
