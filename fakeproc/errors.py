"""Error types: kernel refusals are ``OSError`` with the kernel's errno.

>>> import errno
>>> try:
...     raise_errno(errno.EINVAL, "kernel.sem")
... except OSError as e:
...     (e.errno, e.filename)
(22, 'kernel.sem')
"""

from __future__ import annotations

import os
from typing import NoReturn

__all__ = [
    "CommandNotFound",
    "FakeprocError",
    "ProfileError",
    "StateError",
    "SysctlError",
    "UnavailableError",
    "UsageError",
    "raise_errno",
]


class SysctlError(OSError):
    """A refusal by the (fake) kernel; ``errno`` is the kernel's errno."""


class FakeprocError(Exception):
    """Base of fakeproc's own (non-kernel) failures; the CLI prints one line and exits non-zero."""

    exit_code = 1


class ProfileError(FakeprocError):
    """A profile name is unknown, or a profile file is missing, unreadable or inconsistent."""

    exit_code = 2


class StateError(FakeprocError):
    """A state file cannot be read, understood or written: corrupt, from a newer fakeproc,
    or the disk refused it. The message says which field or what to do (exit status 1)."""


class UsageError(FakeprocError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2


class CommandNotFound(FakeprocError):
    """The command to run under the fake ``/proc/sys`` does not exist (exit status 127, like a shell)."""

    exit_code = 127


class UnavailableError(FakeprocError):
    """A host facility (FUSE, user namespaces, libfuse) is missing; the message says how to get it."""

    exit_code = 2


def raise_errno(err: int, key: str | None = None) -> NoReturn:
    """Raise the kernel's answer ``err`` for ``key`` as a :class:`SysctlError`."""
    raise SysctlError(err, os.strerror(err), key)
