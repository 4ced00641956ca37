"""State files: a kernel saved between commands, safely shared by concurrent runs.

``StateFile(path).open()`` takes an exclusive ``flock`` on ``PATH.lock``, loads
the kernel (or boots one from a profile when the file does not exist yet) and
saves it atomically when the block ends, so two commands on one state file run
one after the other and never corrupt it.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "state.json")
>>> with StateFile(path).open() as k:
...     _ = k.write("kernel.domainname", "saved")
>>> with StateFile(path).open() as k:
...     k.read("kernel.domainname")
'saved\\n'
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakeproc.errors import StateError, UsageError
from fakeproc.model import Kernel

__all__ = ["StateFile", "default_state_path"]


def default_state_path() -> Path:
    """Where commands keep state when no ``--state`` is given:
    ``$FAKEPROC_STATE``, else ``$XDG_STATE_HOME/fakeproc/state.json``
    (``~/.local/state/fakeproc/state.json``)."""
    explicit = os.environ.get("FAKEPROC_STATE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "fakeproc" / "state.json"


class StateFile:
    """A kernel snapshot on disk with a lock beside it (``PATH.lock``)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_state_path()

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive lock (blocks while another command holds it)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise UsageError(f"cannot use state file {self.path}: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def load(self, profile: str | None = None) -> Kernel:
        """The saved kernel, or a freshly booted one from ``profile`` if nothing is saved.

        Raises:
            UsageError: the saved state uses another profile than ``profile``.
            StateError: the file is corrupt or from a newer fakeproc.
        """
        if not self.path.exists():
            return Kernel(profile)
        try:
            kernel = Kernel.load(self.path)
        except StateError as e:
            raise StateError(f"{e} (move it away to start afresh)") from None
        if profile is not None and profile != kernel.profile.name and not Path(profile).exists():
            raise UsageError(
                f"state file {self.path} holds a {kernel.profile.name} kernel, not {profile}; "
                "use another --state file or remove this one"
            )
        return kernel

    def save(self, kernel: Kernel) -> None:
        """Save atomically (write a temporary file, fsync, rename).

        Raises:
            StateError: the state could not be saved; the previous file is intact.
        """
        kernel.save(self.path)

    @contextmanager
    def open(self, profile: str | None = None, *, save: bool = True) -> Iterator[Kernel]:
        """Lock, load, yield the kernel, and save it when the block ends (also on an exception
        inside it, so nothing written before the failure is lost)."""
        with self.locked():
            kernel = self.load(profile)
            try:
                yield kernel
            finally:
                if save:
                    self.save(kernel)
