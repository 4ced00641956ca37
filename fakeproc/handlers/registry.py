"""The single table of handlers, keyed by kernel function name, and the one way into it.

A handler module registers each handler with the :func:`proc_handler` decorator, which
states everything the table holds about it in one place: the kernel name (the function's
own by default), how a default loads, the stored value's kind and the values it accepts
(:mod:`fakeproc.handlers.domain`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fakeproc.handlers.base import Handler, HandlerEnv, HandlerFn, Value
from fakeproc.handlers.domain import ValueDomain
from fakeproc.spec import SysctlSpec

__all__ = ["HANDLERS", "get_handler", "proc_handler"]

#: Filled by the handler modules through :func:`proc_handler`.
HANDLERS: dict[str, Handler] = {}

ParseFn = Callable[[SysctlSpec, str, HandlerEnv], Value]


def proc_handler(*, parse: ParseFn, kind: str, domain: ValueDomain, name: str | None = None,
                 legacy_domains: Mapping[str, ValueDomain] | None = None,
                 since: tuple[int, int] | None = None,
                 cacheable: bool = True) -> Callable[[HandlerFn], HandlerFn]:
    """Register the decorated function as the handler ``name`` (default: its own name).

    Args:
        parse: Loads an entry's default text into a stored value.
        kind: ``"vector"``, ``"string"`` or ``"bitmap"``.
        domain: The values it accepts (every handler states one; :func:`~.domain.unmodelled`
            says why none is generated).
        name: The kernel function name, when the Python name differs.
        legacy_domains: legacy behaviour -> the domain it gives instead.
        since: First kernel (major, minor) with this handler, if it matters.
        cacheable: See :class:`Handler`.

    Raises:
        ValueError: a handler of that name is registered already.
    """
    def register(call: HandlerFn) -> HandlerFn:
        handler = Handler(name or call.__name__, call, parse, kind, domain,
                          tuple((legacy_domains or {}).items()), since, cacheable)
        if handler.name in HANDLERS:
            raise ValueError(f"handler {handler.name!r} registered twice")
        HANDLERS[handler.name] = handler
        return call
    return register


def get_handler(name: str) -> Handler:
    """The handler called ``name``; ``KeyError`` if fakeproc does not implement it."""
    return HANDLERS[name]
