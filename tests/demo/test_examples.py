"""The examples run and print what their READMEs say."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakeproc.demo import asset_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _run(script: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=300, check=False,
                       env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_walkthrough_step4_shows_host_value_then_defaults() -> None:
    out = _run(EXAMPLES / "walkthrough" / "step4_ipcns.py")
    assert "33000\t1024000000\t500\t32000" in out and "32000\t1024000000\t500\t32000" in out


def test_walkthrough_step5_shows_sysctl_forbidden_then_the_pod_value() -> None:
    out = _run(EXAMPLES / "walkthrough" / "step5_kubernetes.py")
    assert 'SysctlForbidden: Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted' in out
    assert "10000\t1024000000\t500\t32000" in out


@pytest.mark.parametrize("name", ["step1_tree.py", "step2_reboot.py", "step3_sem.py"])
def test_walkthrough_steps_run(name: str) -> None:
    assert _run(EXAMPLES / "walkthrough" / name)


def test_netns_example_keeps_somaxconn_per_namespace() -> None:
    out = _run(EXAMPLES / "netns" / "netns_somaxconn.py")
    assert "new netns:     net.core.somaxconn = 4096" in out
    assert "  host:        net.core.somaxconn = 1024" in out


def test_uts_example_copies_the_hostname_into_the_new_namespace() -> None:
    out = _run(EXAMPLES / "uts" / "uts_hostname.py")
    assert "new uts namespace:  kernel.hostname = k8s-node-1" in out
    assert "  new namespace:    kernel.hostname = my-pod" in out


def test_examples_are_the_packaged_demo_assets() -> None:
    assert (EXAMPLES / "c" / "ipcns.c").read_text() == asset_text("ipcns.c")
    assert (EXAMPLES / "c" / "ipcns.py").read_text() == asset_text("ipcns.py")
    assert (EXAMPLES / "walkthrough" / "sysctl_test.yaml").read_text() == asset_text("sysctl_test.yaml")
    assert (EXAMPLES / "sysctl" / "demo.conf").read_text() == asset_text("demo.conf")


def test_the_article_pod_yaml_parses_with_its_unsafe_sysctl() -> None:
    from fakeproc.kubernetes import load_manifests

    m = load_manifests(asset_text("sysctl_test.yaml"))[0]
    assert m.pod.name == "joo-modify-sysctl"
    assert [(s.name, s.value) for s in m.pod.sysctls] == [("kernel.sem", "10000   1024000000      500     32000")]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_ipcns_c_compiles_without_warnings(tmp_path: Path) -> None:
    r = subprocess.run(["gcc", "-Wall", "-Wextra", "-Werror", "-o", str(tmp_path / "ipcns"),
                        str(EXAMPLES / "c" / "ipcns.c")], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_sysctl_examples_boot_with_the_documented_refusal() -> None:
    from fakeproc import Kernel
    from fakeproc.cli.commands.reboot import reboot_kernel

    k = Kernel("6.18")
    r = reboot_kernel(k, etc=EXAMPLES / "sysctl" / "etc")
    assert 'sysctl: setting key "kernel.sem": Numerical result out of range' in r.lines
    assert k.read("net.core.somaxconn") == "8192\n" and k.read("vm.swappiness") == "10\n"
