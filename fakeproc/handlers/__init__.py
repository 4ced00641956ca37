"""Kernel handlers: one pure function per kernel ``proc_handler``.

``HANDLERS`` maps the kernel's function name to a :class:`Handler`. Profile rows
name their handler by that key, the way a ``ctl_table`` row names its
``.proc_handler``. Importing this package fills the table: each handler module
registers its functions with the ``@proc_handler`` decorator (:mod:`.registry`),
which also states the values each one accepts (:mod:`.domain`).

>>> HANDLERS["proc_dointvec_minmax"].kind
'vector'
>>> HANDLERS["proc_dointvec_minmax"].domain.minmax
True
>>> "simple_strtoul" in LEGACY_BEHAVIOURS
True
"""

from __future__ import annotations

from fakeproc.handlers import bitmap, dostring, generic, ipc, kernel, net, pid, uts, vm  # noqa: F401  (fill HANDLERS)
from fakeproc.handlers.base import PAGE_SIZE, Handler, HandlerEnv, Request, Result, Value
from fakeproc.handlers.legacy import LEGACY_BEHAVIOURS
from fakeproc.handlers.registry import HANDLERS, get_handler

__all__ = [
    "HANDLERS",
    "LEGACY_BEHAVIOURS",
    "PAGE_SIZE",
    "Handler",
    "HandlerEnv",
    "Request",
    "Result",
    "Value",
    "get_handler",
]
