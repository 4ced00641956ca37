"""Handlers of the pid namespace's sysctls (kernel/pid_namespace.c, kernel/pid_sysctl.h).

Both files hold one value per pid namespace: the reader's or writer's active pid
namespace (``task_active_pid_ns(current)``), whose owning user namespace gates writes.

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), capable=lambda cap: True,
...                       ancestor_values=lambda: [(1,)])
>>> spec = SysctlSpec(key="vm.memfd_noexec", mode=0o644, handler="pid_mfd_noexec_dointvec_minmax",
...                   min=0, max=2)
>>> pid_mfd_noexec_dointvec_minmax(Request(spec, (0,), 0, None, 100, env)).output
b'1\\n'
>>> pid_mfd_noexec_dointvec_minmax(Request(spec, (0,), 0, b"0", 1, env)).errno == errno.EINVAL
True
"""

from __future__ import annotations

import errno

from fakeproc.handlers.base import Request, Result, derive
from fakeproc.handlers.domain import ints
from fakeproc.handlers.generic import parse_plain, proc_dointvec_minmax, vector_value
from fakeproc.handlers.legacy import NS_LAST_PID_SYSADMIN_ONLY
from fakeproc.handlers.registry import proc_handler

__all__ = ["pid_mfd_noexec_dointvec_minmax", "pid_ns_ctl_handler"]


def _eperm(req: Request) -> Result:
    return Result(value=req.value, pos=req.pos, errno=errno.EPERM)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True))
def pid_ns_ctl_handler(req: Request) -> Result:
    """``pid_ns_ctl_handler`` (kernel.ns_last_pid, registered 0666): the last pid the
    caller's pid namespace allocated, through ``proc_dointvec_minmax`` on a copy.

    The 0666 mode lets anyone open the file; a write needs CAP_SYS_ADMIN or (5.9+,
    ``checkpoint_restore_ns_capable``) CAP_CHECKPOINT_RESTORE over the pid namespace's
    owning user namespace. Legacy ``ns_last_pid_sysadmin_only``: CAP_SYS_ADMIN only.

    Returns:
        Result with errno EPERM for a write without the capability, else as
        ``proc_dointvec_minmax`` (EINVAL outside the bounds).
    """
    if req.data is not None:
        env = req.env
        allowed = env.capable("CAP_SYS_ADMIN") or (
            NS_LAST_PID_SYSADMIN_ONLY not in env.legacy and env.capable("CAP_CHECKPOINT_RESTORE"))
        if not allowed:
            return _eperm(req)
    return proc_dointvec_minmax(req)


# A read depends on the ancestors' values, not only on the stored one.
@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True), cacheable=False)
def pid_mfd_noexec_dointvec_minmax(req: Request) -> Result:
    """``pid_mfd_noexec_dointvec_minmax`` (vm.memfd_noexec, 6.3+).

    The namespace's value is never shown below its parent's: a read shows (and a write
    starts from) the largest value of the namespace and its ancestors, and a write below
    the parent's scope is EINVAL (``extra1`` becomes the parent's scope, 6.6+ hierarchy).
    A write needs CAP_SYS_ADMIN over the pid namespace's owning user namespace (EPERM).

    Returns:
        Result with errno EPERM without CAP_SYS_ADMIN, EINVAL outside
        [parent's scope, 2] or on a parse error.
    """
    env = req.env
    if req.data is not None and not env.capable("CAP_SYS_ADMIN"):
        return _eperm(req)
    parent_scope = max((vector_value(v, 1)[0] for v in env.ancestor_values()), default=0)
    own = vector_value(req.value, 1)[0]
    scope = max(own, parent_scope)
    spec = req.spec
    low = spec.bound_at(spec.min, 0)
    tmp_spec = derive(spec, min=parent_scope) if low is None or parent_scope > low else spec
    res = proc_dointvec_minmax(req._replace(spec=tmp_spec, value=(scope,)))
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    return res
