"""IPC namespace handlers (ipc/ipc_sysctl.c), built on the generic ones.

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), log=print)
>>> spec = SysctlSpec(key="kernel.sem", mode=0o644, handler="proc_ipc_sem_dointvec", length=4)
>>> r = proc_ipc_sem_dointvec(Request(spec, (32000, 1024000000, 500, 32000), 0, b"1 2 3 40000", 11, env))
>>> r.value, r.errno == errno.ERANGE
((1, 2, 3, 32000), True)
"""

from __future__ import annotations

import errno

from fakeproc.handlers.base import Request, Result, TmpTable
from fakeproc.handlers.domain import ints
from fakeproc.handlers.generic import parse_plain, proc_dointvec, proc_dointvec_minmax, vector_value
from fakeproc.handlers.registry import proc_handler

__all__ = [
    "IPC_MNI",
    "proc_ipc_auto_msgmni",
    "proc_ipc_dointvec",
    "proc_ipc_dointvec_minmax",
    "proc_ipc_dointvec_minmax_orphans",
    "proc_ipc_sem_dointvec",
]

#: ``IPCMNI`` (ipc/util.h, 1 << 15); ``spec.extra["ipc_mni"]`` models ``ipcmni_extend``.
IPC_MNI = 1 << 15


@proc_handler(parse=parse_plain, kind="vector",
              domain=ints(minmax=True, lo=0, range_errno=errno.ERANGE, checked_element=3))
def proc_ipc_sem_dointvec(req: Request) -> Result:
    """``proc_ipc_sem_dointvec`` (kernel.sem): ``proc_dointvec``, then SEMMNI in [0, ipc_mni].

    Only SEMMNI (the fourth field) is checked and, on any failure, restored;
    the first three fields written in the same call stay written.

    Returns:
        Result with errno EINVAL from ``proc_dointvec`` or ERANGE when SEMMNI
        is outside [0, ipc_mni].
    """
    ipc_mni = req.spec.extra.get("ipc_mni", IPC_MNI)
    if not isinstance(ipc_mni, int):
        ipc_mni = IPC_MNI
    value = req.value
    semmni = value[3] if isinstance(value, tuple) and len(value) > 3 else vector_value(value, 4)[3]
    res = proc_dointvec(req)
    new = res.value
    if not isinstance(new, tuple) or len(new) < 4:
        new = vector_value(new, 4)
    err = res.errno
    if not err and not (0 <= new[3] <= ipc_mni):
        err = errno.ERANGE
    if err:
        return res._replace(value=new[:3] + (semmni,) + new[4:], errno=err, count=0, pos=req.pos)
    return res


_AUTO_MSGMNI_TABLE = TmpTable(min=0, max=1, length=1)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True))
def proc_ipc_auto_msgmni(req: Request) -> Result:
    """``proc_ipc_auto_msgmni``: writes are range-checked in [0, 1] and discarded; reads show 0.

    Returns:
        Result with errno EINVAL for values outside [0, 1] or parse errors.
    """
    if req.data is not None:
        req.env.log("writing to auto_msgmni has no effect")
    tmp = req._replace(spec=_AUTO_MSGMNI_TABLE(req.spec), value=(0,))
    return proc_dointvec_minmax(tmp)._replace(value=req.value)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True))
def proc_ipc_dointvec_minmax_orphans(req: Request) -> Result:
    """``proc_ipc_dointvec_minmax_orphans`` (kernel.shm_rmid_forced): ``proc_dointvec_minmax``.

    The kernel then destroys orphaned segments, which fakeproc does not model.

    Returns:
        Result with errno EINVAL outside ``[spec.min, spec.max]``.
    """
    return proc_dointvec_minmax(req)


@proc_handler(parse=parse_plain, kind="vector", domain=ints())
def proc_ipc_dointvec(req: Request) -> Result:
    """``proc_ipc_dointvec`` (kernels before 5.1): ``proc_dointvec`` on the caller's IPC namespace."""
    return proc_dointvec(req)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True))
def proc_ipc_dointvec_minmax(req: Request) -> Result:
    """``proc_ipc_dointvec_minmax`` (kernels before 5.1): ``proc_dointvec_minmax`` per namespace."""
    return proc_dointvec_minmax(req)
