"""fakeproc capture: reads the host read-only and produces a loadable profile."""

from __future__ import annotations

import json
import shutil

import pytest

from fakeproc.profiles import capture as cap
from fakeproc.profiles.loader import load_profile


def test_capture_writes_a_profile_that_loads(tmp_path):
    out = tmp_path / "host.json"
    result = cap.capture(output=str(out), name="host", fresh_namespaces=False)
    profile = load_profile(str(out))
    assert profile.name == "host"
    assert result.entries == len(profile.entries) > 100
    assert "kernel.ostype" in profile.entries
    assert json.loads(out.read_text())["format"] == 1


def test_capture_takes_semantics_from_the_618_profile():
    data = cap.capture_host(name="host", fresh_namespaces=False)
    rows = {e["key"]: e for e in data["entries"]}
    if "kernel.sem" in rows:
        assert rows["kernel.sem"]["handler"] == "proc_ipc_sem_dointvec"


def test_fresh_ipc_namespace_has_compile_default_sem():
    if shutil.which("unshare") is None:
        pytest.skip("unshare not available")
    fresh = cap.read_fresh_namespace_values()
    if fresh is None:
        pytest.skip("unshare of ipc/net/uts/user namespaces not permitted here")
    assert fresh["kernel.sem"] == "32000\t1024000000\t500\t32000"
