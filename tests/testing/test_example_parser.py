"""examples/parser: the property test finds each of the naive loader's bug classes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fakeproc.testing import skip_reason

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
def test_property_test_finds_every_bug_class():
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/parser"],
                       check=False, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=900)
    out = r.stdout
    for feature in ("vlan", "inline_hash", "crlf", "ignore_failure"):
        assert f"FAILED examples/parser/test_sysctl_conf.py::test_loader_matches_procps[{feature}]" in out, out
    assert "eth0/100" in out            # VLAN key turned into eth0/100 directories
    assert "Invalid argument" in out    # CR left in the value
    assert "-abi" in out or "No such file or directory: '" in out  # '-' kept in the key
