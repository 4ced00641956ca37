"""A tiny fake kernel around one handler: a ``HandlerEnv`` and a file-like driver.

``Sysctl`` plays the kernel model's part (store ``Result.value`` even on error,
because vector handlers store element by element) and the userspace part (a
writer that resends the rest after a short write at the returned position, and
``dd``-style fixed-size writes).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

import pytest

from fakeproc.handlers import HANDLERS, Request, Result, Value
from fakeproc.spec import SysctlSpec

__all__ = ["FakeEnv", "Sysctl", "make_sysctl"]


@dataclass
class FakeEnv:
    """A ``HandlerEnv`` with settable facts; ``values`` answers ``lookup``."""

    hz: int = 250
    user_hz: int = 100
    writes_strict: int = 1
    constants: dict[str, int] = field(default_factory=lambda: {"TAINT_FLAGS_COUNT": 20})
    legacy: frozenset[str] = frozenset()
    values: dict[str, Value] = field(default_factory=dict)
    caps: frozenset[str] = frozenset({"CAP_SYS_ADMIN"})
    #: The caller's user namespace gid map: ((first inside gid, first kernel gid, count), ...).
    gid_map: tuple[tuple[int, int, int], ...] = ((0, 0, 2**32 - 1),)
    logs: list[str] = field(default_factory=list)
    initial: bool = True  # the caller's namespaces are the initial ones
    #: The entry's values in the ancestors of the caller's namespace, nearest first.
    ancestors: list[Value] = field(default_factory=list)

    def ancestor_values(self) -> list[Value]:
        return list(self.ancestors)

    def lookup(self, key: str) -> Value:
        return self.values[key]

    def capable(self, capability: str) -> bool:
        return capability in self.caps

    def constant(self, name: str) -> int:
        return self.constants[name]

    def make_kgid(self, gid: int) -> int | None:
        return next((low + gid - first for first, low, n in self.gid_map if first <= gid < first + n), None)

    def from_kgid(self, kgid: int) -> int | None:
        return next((first + kgid - low for first, low, n in self.gid_map if low <= kgid < low + n), None)

    def log(self, message: str) -> None:
        self.logs.append(message)

    def initial_namespace(self, type: object) -> bool:
        return self.initial


class Sysctl:
    """One entry with its current value, driven like a file."""

    def __init__(self, handler: str, spec: SysctlSpec, value: Value, env: FakeEnv) -> None:
        self.handler = HANDLERS[handler]
        self.spec = spec
        self.value = value
        self.env = env

    def call(self, data: bytes | None, pos: int = 0, size: int | None = None) -> Result:
        """One read(2) (``data`` None) or write(2); stores the result's value."""
        if size is None:
            size = len(data) if data is not None else 4096
        res = self.handler.call(Request(self.spec, self.value, pos, data, size, self.env))
        self.value = res.value
        return res

    def write(self, data: bytes, pos: int = 0) -> Result:
        return self.call(data, pos)

    def read(self, size: int = 4096, pos: int = 0) -> Result:
        return self.call(None, pos, size)

    def cat(self) -> bytes:
        """Read until EOF with a 128 KiB buffer, like ``cat``."""
        out = b""
        pos = 0
        while True:
            res = self.read(131072, pos)
            assert res.errno == 0, errno.errorcode[res.errno]
            if not res.output:
                return out
            out += res.output
            pos = res.pos

    def echo(self, data: bytes) -> int:
        """Write all of ``data`` at offset 0, resending the rest after short writes; 0 or errno."""
        pos = 0
        while data:
            res = self.write(data, pos)
            if res.errno:
                return res.errno
            if res.count == 0:
                return 0
            data = data[res.count :]
            pos = res.pos
        return 0

    def dd(self, data: bytes, bs: int, seek: int = 0) -> int:
        """``dd bs=BS seek=SEEK``: fixed-size blocks at ``seek*bs`` onwards; 0 or the first errno."""
        pos = seek * bs
        for start in range(0, len(data), bs):
            block = data[start : start + bs]
            while block:
                res = self.write(block, pos)
                if res.errno:
                    return res.errno
                if res.count == 0:
                    break
                block = block[res.count :]
                pos = res.pos
        return 0


def make_sysctl(handler: str, value: Value, env: FakeEnv | None = None, **spec: Any) -> Sysctl:
    """Build a :class:`Sysctl` for ``handler`` with ``spec`` fields (key defaults to ``test.entry``)."""
    spec.setdefault("key", "debug.test_sysctl.entry")
    spec.setdefault("mode", 0o644)
    return Sysctl(handler, SysctlSpec(handler=handler, **spec), value, env or FakeEnv())


@pytest.fixture
def env() -> FakeEnv:
    """A 6.18 environment: HZ=250, USER_HZ=100, strict writes, CAP_SYS_ADMIN held."""
    return FakeEnv()
