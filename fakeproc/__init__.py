"""fakeproc: a fake Linux kernel's /proc/sys, exact to the byte and the errno.

>>> import fakeproc
>>> k = fakeproc.Kernel("6.18")
>>> pod = k.unshare(k.init_ns, ipc=True)
>>> k.read("kernel.sem", ns=pod)
'32000\\t1024000000\\t500\\t32000\\n'
>>> try:
...     k.write("kernel.sem", "1 2 3 99999999")
... except OSError as e:
...     print(e.errno == __import__("errno").ERANGE)
True
"""

from __future__ import annotations

from typing import Any

from fakeproc.errors import FakeprocError, ProfileError, SysctlError, UnavailableError, UsageError
from fakeproc.model import ROOT, Caller, Kernel, Namespace, NamespaceSet, Stat, SysctlFile, WriteRecord
from fakeproc.profiles import Profile, available_profiles, load_profile
from fakeproc.spec import CreationRule, NamespaceType, Provenance, SysctlSpec, key_to_path, path_to_key
from fakeproc.state import StateFile

__version__ = "0.1.0"

__all__ = [
    "ROOT",
    "Caller",
    "CreationRule",
    "FakeprocError",
    "Kernel",
    "Namespace",
    "NamespaceSet",
    "NamespaceType",
    "Profile",
    "ProfileError",
    "Provenance",
    "Stat",
    "StateFile",
    "SysctlError",
    "SysctlFile",
    "SysctlSpec",
    "UnavailableError",
    "UsageError",
    "WriteRecord",
    "available_profiles",
    "key_to_path",
    "load_profile",
    "mounted",
    "path_to_key",
]


def __getattr__(name: str) -> Any:
    # The mount machinery imports fusepy (which needs libfuse); load it only when asked for.
    if name == "mounted":
        from fakeproc.sandbox import mounted

        return mounted
    raise AttributeError(f"module 'fakeproc' has no attribute {name!r}")
