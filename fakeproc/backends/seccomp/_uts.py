"""``sethostname(2)`` and ``setdomainname(2)`` answered from the model, never by the host.

Under the seccomp and emulated backends CMD runs in the host's UTS namespace, so the real calls
would rename the machine (as root) or fail with EPERM (as a plain user, who is nevertheless root
of the fake). Wherever a backend answers ``uname(2)`` from the fake, both calls are notified and
answered as kernel/sys.c (``SYSCALL_DEFINE2(sethostname)``, ``SYSCALL_DEFINE2(setdomainname)``,
6.x) answers them, in its order:

1. EPERM unless the caller holds CAP_SYS_ADMIN over the user namespace that owns its UTS
   namespace (``ns_capable(current->nsproxy->uts_ns->user_ns, CAP_SYS_ADMIN)``), the caller
   being who the fake says it is (:func:`model_caller`);
2. EINVAL when ``len`` (an ``int``: the register's low 32 bits, signed) is negative or over
   ``__NEW_UTS_LEN`` (64);
3. EFAULT when the ``len`` bytes at ``name`` cannot be read (none are read for ``len`` 0);
4. the name becomes the UTS namespace's ``kernel.hostname`` or ``kernel.domainname``, and
   the entry's poll event counter goes up (``uts_proc_notify``: a ``poll(2)`` on the file
   reports the change, from any UTS namespace; :mod:`fakeproc.model.polls`).

The kernel stores the ``len`` bytes NUL-padded; ``proc_do_uts_string`` and ``gethostname`` stop
at the first NUL, so the model keeps the name up to its first NUL (bytes a sysctl write would
stop at, such as a newline, stay). Divergence: ``uname(2)`` copies the whole field, bytes after
an embedded NUL included; the fake's answer has NULs there. Not in the write log: that log
holds ``write(2)`` calls on ``/proc/sys`` files, and these calls are none.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from fakeproc.backends.seccomp._abi import NR
from fakeproc.backends.seccomp._paths import signed32
from fakeproc.backends.seccomp._supervisor import Handler, Notification, Reply, caller_creds

if TYPE_CHECKING:
    from fakeproc.backends.seccomp._memory import Memory
    from fakeproc.model import Caller, Kernel, Namespace
    from fakeproc.serve import Identity

__all__ = ["NEW_UTS_LEN", "UTS_SYSCALLS", "UtsApply", "UtsTarget", "model_apply", "model_caller", "set_uts_name",
           "uts_handlers"]

#: The calls, with the key each one sets.
UTS_SYSCALLS = {"sethostname": "kernel.hostname", "setdomainname": "kernel.domainname"}
#: ``__NEW_UTS_LEN`` (include/uapi/linux/utsname.h).
NEW_UTS_LEN = 64

UtsTarget = Callable[[int], "tuple[Namespace, Caller, Kernel | None]"]
"""Thread id -> (the model UTS namespace its ``sethostname`` changes, the caller as the model sees
it, the kernel whose poll event counters it bumps: None for none)."""


def model_caller(pid: int, identity: Identity) -> Caller:
    """Thread ``pid`` as the model sees it, with the ids the mount would give it (``identity``):
    the supervisor's user is root of the fake unless ``identity`` makes it a plain user.
    Capabilities follow the effective uid (:class:`fakeproc.model.Caller`)."""
    from fakeproc.model import Caller

    creds = caller_creds(pid)
    # An unprivileged supervisor reads no ids (caller_creds): CMD runs as the supervisor's user.
    real = (creds.euid, creds.egid) if os.geteuid() == 0 else (identity.owner_uid, identity.owner_gid)
    uid, gid = identity.ids(*real)
    return Caller(uid=uid, gid=gid, groups=creds.groups, pid=pid, comm=creds.comm)


def set_uts_name(uts: Namespace, key: str, name: bytes, kernel: Kernel | None = None) -> None:
    """Store ``name`` (the bytes ``sethostname`` copied) as ``key`` of model UTS namespace ``uts``,
    up to its first NUL, as every reader of the C string sees it; then ``uts_proc_notify``
    (``kernel``'s poll event counter of ``key``, when given)."""
    uts.values[key] = name.split(b"\0", 1)[0]
    if kernel is not None:
        kernel.polls.notify(key)


UtsApply = Callable[[int, str, int, bytes], int]
"""(thread id, key, the errno of the checks after the permission check or 0, the name) -> the
call's errno (0: the name was stored): the model's side of both calls, wherever the model lives."""


def model_apply(target: UtsTarget) -> UtsApply:
    """The model's side of both calls for callers that ``target`` places: EPERM first, then the
    caller's own errno, else the name is stored."""
    from fakeproc.model.permissions import ns_capable

    def apply(pid: int, key: str, err: int, name: bytes) -> int:
        uts, caller, kernel = target(pid)
        if not ns_capable(caller, uts.owner, "CAP_SYS_ADMIN"):
            return errno.EPERM
        if err:
            return err
        set_uts_name(uts, key, name, kernel)
        return 0

    return apply


def uts_handlers(mem: Memory, target: UtsTarget | UtsApply, still_waiting: Callable[[Notification], bool],
                 *, remote: bool = False) -> dict[int, Handler]:
    """Handlers for both calls; ``target`` says where a caller's name goes and who it is (or,
    with ``remote``, it is the :data:`UtsApply` of a model in another process),
    ``still_waiting`` whether a notification's caller still waits (checked before the model
    changes: its pid may have been reused meanwhile)."""
    apply: UtsApply = target if remote else model_apply(target)  # type: ignore[arg-type,assignment]

    def set_name(n: Notification) -> Reply:
        length = signed32(n.args[1])
        err = 0
        name = b""
        if length < 0 or length > NEW_UTS_LEN:
            err = errno.EINVAL
        else:
            try:
                name = mem.read(n.pid, n.args[0], length)  # b"" for 0
            except OSError as e:
                err = e.errno or errno.EFAULT
            if not err and len(name) < length:
                err = errno.EFAULT  # the range runs into unmapped memory
        if not err and not still_waiting(n):
            return Reply(error=errno.ESRCH)
        err = apply(n.pid, keys[n.nr], err, name)
        return Reply(error=err) if err else Reply(value=0)

    keys = {NR[name]: key for name, key in UTS_SYSCALLS.items()}
    return dict.fromkeys(keys, set_name)
