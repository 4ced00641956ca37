"""Hypothesis strategies for sysctl names, values, sysctl.conf documents and pod specs.

Everything is derived from profile data (entries, bounds, vector lengths, HZ)
and each handler's value domain, never from lists of keys. The strategies live
in one module per job, re-exported here (and from :mod:`fakeproc.strategies`):

* :mod:`.names`: :func:`interface_names`, :func:`sysctl_entries`, :func:`sysctl_keys`;
* :mod:`.values`: :func:`valid_values`, :func:`invalid_values`;
* :mod:`.documents`: :func:`sysctl_conf_documents`, :func:`sysctl_d_layouts`;
* :mod:`.pods`: :func:`pod_specs`.

>>> from fakeproc.testing.strategies import sysctl_keys
>>> sysctl_keys(namespace="ipc").example().startswith(("kernel.", "fs.mqueue."))  # doctest: +SKIP
True
"""

from __future__ import annotations

from fakeproc.testing.strategies._common import STRATEGIES
from fakeproc.testing.strategies.documents import (
    ConfDocument,
    ConfLayout,
    sysctl_conf_documents,
    sysctl_d_layouts,
)
from fakeproc.testing.strategies.names import interface_names, sysctl_entries, sysctl_keys
from fakeproc.testing.strategies.pods import pod_specs
from fakeproc.testing.strategies.values import (
    INVALID_CLASSES,
    InvalidValue,
    invalid_values,
    supported_handlers,
    valid_values,
)

__all__ = [
    "INVALID_CLASSES",
    "STRATEGIES",
    "ConfDocument",
    "ConfLayout",
    "InvalidValue",
    "interface_names",
    "invalid_values",
    "pod_specs",
    "supported_handlers",
    "sysctl_conf_documents",
    "sysctl_d_layouts",
    "sysctl_entries",
    "sysctl_keys",
    "valid_values",
]
