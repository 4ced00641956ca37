"""Real-kernel differential tests: the model vs throwaway real namespaces (see docs/differential.md)."""

from __future__ import annotations
