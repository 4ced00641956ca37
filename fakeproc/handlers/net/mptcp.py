"""Handlers of net/mptcp/ctrl.c: path_manager and scheduler, names from a list."""

from __future__ import annotations

import errno

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import Request, Result
from fakeproc.handlers.domain import unmodelled
from fakeproc.handlers.dostring import do_string, parse_string, string_value
from fakeproc.handlers.net._common import (
    MPTCP_NAME_MAX,
)
from fakeproc.handlers.registry import proc_handler

__all__ = [
    "proc_path_manager",
    "proc_scheduler",
]


def _named(req: Request, maxlen: int, known: list[bytes]) -> Result:
    """``proc_dostring`` on a copy of the current name, then the name must be in ``known``."""
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req, maxlen)
    if req.data is None or string_value(res.value) in known:
        return res
    return Result(value=req.value, pos=req.pos, errno=errno.ENOENT)


@proc_handler(parse=parse_string, kind="string", domain=unmodelled("one of the registered path managers"))
def proc_path_manager(req: Request) -> Result:
    """``proc_path_manager`` (net.mptcp.path_manager, net/mptcp/ctrl.c): the name must be one
    of ``net.mptcp.available_path_managers`` (``mptcp_set_path_manager``).

    Returns:
        Result with errno ENOENT for an unknown path manager; the value is then unchanged.
    """
    known = string_value(req.env.lookup("net.mptcp.available_path_managers")).split()
    return _named(req, req.spec.maxlen or MPTCP_NAME_MAX, known)


@proc_handler(parse=parse_string, kind="string", domain=unmodelled("one of the registered schedulers"))
def proc_scheduler(req: Request) -> Result:
    """``proc_scheduler`` (net.mptcp.scheduler, net/mptcp/ctrl.c): the name must be one of
    ``net.mptcp.available_schedulers`` (``mptcp_set_scheduler``).

    Returns:
        Result with errno ENOENT for an unknown scheduler; the value is then unchanged.
    """
    known = string_value(req.env.lookup("net.mptcp.available_schedulers")).split()
    return _named(req, req.spec.maxlen or MPTCP_NAME_MAX, known)
