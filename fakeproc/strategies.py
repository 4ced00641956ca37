"""Hypothesis strategies for fakeproc (implemented in :mod:`fakeproc.testing.strategies`).

>>> from fakeproc.strategies import sysctl_keys, valid_values, invalid_values
"""

from __future__ import annotations

from fakeproc.testing.strategies import (
    INVALID_CLASSES,
    STRATEGIES,
    ConfDocument,
    ConfLayout,
    InvalidValue,
    interface_names,
    invalid_values,
    pod_specs,
    supported_handlers,
    sysctl_conf_documents,
    sysctl_d_layouts,
    sysctl_entries,
    sysctl_keys,
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
