"""UTS namespace strings (kernel/utsname_sysctl.c).

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), log=print)
>>> spec = SysctlSpec(key="kernel.hostname", mode=0o644, handler="proc_do_uts_string", maxlen=65)
>>> r = proc_do_uts_string(Request(spec, b"(none)", 0, b"a" * 70, 70, env))
>>> len(r.value), r.count
(64, 70)
"""

from __future__ import annotations

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import Request, Result
from fakeproc.handlers.domain import STRING
from fakeproc.handlers.dostring import do_string, parse_string
from fakeproc.handlers.registry import proc_handler

__all__ = ["UTS_MAXLEN", "proc_do_uts_string"]

#: ``sizeof(init_uts_ns.name.nodename)`` = ``__NEW_UTS_LEN + 1``.
UTS_MAXLEN = 65


@proc_handler(parse=parse_string, kind="string", domain=STRING)
def proc_do_uts_string(req: Request) -> Result:
    """``proc_do_uts_string``: ``proc_dostring`` on a 65-byte copy of the field.

    At most 64 characters are kept; the rest is dropped silently (unlike
    ``sethostname(2)``, no EINVAL). Strict-mode offsets append, as for any string.

    Returns:
        Result, never an errno.
    """
    if req.pos and req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    return do_string(req, UTS_MAXLEN)
