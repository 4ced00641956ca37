"""``proc_dostring``: NUL-terminated strings of at most ``maxlen - 1`` bytes.

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), log=print)
>>> spec = SysctlSpec(key="kernel.domainname", mode=0o644, handler="proc_dostring", maxlen=65)
>>> r = proc_dostring(Request(spec, b"(none)", 0, b"example\\n", 8, env))
>>> r.value, r.count
(b'example', 8)
>>> proc_dostring(Request(spec, b"example", 2, None, 100, env)).output
b'ample\\n'
"""

from __future__ import annotations

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import HandlerEnv, Request, Result, Value
from fakeproc.handlers.domain import STRING
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import SysctlSpec

__all__ = ["do_string", "parse_string", "proc_dostring", "string_value"]


def string_value(value: Value) -> bytes:
    """The stored string of a string entry."""
    if not isinstance(value, bytes):
        raise TypeError(f"string handler given a non-string value {value!r}")
    return value


def do_string(req: Request, maxlen: int) -> Result:
    """``_proc_do_string`` on a ``maxlen``-byte buffer.

    Writes copy bytes up to the first NUL or newline, at most ``maxlen - 1``,
    silently dropping the rest while reporting the full count. In strict mode a
    write continues at the file position (ignored beyond the current length);
    otherwise it starts at index 0. Reads honour the file position.
    """
    current = string_value(req.value)
    if maxlen <= 0 or req.size == 0:
        return Result(value=req.value, pos=req.pos)
    if req.data is None:
        length = min(len(current), maxlen)
        if req.pos > length:
            return Result(value=req.value, pos=req.pos)
        out = current[req.pos : length][: req.size]
        if len(out) < req.size:
            out += b"\n"
        return Result(value=req.value, output=out, count=len(out), pos=req.pos + len(out))
    data = req.data
    if req.env.writes_strict == 1:
        length = min(len(current), maxlen - 1)
        if req.pos > length:
            # Returns 0 without touching *lenp or *ppos: a full, silent write.
            return Result(value=req.value, count=len(data), pos=req.pos)
        start = req.pos
    else:
        start = 0
    # The bytes before the first newline or NUL, at most the room left in the buffer.
    take = min(len(data), maxlen - 1 - start)
    if take > 0:
        stop = data.find(b"\n", 0, take)
        if stop >= 0:
            take = stop
        stop = data.find(b"\0", 0, take)
        if stop >= 0:
            take = stop
        taken = data[:take]
    else:
        taken = b""
    return Result(value=current[:start] + taken, count=len(data), pos=req.pos + len(data))


def parse_string(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    """A string default as stored: the text's bytes."""
    return text.encode("utf-8", "surrogateescape")


@proc_handler(parse=parse_string, kind="string", domain=STRING)
def proc_dostring(req: Request) -> Result:
    """``proc_dostring``: a string of at most ``spec.maxlen - 1`` bytes.

    Returns:
        Result, never an errno: over-long input is dropped silently.
    """
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # only for the warn-mode message
    return do_string(req, req.spec.maxlen)


