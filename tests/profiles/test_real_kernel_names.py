"""Compare the host's /proc/sys names and modes (read-only) with the 6.18 profile.

Enabled by FAKEPROC_TEST_REAL_KERNEL=1. Nothing is ever written.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fakeproc.profiles.loader import load_profile
from fakeproc.spec import DEVICE_PLACEHOLDER, path_to_key

pytestmark = pytest.mark.skipif(os.environ.get("FAKEPROC_TEST_REAL_KERNEL") != "1",
                                reason="set FAKEPROC_TEST_REAL_KERNEL=1 to compare with the host kernel")


def _host():
    out = {}
    for root, _dirs, files in os.walk("/proc/sys"):
        for name in files:
            path = Path(root, name)
            out[path_to_key(str(path))] = stat.S_IMODE(path.stat().st_mode)
    return out


def test_host_modes_match_profile_for_shared_keys():
    profile = load_profile("6.18")
    host = _host()
    mismatched = []
    for key, mode in host.items():
        spec = profile.entries.get(key)
        if spec is None:
            parts = key.split(".")
            if len(parts) > 4 and parts[2] in ("conf", "neigh"):
                spec = profile.entries.get(".".join(parts[:3] + [DEVICE_PLACEHOLDER] + parts[4:]))
        if spec is not None and spec.mode != mode:
            mismatched.append((key, oct(mode), oct(spec.mode)))
    assert not mismatched


def test_most_host_keys_are_known_to_the_profile():
    profile = load_profile("6.18")
    host = _host()
    known = sum(1 for k in host if k in profile.entries or any(
        k.startswith(t.split(DEVICE_PLACEHOLDER)[0]) and k.endswith(t.split(DEVICE_PLACEHOLDER)[1])
        for t in profile.templates))
    assert known / max(len(host), 1) > 0.8
