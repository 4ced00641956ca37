"""Command functions behind the CLI: typed keyword arguments in, result dataclasses out."""

from __future__ import annotations

__all__: list[str] = []
