"""pytest plugin (placeholder while being written)."""
from __future__ import annotations
