"""Property: tuned's sysctl plugin leaves a sysctl.d file's keys as ``sysctl -p`` would.

Run with ``pytest examples/tools/tuned``: one test per document feature; each
failure is a minimal document and the keys whose value differs. See README.md
for which differences are tuned bugs and which are intended.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from tuned_locate import tuned_path

from fakeproc.strategies import sysctl_conf_documents
from fakeproc.testing import apply_conf, assert_same_state

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: tuned refuses these on purpose (plugin_sysctl.DEPRECATED_SYSCTL_OPTIONS): not a bug, excluded.
DEPRECATED = ("base_reachable_time", "retrans_time")


@pytest.fixture(scope="session")
def tuned():
    path = tuned_path()
    if path is None:
        pytest.skip("tuned is not installed (apt-get install tuned, or FAKEPROC_TUNED_PATH=<its dist-packages>)")
    return path


def uses_deprecated(doc) -> bool:
    return any(w.key.rsplit(".", 1)[-1] in DEPRECATED for w in doc.writes("procps"))


def same_state_as_procps(fake_procsys, tuned, tmp_path, doc):
    fake_procsys.reset()
    doc.prepare(fake_procsys.kernel)                          # eth0.100 for VLAN keys
    conf = tmp_path / "99-test.conf"
    conf.write_text(doc.text, newline="")
    expected = fake_procsys.kernel.copy()
    apply_conf(expected, doc.text, "procps", in_place=True)   # what sysctl -p leaves behind
    fake_procsys.run([sys.executable, os.path.join(HERE, "apply_tuned.py"), str(conf)],
                     env=dict(os.environ, PYTHONPATH=tuned), capture_output=True, timeout=30)
    assert_same_state(fake_procsys.kernel, expected, [w.key for w in doc.writes("procps")])


@pytest.mark.parametrize("feature", ["vlan", "glob", "ignore_failure", "assignment"])
def test_tuned_matches_procps(fake_procsys, tuned, tmp_path, feature):
    @CHECK
    @given(sysctl_conf_documents(features=[feature], min_size=1, max_size=3).filter(
        lambda d: not uses_deprecated(d)))
    def check(doc):
        same_state_as_procps(fake_procsys, tuned, tmp_path, doc)

    check()
