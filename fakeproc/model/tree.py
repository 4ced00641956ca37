"""The directory tree a namespace set sees, built in one place (like gVisor's ``newSysDir``).

>>> t = Tree(["kernel.sem", "kernel.random.uuid", "net.ipv4.conf.eth0/100.rp_filter"])
>>> t.children("")
['kernel', 'net']
>>> t.children("net/ipv4/conf")
['eth0.100']
>>> t.key_of("kernel/sem"), t.is_dir("kernel/random")
('kernel.sem', True)
"""

from __future__ import annotations

from collections.abc import Iterable

from fakeproc.spec import key_to_path

__all__ = ["Tree"]


class Tree:
    """Directories and files of one view of ``/proc/sys``, from its dotted keys.

    Paths are relative to ``/proc/sys`` without leading or trailing slashes;
    the root is ``""``.
    """

    __slots__ = ("_dirs", "_files")

    def __init__(self, keys: Iterable[str]) -> None:
        dirs: dict[str, set[str]] = {"": set()}
        files: dict[str, str] = {}
        for key in keys:
            path = key_to_path(key)
            files[path] = key
            parent, _, name = path.rpartition("/")
            dirs.setdefault(parent, set()).add(name)
            while parent:
                grand, _, dname = parent.rpartition("/")
                siblings = dirs.setdefault(grand, set())
                if dname in siblings:
                    break
                siblings.add(dname)
                parent = grand
        self._dirs = {d: sorted(names) for d, names in dirs.items()}
        self._files = files

    def is_dir(self, path: str) -> bool:
        return path in self._dirs

    def key_of(self, path: str) -> str | None:
        """The dotted key of a file path, None if ``path`` is not a file."""
        return self._files.get(path)

    def children(self, path: str) -> list[str]:
        """Sorted names in directory ``path``; ``KeyError`` if it is not a directory."""
        return self._dirs[path]

    def files(self) -> list[str]:
        """Every file path, sorted."""
        return sorted(self._files)

    def keys(self) -> list[str]:
        """Every dotted key, in path order."""
        return [self._files[p] for p in self.files()]
