"""The single table of handlers, keyed by kernel function name."""

from __future__ import annotations

from fakeproc.handlers.base import Handler

__all__ = ["HANDLERS", "get_handler"]

#: Filled by the handler modules (generic.py, ipc.py, net.py, uts.py) through ``register``.
HANDLERS: dict[str, Handler] = {}


def register(handler: Handler) -> Handler:
    """Add ``handler`` to :data:`HANDLERS` (each name once)."""
    if handler.name in HANDLERS:
        raise ValueError(f"handler {handler.name!r} registered twice")
    HANDLERS[handler.name] = handler
    return handler


def get_handler(name: str) -> Handler:
    """The handler called ``name``; ``KeyError`` if fakeproc does not implement it."""
    return HANDLERS[name]
