"""Property test: the loader must end in the same state as ``sysctl -p`` (procps).

Run with ``pytest examples/parser``: Hypothesis finds the loader's bugs, one
failing test per bug class, each with a minimal sysctl.conf document.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, os.path.dirname(__file__))

import sysctl_conf

from fakeproc.strategies import sysctl_conf_documents
from fakeproc.testing import apply_conf

VLAN = "eth0.100"
CHECK = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def same_state_as_procps(fake_procsys, doc):
    kernel = fake_procsys.kernel
    if not kernel.exists("net/ipv4/conf/" + VLAN):
        kernel.add_device(kernel.init_ns, VLAN)            # the documents may name eth0.100
    expected = kernel.copy()
    apply_conf(expected, doc.text, in_place=True)          # what procps sysctl -p does
    touched = sorted({w.key for w in doc.writes("procps")})
    before = {key: kernel.read(key) for key in touched if kernel.exists(key)}
    try:
        sysctl_conf.apply(sysctl_conf.parse(doc.text), root=fake_procsys.path)   # the loader under test
        for key in touched:
            assert kernel.read(key) == expected.read(key), key
    finally:
        for key, value in before.items():                  # undo, for the next example
            kernel.write(key, value)


@pytest.mark.parametrize("feature", ["vlan", "inline_hash", "crlf", "ignore_failure"])
def test_loader_matches_procps(fake_procsys, feature):
    @CHECK
    @given(sysctl_conf_documents(features=[feature], min_size=1, max_size=4))
    def check(doc):
        same_state_as_procps(fake_procsys, doc)

    check()
