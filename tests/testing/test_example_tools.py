"""examples/tools: the worked property tests find the third-party tools' known differences."""

from __future__ import annotations

import functools
import os
import pathlib
import subprocess
import sys

import pytest

from fakeproc.testing import skip_reason

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "tools", "tuned_sysctl"))

from tuned_locate import tuned_path

TUNED = tuned_path()


def _need(found: object, missing: str) -> None:
    """Skip without the tool; under CI (CI=true, where bootstrap.sh installs it) fail instead."""
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}; CI=true: the worked example must run", pytrace=False)
        pytest.skip(missing)


@pytest.mark.slow
@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
def test_the_tuned_example_finds_its_four_differences():
    _need(TUNED, "tuned is not installed (bash scripts/bootstrap.sh test unpacks Debian's package; or "
          "FAKEPROC_TUNED_PATH)")
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
from fixed_module import fixed_collection

ANSIBLE = functools.cache(ansible_env)  # probed when a test runs (ansible-doc takes about 0.6 s)
NO_ANSIBLE = ("ansible-core with ansible.posix is not installed (bash scripts/bootstrap.sh test installs the "
              "pinned ones: examples/tools/ansible_sysctl/install_ansible.py)")


def _run_ansible_example(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "net",
                           "examples/tools/ansible_sysctl"], check=False, capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT, **env), timeout=1200)


@pytest.mark.slow
@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
def test_the_ansible_example_finds_the_idempotence_bug():
    _need(ANSIBLE(), NO_ANSIBLE)
    r = _run_ansible_example()
    assert "1 failed" in r.stdout, r.stdout
    assert "setting=('net.bridge.bridge-nf-call-arptables', '0x0')" in r.stdout, r.stdout
    assert "'changed': True" in r.stdout and "the kernel shows '0\\n'" in r.stdout, r.stdout


@pytest.mark.slow
@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
def test_the_ansible_property_holds_for_a_module_that_compares_the_kernels_values(tmp_path):
    """The property is not one no module could pass: a copy of the module that reports
    ``changed`` by what the kernel shows (fixed_module.py) passes the same examples."""
    _need(ANSIBLE(), NO_ANSIBLE)
    fixed = fixed_collection(str(tmp_path))
    assert "self.reload_sysctl()" in pathlib.Path(fixed).read_text()
    r = _run_ansible_example(FAKEPROC_ANSIBLE_COLLECTIONS=str(tmp_path), FAKEPROC_ANSIBLE_EXAMPLES="6")
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr
