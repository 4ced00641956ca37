"""``fakeproc explain``: the library function lives in :mod:`fakeproc.explain`."""

from __future__ import annotations

from fakeproc.explain import ExplainResult, explain

__all__ = ["ExplainResult", "explain"]
