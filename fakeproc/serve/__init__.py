"""The serving core: a caller's file operations on the fake ``/proc/sys``, for every backend.

Backends (:mod:`fakeproc.backends`) are thin: they turn their requests (FUSE calls,
seccomp notifications) into calls on a :class:`Session` with the caller's
``(uid, gid, pid)``. The session resolves the caller's real namespaces through
``/proc/PID/ns`` (:class:`NamespaceResolver`, generic over the namespace types of
:mod:`fakeproc.spec`), maps real ids to the model's (:class:`Identity`), asks the model
and hands back bytes or the model's errno (:func:`errno_of`).

>>> NS_TYPES
('ipc', 'net', 'uts', 'user', 'pid')
"""

from __future__ import annotations

from fakeproc.serve._latency import LatencyHold, serving_hold_ms
from fakeproc.serve._resolver import NS_TYPES, CallerInfo, NamespaceResolver, make_set
from fakeproc.serve._session import IDENTITIES, PLAIN_UID, Context, Identity, Session, errno_of
from fakeproc.serve._uts import UTS_KEYS, RealUts, UtsValues, start_in_new_uts

__all__ = [
    "IDENTITIES",
    "NS_TYPES",
    "PLAIN_UID",
    "UTS_KEYS",
    "CallerInfo",
    "Context",
    "Identity",
    "LatencyHold",
    "NamespaceResolver",
    "RealUts",
    "Session",
    "UtsValues",
    "errno_of",
    "make_set",
    "serving_hold_ms",
    "start_in_new_uts",
]
