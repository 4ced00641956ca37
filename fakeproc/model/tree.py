"""The directory tree a namespace set sees, built in one place (like gVisor's ``newSysDir``).

>>> t = Tree(["kernel.sem", "kernel.random.uuid", "net.ipv4.conf.eth0/100.rp_filter"])
>>> t.children("")
['kernel', 'net']
>>> t.children("net/ipv4/conf")
['eth0.100']
>>> t.key_of("kernel/sem"), t.is_dir("kernel/random")
('kernel.sem', True)
>>> Tree(["fs.file-max"], directories=["fs/binfmt_misc"]).children("fs"), Tree([], ["fs/binfmt_misc"]).children("fs/binfmt_misc")
(['binfmt_misc', 'file-max'], [])
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

    def __init__(self, keys: Iterable[str], directories: Iterable[str] = ()) -> None:
        dirs: dict[str, set[str]] = {"": set()}
        files: dict[str, str] = {}
        # An empty directory (a sysctl mount point) enters like a file's parent, with no file.
        entries = [(key_to_path(key), key) for key in keys] + [(f"{d}/", None) for d in directories]
        for path, key in entries:
            if key is not None:
                files[path] = key
            parent, _, name = path.rpartition("/")
            if key is None:
                dirs.setdefault(parent, set())
            else:
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
