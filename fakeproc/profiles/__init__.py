"""Kernel profiles: every sysctl of one kernel version, as data.

A profile is a JSON file (``data/<name>.json``) written by
``scripts/profilegen/generate.py`` or by ``fakeproc capture``; nobody edits the
shipped files by hand. :func:`load_profile` accepts a shipped name or a path.

>>> p = load_profile("6.18")
>>> p.spec("kernel.sem").default
'32000\\t1024000000\\t500\\t32000'
>>> p.hz
250
"""

from __future__ import annotations

from fakeproc.profiles.loader import (
    FORMAT_VERSION,
    Profile,
    available_profiles,
    default_profile_name,
    load_profile,
    profile_from_dict,
    profile_to_dict,
)
from fakeproc.profiles.machine import Machine, apply_machine, parse_machine

__all__ = [
    "FORMAT_VERSION",
    "Machine",
    "Profile",
    "apply_machine",
    "available_profiles",
    "default_profile_name",
    "load_profile",
    "parse_machine",
    "profile_from_dict",
    "profile_to_dict",
]
