"""The Python floor for bench_mount.py: fakeproc's own FUSE server with the model taken out.

It serves a floor dump (see floor_server.c) through the same FuseServer, libfuse binding and
direct callbacks as fakeproc, but each request is a dict lookup: no caller attribution, no model.
What it costs above floor_server.c is what the ctypes callbacks and libfuse take per request; what
fakeproc costs above it is the session and the model.

Usage: python_floor.py DUMP MOUNTPOINT; prints "ready" once mounted, serves until stdin closes.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    mode: int
    open_err: int
    read_err: int
    data: bytes
    nlink: int = 1
    uid: int = 0
    gid: int = 0


class _File:
    __slots__ = ("entry",)

    def __init__(self, entry: Entry) -> None:
        self.entry = entry

    def read(self, size: int, offset: int) -> bytes:
        if self.entry.read_err:
            raise OSError(self.entry.read_err, os.strerror(self.entry.read_err))
        return self.entry.data[offset : offset + size]


class DumpSession:
    """The parts of :class:`fakeproc.serve.Session` the FUSE callbacks use, answered from a dump."""

    def __init__(self, dump: str) -> None:
        self.entries: dict[str, Entry] = {}
        self.children: dict[str, list[str]] = {}
        with open(dump, "rb") as f:
            if f.readline() != b"fakeproc-floor 1\n":
                raise SystemExit(f"{dump} is not a floor dump")
            for line in iter(f.readline, b""):
                _kind, mode, oerr, rerr, length, rel = line.rstrip(b"\n").split(b" ", 5)
                data = f.read(int(length) + 1)[:-1]
                path = "" if rel == b"." else rel.decode()
                self.entries[path] = Entry(int(mode, 8), int(oerr), int(rerr), data)
                if path:
                    self.children.setdefault(os.path.dirname(path), []).append(os.path.basename(path))
        self.counts = None
        self.open_files: dict[int, _File] = {}
        self.read_ends: dict[int, int] = {}
        self.mount_time_ns = time.time_ns()
        self.resolver = None
        self.checked: dict[int, tuple[object, int]] = {}
        self._fh = 0

    def _entry(self, path: str) -> Entry:
        entry = self.entries.get(path.strip("/"))
        if entry is None:
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        return entry

    def count(self, op: str) -> None:
        pass

    def recheck(self, fh: int, ctx: object, *, write: bool) -> None:
        self.checked[fh] = (ctx, 3)  # the floor lets every caller read and write

    @staticmethod
    def seek_data_or_hole(offset: int, whence: int) -> int:
        raise OSError(errno.ENXIO, os.strerror(errno.ENXIO))

    def stat(self, ctx: object, path: str) -> Entry:
        return self._entry(path)

    def open(self, ctx: object, path: str, flags: int) -> int:
        entry = self._entry(path)
        acc = flags & os.O_ACCMODE
        if entry.open_err or (acc != os.O_WRONLY and not entry.mode & 0o444) or (acc != os.O_RDONLY and not entry.mode & 0o222):
            err = entry.open_err or errno.EACCES
            raise OSError(err, os.strerror(err), path)
        self._fh += 1
        self.open_files[self._fh] = _File(entry)
        return self._fh

    def write(self, fh: int, data: bytes, offset: int, *, append: bool = False) -> int:
        return len(data)

    def opendir(self, ctx: object, path: str) -> None:
        if not stat.S_ISDIR(self._entry(path).mode):
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)

    def listdir(self, ctx: object, path: str) -> list[str]:
        self._entry(path)
        return self.children.get(path.strip("/"), [])

    def listdir_stat(self, ctx: object, path: str) -> tuple[tuple[str, Entry | None], ...]:
        rel = path.strip("/")
        prefix = rel + "/" if rel else ""
        return tuple((name, self.entries.get(prefix + name)) for name in self.listdir(ctx, path))

    def release(self, fh: int) -> None:
        self.open_files.pop(fh, None)
        self.read_ends.pop(fh, None)

    def statfs(self) -> dict[str, int]:
        return {}


def main() -> None:
    from fakeproc import Kernel
    from fakeproc.backends.fuse import FuseServer, SysctlOperations

    dump, mountpoint = sys.argv[1], sys.argv[2]
    session = DumpSession(dump)
    ops = SysctlOperations(Kernel("6.18"), session=session)  # type: ignore[arg-type]
    server = FuseServer(ops, mountpoint)
    server.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
