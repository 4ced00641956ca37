"""Handlers of net/ipv4/route.c: route/flush."""

from __future__ import annotations

from fakeproc.handlers.base import Request, Result
from fakeproc.handlers.domain import unmodelled
from fakeproc.handlers.generic import (
    parse_plain,
)
from fakeproc.handlers.registry import proc_handler

__all__ = [
    "ipv4_sysctl_rtcache_flush",
]


@proc_handler(parse=parse_plain, kind="vector", domain=unmodelled("a trigger: a write acts and stores nothing"))
def ipv4_sysctl_rtcache_flush(req: Request) -> Result:
    """``ipv4_sysctl_rtcache_flush`` (net.ipv4.route.flush, mode 0200): any write flushes
    the route cache and succeeds; the bytes are not parsed (net/ipv4/route.c).

    Returns:
        Result consuming every byte written; a read (only possible by mode) gives nothing.
    """
    if req.data is None:
        return Result(value=req.value, pos=req.pos)
    return Result(value=req.value, count=len(req.data), pos=req.pos + len(req.data))
