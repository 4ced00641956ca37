"""The pytest plugin, the context managers and the unittest decorators."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import unittest

import pytest

from fakeproc.testing import WriteLog, kernel, skip_reason, with_kernel, with_procsys, write_log

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_pytest(tmp_path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path), *args],
                          check=False, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)


def test_fake_kernel_profile_from_marker_and_option(tmp_path):
    r = run_pytest(tmp_path, """
        import pytest

        def test_default(fake_kernel):
            assert fake_kernel.profile.name == "4.15"

        @pytest.mark.kernel_profile("6.18")
        def test_marker(fake_kernel):
            assert fake_kernel.profile.name == "6.18"

        def test_fresh_per_test_a(fake_kernel):
            fake_kernel.write("vm.swappiness", "1")

        def test_fresh_per_test_b(fake_kernel):
            assert fake_kernel.read("vm.swappiness") == "60\\n"
            assert len(fake_kernel.write_log) == 0
        """, "--fakeproc-profile=4.15")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 passed" in r.stdout


def test_write_log_assertions():
    with kernel("6.18") as k:
        log = write_log(k)
        k.write("vm.swappiness", "1")
        with pytest.raises(OSError):
            k.write("vm.swappiness", "x")
        assert isinstance(log, WriteLog) and log.keys() == ["vm.swappiness"]
        assert [r.errno for r in log.for_key("vm/swappiness")] == [0, 22]
        assert len(log.failed()) == 1
        log.assert_keys(["vm.swappiness"])
        with pytest.raises(AssertionError, match="missing writes"):
            log.assert_keys(["vm.swappiness", "kernel.sem"])


class UnittestUser(unittest.TestCase):
    @with_kernel("6.18")
    def test_kernel_argument(self, k):
        self.assertEqual(k.read("kernel.ostype"), "Linux\n")


@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
def test_fake_procsys_runs_procps_sysctl_and_logs_its_writes(tmp_path):
    r = run_pytest(tmp_path, """
        import pytest
        from fakeproc.sandbox import find_tool
        from fakeproc.testing import write_log

        @pytest.mark.skipif(find_tool("sysctl") is None, reason="no sysctl")  # /usr/sbin: off a user's PATH
        def test_sysctl_writes(fake_procsys, tmp_path):
            conf = tmp_path / "s.conf"
            conf.write_text("vm.swappiness = 7\\n# c\\n-no.such.key = 1\\n")
            p = fake_procsys.run(["sysctl", "-p", str(conf)], capture_output=True, text=True)
            assert "vm.swappiness = 7" in p.stdout
            log = write_log(fake_procsys)
            log.assert_keys(["vm.swappiness"])
            rec = log.records[0]
            assert rec.data == b"7\\n" and rec.errno == 0 and rec.comm == "sysctl" and rec.pid > 0
            assert fake_procsys.kernel.read("vm.swappiness") == "7\\n"
            assert open(fake_procsys.path + "/vm/swappiness").read() == "7\\n"
        """)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout


@pytest.mark.fuse
@pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))
def test_with_procsys_decorator():
    @with_procsys("6.18")
    def body(handle):
        return open(os.path.join(handle.path, "kernel", "ostype")).read()

    assert body() == "Linux\n"
