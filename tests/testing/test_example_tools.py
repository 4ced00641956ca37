"""examples/tools: the worked property tests find the third-party tools' known differences."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fakeproc.testing import skip_reason

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "tools", "tuned_sysctl"))

from tuned_locate import tuned_path

TUNED = tuned_path()


@pytest.mark.slow
@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
@pytest.mark.skipif(TUNED is None, reason="tuned is not installed (apt-get install tuned, or FAKEPROC_TUNED_PATH)")
def test_the_tuned_example_finds_its_four_differences():
    env = dict(os.environ, PYTHONPATH=ROOT, FAKEPROC_TUNED_PATH=str(TUNED))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/tools/tuned_sysctl"],
                       check=False, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    out = r.stdout
    for feature in ("vlan", "glob", "ignore_failure", "assignment"):
        assert f"FAILED examples/tools/tuned_sysctl/test_tuned_sysctl.py::test_tuned_matches_procps[{feature}]" in out, out
    assert "text='net.ipv4.conf.eth0/100.accept_local = 1\\n'" in out
    assert "text='-abi.vsyscall32 = 0\\n'" in out
    assert "got '(none)\\n'" in out


sys.path.insert(0, os.path.join(ROOT, "examples", "tools", "ansible_sysctl"))

from ansible_locate import ansible_env

ANSIBLE = ansible_env()


@pytest.mark.slow
@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
@pytest.mark.skipif(ANSIBLE is None, reason="ansible with ansible.posix is not installed "
                    "(apt-get install ansible, or FAKEPROC_ANSIBLE / FAKEPROC_ANSIBLE_COLLECTIONS)")
def test_the_ansible_example_finds_the_idempotence_bug():
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "net",
                        "examples/tools/ansible_sysctl"], check=False, capture_output=True, text=True, cwd=ROOT,
                       env=env, timeout=1200)
    assert "setting=('net.bridge.bridge-nf-call-arptables', '-1')" in r.stdout, r.stdout
