"""Handlers of net/netfilter: nf_hooks_lwtunnel (nf_hooks_lwtunnel.c) and nf_log (nf_log.c)."""

from __future__ import annotations

import errno

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import Request, Result, TmpTable
from fakeproc.handlers.domain import unmodelled
from fakeproc.handlers.dostring import do_string, parse_string, string_value
from fakeproc.handlers.generic import (
    parse_plain,
    proc_dointvec_minmax,
    vector_value,
)
from fakeproc.handlers.net._common import (
    NF_LOG_EVERY_FAMILY,
    NFLOGGER_NAME_LEN,
)
from fakeproc.handlers.registry import proc_handler

__all__ = [
    "nf_hooks_lwtunnel_sysctl_handler",
    "nf_log_proc_dostring",
]


_LWTUNNEL_TABLE = TmpTable(length=1, min=0, max=1)


@proc_handler(parse=parse_plain, kind="vector",
              domain=unmodelled("turning it on is a one-way switch of the whole kernel"))
def nf_hooks_lwtunnel_sysctl_handler(req: Request) -> Result:
    """``nf_hooks_lwtunnel_sysctl_handler`` (net.netfilter.nf_hooks_lwtunnel): a [0, 1]
    switch that, once on, cannot be turned off (net/netfilter/nf_hooks_lwtnl.c).

    Returns:
        Result with errno EINVAL for a bad or out-of-range number, EBUSY for 0 once enabled.
    """
    current = vector_value(req.value, 1)
    # The kernel parses into a zeroed temporary, so a write starts from 0, not the current value.
    start = current if req.data is None else (0,)
    res = proc_dointvec_minmax(req._replace(spec=_LWTUNNEL_TABLE(req.spec), value=start))
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    wanted = vector_value(res.value, 1)[0]
    if current[0] and not wanted:
        return Result(value=req.value, pos=req.pos, errno=errno.EBUSY)
    return res._replace(value=(wanted or current[0],))


@proc_handler(parse=parse_string, kind="string", domain=unmodelled("NONE or the name of a registered logger"))
def nf_log_proc_dostring(req: Request) -> Result:
    """``nf_log_proc_dostring`` (net.netfilter.nf_log.<pf>, net/netfilter/nf_log.c).

    A read shows the logger bound to the family, or ``NONE``. A write runs
    ``proc_dostring`` on an EMPTY 64-byte buffer (not on the current name), then
    ``NONE`` (exactly) unbinds, and anything else must start, ignoring case, with the
    name of a logger registered for the family (``__find_logger``: strncasecmp over the
    logger's name), which is then bound and read back under its own name. The family's
    loggers are its boot binding (the entry's default, when not ``NONE``) and
    :data:`NF_LOG_EVERY_FAMILY`.

    Returns:
        Result with errno ENOENT for an unknown logger, the empty name included (a
        zero-byte write or a write past the end leaves the buffer empty).
    """
    maxlen = req.spec.maxlen or NFLOGGER_NAME_LEN
    if req.data is None:
        return do_string(req, maxlen)
    first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req._replace(value=b""), maxlen)
    name = string_value(res.value)
    if name == b"NONE":
        return res
    own = req.spec.default.encode()
    loggers = ((own,) if own and own != b"NONE" else ()) + NF_LOG_EVERY_FAMILY
    for logger in loggers:
        if name[: len(logger)].lower() == logger.lower():
            return res._replace(value=logger)
    return Result(value=req.value, pos=req.pos, errno=errno.ENOENT)
