"""Backends: how a program's file operations on ``/proc/sys`` reach the serving core.

Each backend is a thin adapter over :class:`fakeproc.serve.Session`:

* :mod:`fakeproc.backends.fuse`: a FUSE mount (``fakeproc mount``, ``mounted()``, the
  fixtures, and ``fakeproc run``'s ``namespaces`` backend, which binds it over ``/proc/sys``
  in a private mount namespace);
* :mod:`fakeproc.backends.seccomp`: ``fakeproc run``'s ``seccomp`` backend, for hosts without
  user namespaces: seccomp user notification redirects CMD's ``/proc/sys`` lookups into a
  private FUSE mount (no namespaces, no root);
* :mod:`fakeproc.backends.emulated`: ``fakeproc run``'s ``emulated`` backend, for hosts without
  FUSE: the same supervisor emulates the descriptors itself from the model.

A ``fakeproc run`` backend other than ``namespaces`` is a *launcher*: a callable that
takes a :class:`LaunchRequest` and returns the command's exit status. It gets everything
it needs from the request (including a way to start a FUSE mount of the kernel, so it
never imports :mod:`fakeproc.sandbox`). Each such package provides, at its top level:

* ``available() -> str | None``: None where the ``seccomp`` backend works here, else the
  reason, with the fix (one line);
* ``launch(request: LaunchRequest) -> int``: run ``request.argv`` under it;

>>> LAUNCHERS["seccomp"]
('fakeproc.backends.seccomp', 'available', 'launch')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fakeproc.model import Kernel, NamespaceSet
    from fakeproc.serve import Session

__all__ = ["LAUNCHERS", "LaunchRequest", "Launcher", "MountLike"]


class MountLike(Protocol):
    """A live FUSE mount of the request's kernel (a :class:`fakeproc.sandbox.MountHandle`)."""

    path: str
    session: Session  #: the serving session (its resolver attributes requests to callers)

    def close(self) -> None: ...


@dataclass(frozen=True)
class LaunchRequest:
    """What a launcher needs to run one command against the fake kernel.

    Attributes:
        argv: The command (``argv[0]`` was found on the search path).
        kernel: The kernel to serve (already loaded; a state file is saved by the caller
            after the launcher returns).
        base: The model namespaces the command's own namespaces map to (None: the initial ones).
        identity: What the command's user is to the kernel: ``"root"`` or ``"user"``
            (see :class:`fakeproc.serve.Identity`).
        start_mount: Starts a FUSE mount of ``kernel`` served from this process (with
            ``base`` and ``identity`` applied) at a private mountpoint; the launcher must
            ``close()`` it. Keyword arguments go to :func:`fakeproc.sandbox.start_mount`.
        env: Extra environment for the command (None: inherit).
    """

    argv: Sequence[str]
    kernel: Kernel
    base: NamespaceSet | None
    identity: str
    start_mount: Callable[..., MountLike]
    env: dict[str, str] | None = None


#: A ``fakeproc run`` backend: runs the request, returns the command's exit status.
Launcher = Callable[[LaunchRequest], int]

#: Backends provided by optional packages: name -> (module, availability function, launcher).
LAUNCHERS: dict[str, tuple[str, str, str]] = {
    "seccomp": ("fakeproc.backends.seccomp", "available", "launch"),
    "emulated": ("fakeproc.backends.emulated", "available", "launch"),
}


