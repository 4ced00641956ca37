"""The environment variables that tune fakeproc: read where they are used, never at import, so
that a malformed value is one clear line (:class:`~fakeproc.errors.UsageError`, exit status 2)
rather than a traceback.

>>> import os
>>> os.environ["FAKEPROC_EXAMPLE"] = "2.5"
>>> env_number("FAKEPROC_EXAMPLE", 1.0)
2.5
>>> os.environ["FAKEPROC_EXAMPLE"] = "soon"
>>> env_number("FAKEPROC_EXAMPLE", 1.0)
Traceback (most recent call last):
...
fakeproc.errors.UsageError: FAKEPROC_EXAMPLE must be a number (0 or more), not 'soon'
>>> del os.environ["FAKEPROC_EXAMPLE"]
"""

from __future__ import annotations

import math
import os

from fakeproc.errors import UsageError

__all__ = ["DEFAULT_ATTR_TIMEOUT", "attr_timeout", "env_number"]

#: Default kernel cache time for lookups and attributes (FUSE ``entry_timeout``/``attr_timeout``),
#: in seconds, and how long the emulated backend reuses a caller's namespaces for its stats.
DEFAULT_ATTR_TIMEOUT = 1.0


def env_number(name: str, default: float) -> float:
    """The number in ``$name``: ``default`` when unset, 0 when set but empty.

    Raises:
        UsageError: the value is not a finite number of 0 or more.
    """
    raw = os.environ.get(name)
    if raw is None:
        return default
    if not raw.strip():
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{name} must be a number (0 or more), not {raw!r}")
    return value


def attr_timeout() -> float:
    """``$FAKEPROC_ATTR_TIMEOUT`` when set (0 makes every mount exact, and slower), else
    :data:`DEFAULT_ATTR_TIMEOUT`."""
    return env_number("FAKEPROC_ATTR_TIMEOUT", DEFAULT_ATTR_TIMEOUT)
