"""Handlers of net/core/sysctl_net_core.c: rps_default_mask."""

from __future__ import annotations

from fakeproc.handlers.base import HandlerEnv, Request, Result, Value
from fakeproc.handlers.bitmap import bitmap_value
from fakeproc.handlers.domain import unmodelled
from fakeproc.handlers.net.bitmap_str import bitmap_parse, format_cpumask
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import SysctlSpec

__all__ = [
    "rps_default_mask_sysctl",
]


def _parse_cpumask(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return bitmap_parse(text.encode(), spec.maxlen, 0)[0]


# dump_cpumask gives nothing to a 1-byte read: a short output is not always the whole text.
@proc_handler(parse=_parse_cpumask, kind="bitmap", cacheable=False,
              domain=unmodelled("a hex CPU mask, bounded by the CPUs the machine has"))
def rps_default_mask_sysctl(req: Request) -> Result:
    """``rps_default_mask_sysctl`` (net.core.rps_default_mask, net/core/sysctl_net_core.c).

    The value is a cpumask of ``spec.maxlen`` bits (``nr_cpumask_bits``, that is nr_cpu_ids
    of the profiled machine). A write is ``cpumask_parse`` straight into the netns's mask
    (see :func:`bitmap_parse`), then ``rps_cpumask_housekeeping``: a non-empty mask is
    ANDed with the housekeeping CPUs (all possible CPUs here: isolcpus is not modelled).
    The write never looks at the file position and consumes everything. A read
    (``dump_cpumask``) gives nothing at a non-zero position, else the ``%*pb`` text cut
    to the read size minus one, plus a newline.

    Returns:
        Result with errno EINVAL or EOVERFLOW from :func:`bitmap_parse`; chunks parsed
        before the failure stay stored.
    """
    nbits = req.spec.maxlen
    current = bitmap_value(req.value)
    if req.data is None:
        if req.pos or not req.size:
            return Result(value=req.value, pos=req.pos)
        room = min((nbits + 31) // 32 * 9, req.size)
        text = format_cpumask(current, nbits)[: room - 1]
        if not text:
            return Result(value=req.value, pos=req.pos)
        out = text + b"\n"
        return Result(value=req.value, output=out, count=len(out), pos=req.pos + len(out))
    bits, err = bitmap_parse(req.data, nbits, current)
    if err:
        return Result(value=bits, pos=req.pos, errno=err)
    possible = (1 << nbits) - 1
    if bits & possible:
        bits &= possible
    return Result(value=bits, count=len(req.data), pos=req.pos)


