"""``fakeproc pod ...`` through ``fakeproc.cli.main.main``, with a temporary state file."""

from __future__ import annotations

import json
import textwrap

import pytest

from fakeproc.cli.main import main
from fakeproc.model.kernel import Kernel

SEED = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: joo-modify-sysctl
    spec:
      securityContext:
        sysctls:
        - name: kernel.sem
          value: "10000   1024000000      500     32000"
      containers:
      - name: nginx
        image: nginx
    """)


@pytest.fixture
def files(tmp_path):
    manifest = tmp_path / "sysctl_test.yaml"
    manifest.write_text(SEED)
    return str(manifest), str(tmp_path / "state.json")


@pytest.fixture
def no_fuse(monkeypatch):
    """Make ``pod exec`` use its in-process reader (FUSE is tested by the sandbox's own suite)."""
    import fakeproc.sandbox
    from fakeproc.errors import UnavailableError

    def unavailable(*args, **kwargs):
        raise UnavailableError("no FUSE in this test")

    monkeypatch.setattr(fakeproc.sandbox, "run_command", unavailable)


def test_seed_walkthrough(files, capsys, no_fuse):
    manifest, state = files
    assert main(["pod", "apply", "-f", manifest, "--state", state, "--kubernetes-version", "1.16"]) == 0
    assert capsys.readouterr().out == "pod/joo-modify-sysctl created\n"

    assert main(["pod", "get", "--state", state]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert out[1].split()[:4] == ["joo-modify-sysctl", "0/1", "SysctlForbidden", "0"]

    assert main(["pod", "describe", "joo-modify-sysctl", "--state", state]) == 0
    out = capsys.readouterr().out
    assert "Status:           Failed\n" in out
    assert "Reason:           SysctlForbidden\n" in out
    assert 'Message:          Pod forbidden sysctl: "kernel.sem" not whitelisted\n' in out
    assert "Warning  SysctlForbidden" in out and 'kubelet, node1     forbidden sysctl: "kernel.sem" not whitelisted' in out

    assert main(["pod", "apply", "-f", manifest, "--state", state, "--kubernetes-version", "1.16",
                 "--allowed-unsafe-sysctls", "kernel.sem"]) == 0
    assert capsys.readouterr().out == "pod/joo-modify-sysctl unchanged\n"  # a failed pod stays failed
    assert main(["pod", "delete", "joo-modify-sysctl", "--state", state]) == 0
    assert capsys.readouterr().out == 'pod "joo-modify-sysctl" deleted\n'
    assert main(["pod", "apply", "-f", manifest, "--state", state, "--kubernetes-version", "1.16",
                 "--allowed-unsafe-sysctls", "kernel.sem"]) == 0
    assert capsys.readouterr().out == "pod/joo-modify-sysctl created\n"
    assert main(["pod", "get", "--state", state]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:3] == ["joo-modify-sysctl", "1/1", "Running"]

    assert main(["pod", "exec", "joo-modify-sysctl", "--state", state, "--", "cat", "/proc/sys/kernel/sem"]) == 0
    assert capsys.readouterr().out == "10000\t1024000000\t500\t32000\n"

    k = Kernel.load(state)
    assert k.read("kernel.sem", ns=k.namespace_by_label("pod/default/joo-modify-sysctl")) == \
        "10000\t1024000000\t500\t32000\n"
    assert k.read("kernel.sem") == "32000\t1024000000\t500\t32000\n"

    assert main(["pod", "delete", "joo-modify-sysctl", "--state", state]) == 0
    assert capsys.readouterr().out == 'pod "joo-modify-sysctl" deleted\n'
    assert main(["pod", "get", "--state", state]) == 0
    assert "No resources found" in capsys.readouterr().out


def test_check_exit_codes(files, capsys):
    manifest, _ = files
    assert main(["pod", "check", "-f", manifest]) == 1
    out = capsys.readouterr().out
    assert 'Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted' in out
    assert main(["pod", "check", "-f", manifest, "--allowed-unsafe-sysctls", "kernel.sem"]) == 0
    assert "1 of 1 pods would start" in capsys.readouterr().out


def test_check_with_kubelet_config(files, tmp_path, capsys):
    manifest, _ = files
    cfg = tmp_path / "kubelet.yaml"
    cfg.write_text("kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\n"
                   "allowedUnsafeSysctls: ['vm.max_map_count']\n")
    assert main(["pod", "check", "-f", manifest, "--kubelet-config", str(cfg)]) == 2
    assert capsys.readouterr().err == ('fakeproc: kubelet would not start: the sysctls "vm.max_map_count" '
                                       "are not known to be namespaced\n")


def test_apply_422_and_403_exit_1(tmp_path, capsys):
    m = tmp_path / "bad.yaml"
    m.write_text(SEED.replace("kernel.sem", "foo-"))
    state = str(tmp_path / "s.json")
    assert main(["pod", "apply", "-f", str(m), "--state", state]) == 1
    assert capsys.readouterr().out.startswith('The Pod "joo-modify-sysctl" is invalid: '
                                              'spec.securityContext.sysctls[0].name: Invalid value: "foo-"')
    m.write_text(SEED)
    assert main(["pod", "apply", "-f", str(m), "--state", state, "--pod-security", "baseline"]) == 1
    assert capsys.readouterr().out == (
        f'Error from server (Forbidden): error when creating "{m}": pods "joo-modify-sysctl" is forbidden: '
        'violates PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)\n')


def test_json_output(files, capsys):
    manifest, state = files
    assert main(["--json", "pod", "apply", "-f", manifest, "--state", state]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["reason"] == "SysctlForbidden"


def test_exec_on_a_failed_pod_is_refused(files, capsys):
    manifest, state = files
    main(["pod", "apply", "-f", manifest, "--state", state])
    capsys.readouterr()
    assert main(["pod", "exec", "joo-modify-sysctl", "--state", state, "--", "cat", "/proc/sys/kernel/sem"]) == 1
    assert "current phase is Failed" in capsys.readouterr().err
