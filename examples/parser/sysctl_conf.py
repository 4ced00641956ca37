"""A small sysctl.conf loader, written the way such loaders usually are.

It has the classic bugs (do not copy it): every dot becomes a slash (VLAN
interfaces like ``eth0.100`` break), an inline ``#`` is cut off as a comment
(procps and systemd keep it in the value), CRLF line endings leave a ``\\r`` in
the value, and a ``-`` prefix is taken as part of the key.
"""

from __future__ import annotations

import os

__all__ = ["apply", "load", "parse"]


def parse(text: str) -> dict[str, str]:
    """``{key: value}`` from a sysctl.conf document."""
    settings: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.strip(" \t")
        if not line or line[0] in "#;":
            continue
        line = line.split("#", 1)[0]
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        settings[key.strip(" \t")] = value.strip(" \t")
    return settings


def key_path(key: str, root: str = "/proc/sys") -> str:
    """The file of a key."""
    return os.path.join(root, key.replace(".", "/"))


def apply(settings: dict[str, str], root: str = "/proc/sys") -> None:
    """Write every setting."""
    for key, value in settings.items():
        with open(key_path(key, root), "w") as f:
            f.write(value + "\n")


def load(path: str, root: str = "/proc/sys") -> None:
    """``sysctl -p PATH``, more or less."""
    with open(path, newline="") as f:
        apply(parse(f.read()), root)
