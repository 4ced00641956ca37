"""The ``fakeproc`` command line (nothing imports this package)."""

from __future__ import annotations

__all__: list[str] = []
