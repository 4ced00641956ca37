"""Ways in for unmodified programs besides the namespace sandbox.

* :mod:`fakeproc.backends.seccomp`: seccomp user notification redirects ``/proc/sys``
  lookups into a mounted fake (FUSE, no namespaces, no root).
* :mod:`fakeproc.backends.emulated`: the same supervisor emulates the descriptors itself
  from the model (no FUSE, no namespaces, no root).
"""

from __future__ import annotations

__all__: list[str] = []
