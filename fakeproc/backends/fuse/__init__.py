"""The FUSE backend: a thin adapter serving a :class:`~fakeproc.serve.Session` on a FUSE mount.

This package is the only place that imports the FUSE binding (lazily, so the model works
without libfuse). It holds no sysctl knowledge and no session state:

* :class:`SysctlOperations` turns FUSE requests into :class:`~fakeproc.serve.Session` calls;
* :class:`FuseServer` runs the libfuse session in a background thread.

Most users want :func:`fakeproc.sandbox.mounted` instead.

>>> "open" in FUSE_REQUESTS
True
"""

from __future__ import annotations

from fakeproc.backends.fuse._binding import load_binding, load_fusepy
from fakeproc.backends.fuse._ops import FUSE_REQUESTS, SysctlOperations
from fakeproc.backends.fuse._server import DEFAULT_OPTIONS, FSNAME, FuseServer
from fakeproc.backends.fuse._umount import MNT_DETACH, unmount

__all__ = [
    "DEFAULT_OPTIONS",
    "FSNAME",
    "FUSE_REQUESTS",
    "MNT_DETACH",
    "FuseServer",
    "SysctlOperations",
    "load_binding",
    "load_fusepy",
    "unmount",
]
