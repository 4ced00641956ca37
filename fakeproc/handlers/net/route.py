"""Handlers of net/ipv4/route.c: route/flush."""

from __future__ import annotations

from fakeproc.handlers.base import Handler, Request, Result
from fakeproc.handlers.generic import (
    parse_plain,
)
from fakeproc.handlers.registry import register

__all__ = [
    "ipv4_sysctl_rtcache_flush",
]


def ipv4_sysctl_rtcache_flush(req: Request) -> Result:
    """``ipv4_sysctl_rtcache_flush`` (net.ipv4.route.flush, mode 0200): any write flushes
    the route cache and succeeds; the bytes are not parsed (net/ipv4/route.c).

    Returns:
        Result consuming every byte written; a read (only possible by mode) gives nothing.
    """
    if req.data is None:
        return Result(value=req.value, pos=req.pos)
    return Result(value=req.value, count=len(req.data), pos=req.pos + len(req.data))


for _handler in (Handler("ipv4_sysctl_rtcache_flush", ipv4_sysctl_rtcache_flush, parse_plain, "vector"),):
    register(_handler)
