"""Trigger handlers of mm/: writes that act instead of storing a value.

>>> from fakeproc.spec import SysctlSpec
>>> spec = SysctlSpec(key="vm.stat_refresh", mode=0o600, handler="vmstat_refresh")
>>> from fakeproc.handlers.base import Request
>>> vmstat_refresh(Request(spec, b"", 0, b"1\\n", 2, None)).count  # type: ignore[arg-type]
2
"""

from __future__ import annotations

import errno

from fakeproc.handlers.base import HandlerEnv, Request, Result, Value
from fakeproc.handlers.domain import unmodelled
from fakeproc.handlers.generic import parse_plain, proc_dointvec
from fakeproc.handlers.legacy import COMPACT_MEMORY_ANY_WRITE
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import SysctlSpec

__all__ = ["sysctl_compaction_handler", "vmstat_refresh"]


def _parse_empty(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return b""


@proc_handler(parse=_parse_empty, kind="string", domain=unmodelled("a trigger: a write acts and stores nothing"))
def vmstat_refresh(req: Request) -> Result:
    """``vmstat_refresh`` (mm/vmstat.c, vm.stat_refresh): a write folds the per-CPU counters
    and consumes every byte, whatever they are (``*ppos += *lenp``); a read shows nothing
    (``*lenp = 0``).

    Returns:
        Result consuming the whole write and advancing the position by it; an empty read.
    """
    if req.data is None:
        return Result(value=req.value, pos=req.pos)
    return Result(value=req.value, count=len(req.data), pos=req.pos + len(req.data))


@proc_handler(parse=parse_plain, kind="vector", domain=unmodelled("a trigger: a write acts and stores nothing"))
def sysctl_compaction_handler(req: Request) -> Result:
    """``sysctl_compaction_handler`` (mm/compaction.c, vm.compact_memory, mode 0200).

    In 6.18 the write goes through ``proc_dointvec`` into ``sysctl_compact_memory`` and
    anything but 1 there afterwards is EINVAL. Before (legacy ``compact_memory_any_write``,
    4.15) the handler only compacts: every byte is consumed unparsed and the position
    stays where it was.

    Returns:
        Result as ``proc_dointvec``'s, with EINVAL when the stored value is not 1.
    """
    if req.data is not None and COMPACT_MEMORY_ANY_WRITE in req.env.legacy:
        return Result(value=req.value, count=len(req.data), pos=req.pos)
    res = proc_dointvec(req)
    if res.errno:
        return res
    if not isinstance(res.value, tuple) or res.value[:1] != (1,):
        return Result(value=res.value, pos=req.pos, errno=errno.EINVAL)
    return res


