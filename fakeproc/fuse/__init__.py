"""The FUSE adapter: serve a :class:`~fakeproc.model.Kernel` as a procfs-faithful ``/proc/sys``.

This package is the only place that imports fusepy (lazily, so the model works
without libfuse). It holds no sysctl knowledge:

* :class:`SysctlOperations` maps FUSE requests to model calls and passes every
  errno through unchanged;
* :class:`NamespaceResolver` finds the caller's real namespaces from its pid
  and maps them to model namespaces;
* :class:`FuseServer` runs the session in a background thread.

Most users want :func:`fakeproc.sandbox.mounted` instead.

>>> from fakeproc.fuse import NS_TYPES
>>> NS_TYPES
('ipc', 'net', 'uts', 'user')
"""

from __future__ import annotations

from fakeproc.fuse._binding import load_fusepy
from fakeproc.fuse._ops import FUSE_REQUESTS, SysctlOperations
from fakeproc.fuse._resolver import NS_TYPES, NamespaceResolver
from fakeproc.fuse._server import DEFAULT_OPTIONS, FSNAME, FuseServer

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
