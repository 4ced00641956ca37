"""Capability-gated and other kernel/sysctl.c wrappers around the generic handlers.

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), log=print,
...                       capable=lambda cap: False, constant={"TAINT_FLAGS_COUNT": 20}.get)
>>> spec = SysctlSpec(key="kernel.tainted", mode=0o644, handler="proc_taint")
>>> proc_taint(Request(spec, (0,), 0, b"1", 1, env)).errno == errno.EPERM
True
"""

from __future__ import annotations

import errno

from fakeproc.handlers.base import HandlerEnv, Request, Result, TmpTable
from fakeproc.handlers.domain import ints, unmodelled
from fakeproc.handlers.dostring import parse_string, proc_dostring
from fakeproc.handlers.generic import (
    parse_plain,
    proc_dointvec_minmax,
    proc_doulongvec_minmax,
    vector_value,
)
from fakeproc.handlers.registry import proc_handler

__all__ = [
    "proc_do_static_key",
    "proc_dointvec_minmax_coredump",
    "proc_dointvec_minmax_sysadmin",
    "proc_dostring_coredump",
    "proc_taint",
    "taint_flags_count",
]


def _denied(req: Request) -> Result | None:
    if req.data is not None and not req.env.capable("CAP_SYS_ADMIN"):
        return Result(value=req.value, pos=req.pos, errno=errno.EPERM)
    return None


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True))
def proc_dointvec_minmax_sysadmin(req: Request) -> Result:
    """``proc_dointvec_minmax_sysadmin`` (kptr_restrict, dmesg_restrict): writes need CAP_SYS_ADMIN.

    Returns:
        Result with errno EPERM for a write without CAP_SYS_ADMIN, else as
        ``proc_dointvec_minmax`` (EINVAL out of range).
    """
    return _denied(req) or proc_dointvec_minmax(req)


def taint_flags_count(env: HandlerEnv) -> int:
    """``TAINT_FLAGS_COUNT`` of the emulated kernel: a profile constant (TAINT_TEST came in 6.0,
    TAINT_FWCTL in 6.15)."""
    return env.constant("TAINT_FLAGS_COUNT")


_TAINT_TABLE = TmpTable(length=1, min=None, max=None)


@proc_handler(parse=parse_plain, kind="vector",
              domain=unmodelled("taint bits can only be added, and which exist is a constant of the kernel"))
def proc_taint(req: Request) -> Result:
    """``proc_taint`` (kernel.tainted): ``proc_doulongvec_minmax`` on a copy; bits can only be added.

    Bits at or above ``TAINT_FLAGS_COUNT`` are ignored. fakeproc does not model
    ``panic_on_taint_nousertaint`` (its EINVAL).

    Returns:
        Result with errno EPERM for a write without CAP_SYS_ADMIN, EINVAL for
        parse errors or a negative number.
    """
    denied = _denied(req)
    if denied:
        return denied
    current = vector_value(req.value, 1)
    tmp = req._replace(spec=_TAINT_TABLE(req.spec), value=current)
    res = proc_doulongvec_minmax(tmp)
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    added = vector_value(res.value, 1)[0] & ((1 << taint_flags_count(req.env)) - 1)
    return res._replace(value=(current[0] | added,))


_STATIC_KEY_TABLE = TmpTable(length=1, min=0, max=1)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True, lo=0, hi=1, scalar=True))
def proc_do_static_key(req: Request) -> Result:
    """``proc_do_static_key``: a static key shown as 0 or 1, written through ``proc_dointvec_minmax``.

    Returns:
        Result with errno EPERM for a write without CAP_SYS_ADMIN, EINVAL for
        anything but 0 or 1.
    """
    denied = _denied(req)
    if denied:
        return denied
    current = vector_value(req.value, 1)
    tmp = req._replace(spec=_STATIC_KEY_TABLE(req.spec), value=(1 if current[0] else 0,))
    res = proc_dointvec_minmax(tmp)
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    return res


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True))
def proc_dointvec_minmax_coredump(req: Request) -> Result:
    """``proc_dointvec_minmax_coredump`` (fs.suid_dumpable): ``proc_dointvec_minmax`` plus a warning check."""
    return proc_dointvec_minmax(req)


@proc_handler(parse=parse_string, kind="string",
              domain=unmodelled("a core pattern: what it means depends on its text (pipes, %% specifiers)"))
def proc_dostring_coredump(req: Request) -> Result:
    """``proc_dostring_coredump`` (kernel.core_pattern): ``proc_dostring`` plus a warning check."""
    return proc_dostring(req)
