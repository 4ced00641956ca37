"""The kernel model: namespaces, permissions, values, the write log and snapshots.

>>> k = Kernel("6.18")
>>> k.read("kernel.ostype")
'Linux\\n'
"""

from __future__ import annotations

from fakeproc.model.kernel import Kernel, Stat, SysctlFile, WriteLog, WriteRecord
from fakeproc.model.namespaces import Namespace, NamespaceSet
from fakeproc.model.permissions import ROOT, Caller

__all__ = [
    "ROOT",
    "Caller",
    "Kernel",
    "Namespace",
    "NamespaceSet",
    "Stat",
    "SysctlFile",
    "WriteLog",
    "WriteRecord",
]
