"""The cluster admin's view through ``fakeproc pod``: multi-document apply with -n, get -o wide|yaml|json,
get events, describe of workloads, PodSecurityPolicy, Pod Security audit and exemptions."""

from __future__ import annotations

import textwrap
import time

import pytest

from fakeproc.cli.main import main

NOW = 1_790_000_000.0  # a fixed clock: ages are 0s and timestamps are known

MULTI = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          securityContext: {sysctls: [{name: net.core.somaxconn, value: "1024"}]}
          containers: [{name: nginx, image: nginx}]
    ---
    apiVersion: batch/v1
    kind: Job
    metadata: {name: pi}
    spec:
      template:
        spec:
          restartPolicy: Never
          securityContext: {sysctls: [{name: kernel.sem, value: "1 2 3 4"}]}
          containers: [{name: pi, image: perl}]
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: es}
    spec:
      selector: {matchLabels: {app: es}}
      serviceName: es
      template:
        metadata: {labels: {app: es}}
        spec:
          securityContext: {sysctls: [{name: kernel.shm_rmid_forced, value: "1"}]}
          containers: [{name: es, image: elasticsearch}]
    """)


@pytest.fixture
def cluster(tmp_path, monkeypatch, capsys):
    """MULTI applied with -n team-a under Pod Security baseline; returns a runner of fakeproc commands."""
    monkeypatch.setattr(time, "time", lambda: NOW)
    (tmp_path / "multi.yaml").write_text(MULTI)
    state = str(tmp_path / "state.json")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--state", state])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("pod", "apply", "-f", str(tmp_path / "multi.yaml"), "-n", "team-a", "--pod-security", "baseline")
    assert code == 0
    assert out == textwrap.dedent("""\
        Warning: would violate PodSecurity "baseline:latest": forbidden sysctls (net.core.somaxconn)
        deployment.apps/web created
        Warning: would violate PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)
        job.batch/pi created
        statefulset.apps/es created
        """)
    return run


def test_get_lists_only_pods_that_exist_in_the_namespace(cluster) -> None:
    assert cluster("pod", "get", "-n", "team-a") == (0, textwrap.dedent("""\
        NAME   READY   STATUS    RESTARTS   AGE
        es-0   1/1     Running   0          0s
        """), "")
    assert cluster("pod", "get") == (0, "No resources found in default namespace.\n", "")


def test_get_wide(cluster) -> None:
    assert cluster("pod", "get", "-n", "team-a", "-o", "wide")[1] == textwrap.dedent("""\
        NAME   READY   STATUS    RESTARTS   AGE   IP             NODE    NOMINATED NODE   READINESS GATES
        es-0   1/1     Running   0          0s    10.244.0.242   node1   <none>           <none>
        """)


def test_get_yaml_of_one_pod(cluster) -> None:
    assert cluster("pod", "get", "es-0", "-n", "team-a", "-o", "yaml")[1] == textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          creationTimestamp: "2026-09-21T14:13:20Z"
          labels:
            app: es
          name: es-0
          namespace: team-a
          ownerReferences:
          - controller: true
            kind: StatefulSet
            name: es
        spec:
          containers:
          - image: elasticsearch
            name: es
          nodeName: node1
          securityContext:
            sysctls:
            - name: kernel.shm_rmid_forced
              value: "1"
        status:
          phase: Running
          podIP: 10.244.0.242
        """)


def test_get_json_is_a_list(cluster) -> None:
    import json

    doc = json.loads(cluster("pod", "get", "-n", "team-a", "-o", "json")[1])
    assert (doc["kind"], doc["metadata"], [i["metadata"]["name"] for i in doc["items"]]) == (
        "List", {"resourceVersion": ""}, ["es-0"])
    assert doc["items"][0]["status"] == {"phase": "Running", "podIP": "10.244.0.242"}


def test_get_events_shows_the_controllers_failed_creates(cluster) -> None:
    assert cluster("pod", "get", "events", "-n", "team-a")[1] == textwrap.dedent("""\
        LAST SEEN   TYPE      REASON              OBJECT                      MESSAGE
        0s          Normal    ScalingReplicaSet   deployment/web              Scaled up replica set web-nq8gsdt82k from 0 to 1
        0s          Warning   FailedCreate        replicaset/web-nq8gsdt82k   Error creating: pods "web-nq8gsdt82k-" is forbidden: violates PodSecurity "baseline:latest": forbidden sysctls (net.core.somaxconn)
        0s          Warning   FailedCreate        job/pi                      Error creating: pods "pi-" is forbidden: violates PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)
        0s          Normal    SuccessfulCreate    statefulset/es              create Pod es-0 in StatefulSet es successful
        0s          Normal    Scheduled           pod/es-0                    Successfully assigned team-a/es-0 to node1
        0s          Normal    Pulled              pod/es-0                    Container image "elasticsearch" already present on machine
        0s          Normal    Created             pod/es-0                    Created container es
        0s          Normal    Started             pod/es-0                    Started container es
        """)


def test_describe_job_shows_its_failed_create(cluster) -> None:
    assert cluster("pod", "describe", "job/pi", "-n", "team-a")[1] == textwrap.dedent("""\
        Name:               pi
        Namespace:          team-a
        CreationTimestamp:  Mon, 21 Sep 2026 14:13:20 +0000
        Pods Status:        0 Running / 0 Waiting / 0 Succeeded / 0 Failed
        Pod Template:
          Labels:  <none>
          Containers:
           pi:
            Image:  perl
          Sysctls:  kernel.sem=1 2 3 4
        Events:
          Type     Reason        Age   From            Message
          ----     ------        ----  ----            -------
          Warning  FailedCreate  0s    job-controller  Error creating: pods "pi-" is forbidden: violates PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)
        """)


def test_describe_deployment_and_its_replicaset(cluster) -> None:
    code, out, _ = cluster("pod", "describe", "deployment/web", "-n", "team-a")
    assert code == 0
    assert "Replicas:           1 desired | 0 updated | 0 total | 0 available | 1 unavailable\n" in out
    assert out.endswith("  Normal  ScalingReplicaSet  0s    deployment-controller  "
                        "Scaled up replica set web-nq8gsdt82k from 0 to 1\n")
    code, out, _ = cluster("pod", "describe", "rs/web-nq8gsdt82k", "-n", "team-a")
    assert "Controlled By:      Deployment/web\n" in out
    assert ('Warning  FailedCreate  0s    replicaset-controller  Error creating: pods "web-nq8gsdt82k-" is forbidden'
            in out)


def test_describe_statefulset(cluster) -> None:
    out = cluster("pod", "describe", "sts/es", "-n", "team-a")[1]
    assert "Pods Status:        1 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" in out
    assert out.endswith("statefulset-controller  create Pod es-0 in StatefulSet es successful\n")


def test_describe_unknown_workload_is_not_found(cluster) -> None:
    assert cluster("pod", "describe", "deployment/nope", "-n", "team-a") == (
        2, "", 'fakeproc: Error from server (NotFound): deployments "nope" not found\n')


def test_namespace_flag_must_match_the_objects_own(tmp_path, capsys) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers: [{name: c, image: i}]\n")
    assert main(["pod", "apply", "-f", str(f), "-n", "b", "--state", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err == ('fakeproc: the namespace from the provided object "a" does not match the '
                                       "namespace \"b\". You must pass '--namespace=a' to perform this operation.\n")


PSP = textwrap.dedent("""\
    apiVersion: policy/v1beta1
    kind: PodSecurityPolicy
    metadata: {name: sysctls}
    spec:
      allowedUnsafeSysctls: ["kernel.msg*"]
      forbiddenSysctls: ["kernel.shm_rmid_forced"]
    """)


@pytest.mark.parametrize(("sysctls", "error"), [
    ('[{name: kernel.msgmax, value: "65536"}]', None),
    ('[{name: kernel.sem, value: "1 2 3 4"}]',
     '[pod.spec.securityContext.sysctls[0]: Forbidden: unsafe sysctl "kernel.sem" is not allowed]'),
    ('[{name: net.ipv4.tcp_syncookies, value: "1"}, {name: kernel.shm_rmid_forced, value: "1"}]',
     '[pod.spec.securityContext.sysctls[1]: Forbidden: sysctl "kernel.shm_rmid_forced" is not allowed]'),
])
def test_pod_security_policy_checks_sysctls(tmp_path, capsys, sysctls: str, error: str | None) -> None:
    (tmp_path / "psp.yaml").write_text(PSP)
    pod = tmp_path / "pod.yaml"
    pod.write_text(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  securityContext: {{sysctls: {sysctls}}}\n"
                   "  containers: [{name: c, image: i}]\n")
    code = main(["pod", "check", "-f", str(pod), "--kubernetes-version", "1.24", "--allowed-unsafe-sysctls",
                 "kernel.msg*,kernel.sem", "--pod-security-policy", str(tmp_path / "psp.yaml")])
    out = capsys.readouterr().out
    if error is None:
        assert code == 0 and f"ok    {pod}: pod/p: Running" in out
    else:
        assert code == 1
        assert out.splitlines()[:2] == [
            f"FAIL  {pod}: pod/p: Forbidden at psp",
            (f'      Error from server (Forbidden): error when creating "{pod}": pods "p" is forbidden: '
             f"unable to validate against any pod security policy: {error}")]


def test_pod_security_policy_is_gone_in_1_25(tmp_path, capsys) -> None:
    (tmp_path / "psp.yaml").write_text(PSP)
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                                       "  containers: [{name: c, image: i}]\n")
    assert main(["pod", "check", "-f", str(tmp_path / "pod.yaml"), "--kubernetes-version", "1.25",
                 "--pod-security-policy", str(tmp_path / "psp.yaml")]) == 2
    assert capsys.readouterr().err == ("fakeproc: PodSecurityPolicy does not exist in Kubernetes 1.25 (it was removed "
                                       "in 1.25; use Pod Security admission)\n")


CONFIG = textwrap.dedent("""\
    apiVersion: apiserver.config.k8s.io/v1
    kind: AdmissionConfiguration
    plugins:
    - name: PodSecurity
      configuration:
        apiVersion: pod-security.admission.config.k8s.io/v1
        kind: PodSecurityConfiguration
        defaults: {enforce: baseline, audit: baseline, warn: baseline}
        exemptions: {usernames: [ci-bot], runtimeClasses: [kata], namespaces: [kube-system]}
    """)


@pytest.mark.parametrize(("extra", "expected"), [
    ([], ["FAIL  {f}: pod/p: Forbidden at psa",
          ('      Error from server (Forbidden): error when creating "{f}": pods "p" is forbidden: '
           'violates PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)'),
          "      audit: pod-security.kubernetes.io/enforce-policy=baseline:latest",
          ('      audit: pod-security.kubernetes.io/audit-violations=would violate PodSecurity "baseline:latest": '
           "forbidden sysctls (kernel.sem)")]),
    (["--as", "ci-bot"], ["FAIL  {f}: pod/p: SysctlForbidden at kubelet",
                          '      Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted',
                          "      audit: pod-security.kubernetes.io/exempt=user"]),
    (["-n", "kube-system"], ["FAIL  {f}: pod/p: SysctlForbidden at kubelet",
                             '      Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted',
                             "      audit: pod-security.kubernetes.io/exempt=namespace"]),
])
def test_pod_security_exemptions_and_audit(tmp_path, capsys, extra: list[str], expected: list[str]) -> None:
    (tmp_path / "config.yaml").write_text(CONFIG)
    f = tmp_path / "pod.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                 "  securityContext: {sysctls: [{name: kernel.sem, value: '1 2 3 4'}]}\n"
                 "  containers: [{name: c, image: i}]\n")
    assert main(["pod", "check", "-f", str(f), "--pod-security-config", str(tmp_path / "config.yaml"), *extra]) == 1
    assert capsys.readouterr().out.splitlines()[:-1] == [line.format(f=f) for line in expected]


def test_runtime_class_exemption_and_audit_only_mode(tmp_path, capsys) -> None:
    (tmp_path / "config.yaml").write_text(CONFIG)
    f = tmp_path / "pod.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  runtimeClassName: kata\n"
                 "  securityContext: {sysctls: [{name: net.core.somaxconn, value: '1024'}]}\n"
                 "  containers: [{name: c, image: i}]\n")
    assert main(["pod", "check", "-f", str(f), "--pod-security-config", str(tmp_path / "config.yaml"),
                 "--allowed-unsafe-sysctls", "net.core.somaxconn"]) == 0
    assert "      audit: pod-security.kubernetes.io/exempt=runtimeClass\n" in capsys.readouterr().out
    g = tmp_path / "pod2.yaml"
    g.write_text(f.read_text().replace("  runtimeClassName: kata\n", ""))
    assert main(["pod", "check", "-f", str(g), "--pod-security-audit", "baseline",
                 "--allowed-unsafe-sysctls", "net.core.somaxconn"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"ok    {g}: pod/p: Running",
        ('      audit: pod-security.kubernetes.io/audit-violations=would violate PodSecurity "baseline:latest": '
         "forbidden sysctls (net.core.somaxconn)"),
        "1 of 1 pods would start"]
