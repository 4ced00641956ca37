"""``uname(2)`` for the emulated backend, from the model's UTS names as the caller's namespaces see
them, and the namespace ``sethostname``/``setdomainname`` change."""

from __future__ import annotations

import os
from typing import Any

from fakeproc.backends.emulated._context import Context
from fakeproc.backends.seccomp._supervisor import Notification, Reply
from fakeproc.backends.seccomp._uts import model_caller

__all__ = ["UnameCalls"]


class UnameCalls:
    """``uname(2)``, and the target of ``sethostname``/``setdomainname`` (:func:`uts_handlers`).

    Each handler is named after its call and returns ``CONTINUE`` for what is not the fake's; what
    it uses of ``ctx`` is bound once here (one attribute lookup per use on the hot path).
    """

    def __init__(self, ctx: Context) -> None:
        self.kernel = ctx.kernel
        self.mem = ctx.mem
        self.identity = ctx.identity
        self._ns = ctx.ns
        self._take_changes_of = ctx.polls.take_changes_of

    def uts_target(self, pid: int) -> tuple[Any, Any, Any]:
        """sethostname/setdomainname: the UTS namespace ``uname`` answers from, and the caller."""
        return self._ns(pid).uts, model_caller(pid, self.identity), self.kernel

    def uname(self, n: Notification) -> Reply:
        """uname(2): nodename, release and domainname from the caller's (model) UTS namespace."""
        self._take_changes_of(n)
        ns = self._ns(n.pid)
        real = os.uname()

        def value(key: str) -> str:
            return str(self.kernel.read(key, ns)).rstrip("\n")

        fields = (real.sysname, value("kernel.hostname"), value("kernel.osrelease"), real.version,
                  real.machine, value("kernel.domainname"))
        data = b"".join(os.fsencode(f)[:64].ljust(65, b"\0") for f in fields)
        self.mem.write(n.pid, n.args[0], data)
        return Reply(value=0)
