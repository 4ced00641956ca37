"""Moved: the FUSE adapter is :mod:`fakeproc.backends.fuse`, the serving core :mod:`fakeproc.serve`.

This alias keeps the names it used to export importable.

>>> from fakeproc.fuse import NS_TYPES
>>> NS_TYPES
('ipc', 'net', 'uts', 'user', 'pid')
"""

from __future__ import annotations

from fakeproc.backends.fuse import (
    DEFAULT_OPTIONS,
    FSNAME,
    FUSE_REQUESTS,
    FuseServer,
    SysctlOperations,
    load_fusepy,
)
from fakeproc.serve import NS_TYPES, NamespaceResolver

__all__ = [
    "DEFAULT_OPTIONS",
    "FSNAME",
    "FUSE_REQUESTS",
    "NS_TYPES",
    "FuseServer",
    "NamespaceResolver",
    "SysctlOperations",
    "load_fusepy",
]
