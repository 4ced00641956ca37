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


def _fuse_ok() -> bool:
    from fakeproc.sandbox import fuse_available

    return fuse_available()[0]


SEM_HOST = "33000\t1024000000\t500\t32000\n"
SEM_DEFAULT = "32000\t1024000000\t500\t32000\n"


def _readme_outputs() -> dict[str, str]:
    """``python examples/walkthrough/X.py`` -> the output its README shows."""
    import re

    readme = (EXAMPLES / "walkthrough" / "README.md").read_text()
    blocks = re.findall(r"```console\n\$ python examples/walkthrough/(\S+)\n(.*?)```", readme, re.DOTALL)
    return dict(blocks)


@pytest.mark.parametrize("name", ["step4_sysctl_w_ipcns.py", "step8_ns_tree.py"])
def test_walkthrough_prints_what_its_readme_shows(name: str) -> None:
    assert _run(EXAMPLES / "walkthrough" / name) == _readme_outputs()[name]


def test_walkthrough_step1_tree() -> None:
    expected = ("$ ls /proc/sys\nabi  debug  dev  fs  kernel  net  user  vm\n"
                f"$ cat /proc/sys/kernel/sem\n{SEM_DEFAULT}"
                "# stat: size 0 (the value is made when read), mode 0o100644\n")
    if _fuse_ok():
        expected += ("$ stat -c '%s %n' /proc/sys/kernel/sem   # a real stat(1) through the FUSE mount\n"
                     "0 /proc/sys/kernel/sem\n")
    assert _run(EXAMPLES / "walkthrough" / "step1_tree.py") == expected


def test_walkthrough_step3_sem() -> None:
    assert _run(EXAMPLES / "walkthrough" / "step3_sem.py") == (
        f"$ cat /proc/sys/kernel/sem   # Linux 4.15\n{SEM_DEFAULT}"
        "# SEMMSL=32000, SEMMNS=1024000000, SEMOPM=500, SEMMNI=32000\n"
        "# handler: proc_ipc_dointvec\n# SEMMNI 99999 accepted\n"
        "$ cat /proc/sys/kernel/sem\n31000\t1024000000\t500\t99999\n"
        f"$ cat /proc/sys/kernel/sem   # Linux 6.18\n{SEM_DEFAULT}"
        "# SEMMSL=32000, SEMMNS=1024000000, SEMOPM=500, SEMMNI=32000\n"
        "# handler: proc_ipc_sem_dointvec\n# SEMMNI 99999 refused: Numerical result out of range\n"
        "$ cat /proc/sys/kernel/sem\n31000\t1024000000\t500\t32000\n")


def test_walkthrough_step5_c_program() -> None:
    expected = (f"$ at parent - host ipc ns: cat /proc/sys/kernel/sem\n{SEM_HOST}"
                f"$ at child - new ipc ns: cat /proc/sys/kernel/sem\n{SEM_DEFAULT}")
    if _fuse_ok() and shutil.which("gcc"):
        expected += (f"$ ./ipcns   # the C program, through the FUSE mount\nat parent - host ipc ns\n{SEM_HOST}\n\n"
                     f"at child - new ipc ns\n{SEM_DEFAULT}\n\n")
    assert _run(EXAMPLES / "walkthrough" / "step5_c_program.py") == expected


def test_walkthrough_step6_refused_deleted_allowed_then_the_pods_value() -> None:
    assert _run(EXAMPLES / "walkthrough" / "step6_kubernetes.py") == (
        '# SysctlForbidden: Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted\n'
        "# Running\n"
        f"$ cat /proc/sys/kernel/sem   # on the node\n{SEM_DEFAULT}"
        "$ fakeproc pod exec joo-modify-sysctl -- cat /proc/sys/kernel/sem\n10000\t1024000000\t500\t32000\n")


def test_walkthrough_step2_runs() -> None:
    out = _run(EXAMPLES / "walkthrough" / "step2_reboot.py")
    assert out.startswith("$ sysctl -w vm.swappiness=10; sysctl -n vm.swappiness\n10\n"
                          "$ fakeproc reboot; sysctl -n vm.swappiness\n60\n")
    assert out.endswith("$ sysctl vm.swappiness net.core.somaxconn\nvm.swappiness = 10\nnet.core.somaxconn = 8192\n")


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
