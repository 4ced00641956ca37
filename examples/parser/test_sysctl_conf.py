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
from fakeproc.testing import apply_conf, assert_same_state

CHECK = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def same_state_as_procps(fake_procsys, doc):
    fake_procsys.reset()                                   # every example starts from the boot state
    doc.prepare(fake_procsys.kernel)                       # and with the devices it names (eth0.100)
    expected = fake_procsys.kernel.copy()
    apply_conf(expected, doc.text, in_place=True)          # what procps sysctl -p does
    sysctl_conf.apply(sysctl_conf.parse(doc.text), root=fake_procsys.path)   # the loader under test
    assert_same_state(fake_procsys.kernel, expected, [w.key for w in doc.writes("procps")])


@pytest.mark.parametrize("feature", ["vlan", "inline_hash", "crlf", "ignore_failure"])
def test_loader_matches_procps(fake_procsys, feature):
    @CHECK
    @given(sysctl_conf_documents(features=[feature], min_size=1, max_size=4))
    def check(doc):
        same_state_as_procps(fake_procsys, doc)

    check()
