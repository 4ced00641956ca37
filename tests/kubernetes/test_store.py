"""kubectl apply semantics, API-server workload validation and the runtime's network order."""

from __future__ import annotations

import pytest

from fakeproc.kubernetes import (
    NodeConfig,
    Verdict,
    apply,
    apply_manifests,
    check,
    delete_pod,
    get_pod,
    load_manifests,
    pod,
    resync,
)
from fakeproc.kubernetes.kubectl import apply_lines
from fakeproc.model.kernel import Kernel

OLD_FIELDS = ("`spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds` "
              "or `spec.tolerations` (only additions to existing tolerations)")
NEW_FIELDS = ("`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
              "`spec.tolerations` (only additions to existing tolerations),"
              "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")
SYSCTL_DIFF = """
  core.PodSpec{
  \t... // unchanged fields
  \tSecurityContext: &core.PodSecurityContext{
  \t\t... // unchanged fields
- \t\tSysctls: []core.Sysctl{{Name: "kernel.shm_rmid_forced", Value: "1"}},
+ \t\tSysctls: []core.Sysctl{{Name: "kernel.shm_rmid_forced", Value: "0"}},
  \t},
  \t... // unchanged fields
  }"""


@pytest.fixture
def kernel() -> Kernel:
    return Kernel("6.18")


def _yaml(text: str) -> str:
    return text.replace("\n    ", "\n")


def test_apply_again_is_unchanged_and_keeps_the_pod(kernel: Kernel) -> None:
    m = pod("web", {"kernel.shm_rmid_forced": "1"})
    assert apply_lines([apply(m, kernel)]) == "pod/web created"
    first = get_pod(kernel, "web")
    assert apply_lines([apply(m, kernel)]) == "pod/web unchanged"
    assert get_pod(kernel, "web") == first


@pytest.mark.parametrize(("version", "fields"), [("1.16", OLD_FIELDS), ("1.21", OLD_FIELDS),
                                                 ("1.22", NEW_FIELDS), ("1.36", NEW_FIELDS)])
def test_changing_a_pod_sysctl_is_the_api_servers_immutability_error(kernel: Kernel, version: str,
                                                                     fields: str) -> None:
    node = NodeConfig.create(kubernetes_version=version)
    apply(pod("web", {"kernel.shm_rmid_forced": "1"}), kernel, node)
    r = apply(pod("web", {"kernel.shm_rmid_forced": "0"}), kernel, node)
    assert r.http_status == 422
    assert apply_lines([r]) == (f'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other '
                                f"than {fields}\n{SYSCTL_DIFF.lstrip(chr(10))}")
    assert get_pod(kernel, "web").values == {"kernel.shm_rmid_forced": "1",  # the stored pod is untouched
                                             "net.ipv4.ip_unprivileged_port_start": "0",
                                             "net.ipv4.ping_group_range": "0\t2147483647"}


def test_changing_only_an_image_or_a_label_is_configured(kernel: Kernel) -> None:
    doc = """
    apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec:
      containers: [{name: nginx, image: nginx:1}]
    """
    assert apply_lines(apply_manifests(load_manifests(_yaml(doc)), kernel)) == "pod/web created"
    changed = _yaml(doc).replace("nginx:1", "nginx:2").replace("{name: web}", "{name: web, labels: {a: b}}")
    assert apply_lines(apply_manifests(load_manifests(changed), kernel)) == "pod/web configured"
    assert apply_lines(apply_manifests(load_manifests(changed), kernel)) == "pod/web unchanged"


def test_adding_a_container_is_refused(kernel: Kernel) -> None:
    apply(pod("web", containers=("a",)), kernel)
    r = apply(pod("web", containers=("a", "b")), kernel)
    assert apply_lines([r]) == ('The Pod "web" is invalid: spec.containers: Forbidden: '
                                "pod updates may not add or remove containers")


DEPLOYMENT = """
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
"""


def test_a_deployments_new_template_is_configured_and_rolls_out_a_new_pod(kernel: Kernel) -> None:
    node = NodeConfig.create(allowed_unsafe_sysctls="net.core.somaxconn")
    (r,) = apply_manifests(load_manifests(DEPLOYMENT), kernel, node)
    assert (apply_lines([r]), r.verdict) == ("deployment.apps/web created", Verdict.RUNNING)
    (r,) = apply_manifests(load_manifests(DEPLOYMENT.replace('"1024"', '"2048"')), kernel, node)
    assert apply_lines([r]) == "deployment.apps/web configured"
    assert get_pod(kernel, r.name).values["net.core.somaxconn"] == "2048"


def test_a_jobs_template_is_immutable(kernel: Kernel) -> None:
    job = """
    apiVersion: batch/v1
    kind: Job
    metadata: {name: pi}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: pi, image: perl:5}]
    """
    assert apply_lines(apply_manifests(load_manifests(_yaml(job)), kernel)) == "job.batch/pi created"
    (r,) = apply_manifests(load_manifests(_yaml(job).replace("perl:5", "perl:6")), kernel)
    assert apply_lines([r]) == ('The Job "pi" is invalid: spec.template: Invalid value: '
                                "core.PodTemplateSpec{...}: field is immutable")


@pytest.mark.parametrize(("doc", "message"), [
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
     ('The Deployment "web" is invalid: \n'
      "* spec.selector: Required value\n"
      "* spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template "
      "`labels`\n"
      "* spec.template.spec.containers: Required value")),
    (("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: es}\nspec:\n  selector: {matchLabels: {app: es}}\n"
      "  template:\n    metadata: {labels: {app: other}}\n    spec: {containers: [{name: es, image: es}]}\n"),
     ('The StatefulSet "es" is invalid: spec.template.metadata.labels: Invalid value: '
      'map[string]string{"app":"other"}: `selector` does not match template `labels`')),
    (("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: w}}\n"
      "  template:\n    metadata: {labels: {app: w}}\n    spec: {restartPolicy: Never, containers: [{name: a, image: b}]}\n"),
     ('The Deployment "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": '
      'supported values: "Always"')),
    (("apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  template:\n"
      "    spec: {containers: [{name: pi, image: perl}]}\n"),
     'The Job "pi" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'),
    (("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n"
      "        spec: {restartPolicy: OnFailure, containers: [{name: c, image: c}]}\n"),
     'The CronJob "c" is invalid: spec.schedule: Required value'),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", 'The Pod "p" is invalid: spec.containers: Required value'),
])
def test_workloads_are_validated_like_the_api_server(kernel: Kernel, doc: str, message: str) -> None:
    results = apply_manifests(load_manifests(doc), kernel)
    assert [r.http_status for r in results] == [422]
    assert apply_lines(results) == message
    assert get_pod(kernel, results[0].name) is None  # nothing stored


ETH0_POD = """
apiVersion: v1
kind: Pod
metadata: {name: rp}
spec:
  securityContext: {sysctls: [{name: net.ipv4.conf.eth0.rp_filter, value: "2"}]}
  containers: [{name: app, image: busybox}]
"""


@pytest.mark.parametrize("runtime", ["containerd-2", "containerd-1.7"])
def test_containerd_sets_up_eth0_before_runc_writes_the_sysctls(runtime: str) -> None:
    k = Kernel("6.18")
    node = NodeConfig.create(allowed_unsafe_sysctls="net.ipv4.conf.*", runtime=runtime)
    (r,) = apply_manifests(load_manifests(ETH0_POD), k, node)
    assert r.verdict is Verdict.RUNNING
    ns = k.namespace_by_label(r.ns_label)
    assert ns.net.devices == ["lo", "eth0"]
    assert k.read("net.ipv4.conf.eth0.rp_filter", ns=ns) == "2\n"


def test_crio_pinns_writes_before_the_network_exists_so_eth0_sysctls_fail() -> None:
    node = NodeConfig.create(allowed_unsafe_sysctls="net.ipv4.conf.*", runtime="cri-o")
    (r,) = check(load_manifests(ETH0_POD), node)
    assert r.verdict is Verdict.CONTAINER_CREATING
    assert r.messages == (("Failed to create pod sandbox: rpc error: code = Unknown desc = "
                           "open /proc/sys/net/ipv4/conf/eth0/rp_filter: no such file or directory"),)


def test_resync_recreates_the_sandbox_with_eth0_in_the_runtimes_order(kernel: Kernel) -> None:
    node = NodeConfig.create(allowed_unsafe_sysctls="net.ipv4.conf.*")
    (r,) = apply_manifests(load_manifests(ETH0_POD), kernel, node)
    kernel.reboot()
    assert resync(kernel) == ["default/rp"]
    ns = kernel.namespace_by_label(r.ns_label)
    assert kernel.read("net.ipv4.conf.eth0.rp_filter", ns=ns) == "2\n"
    assert get_pod(kernel, "rp").restarts == 1
    assert delete_pod(kernel, "rp") and kernel.namespace_by_label(r.ns_label) is None


@pytest.mark.parametrize(("version", "message"), [
    ("1.16", "Scaled up replica set web-nq8gsdt82k to 1"),
    ("1.30", "Scaled up replica set web-nq8gsdt82k to 1"),
    ("1.31", "Scaled up replica set web-nq8gsdt82k from 0 to 1"),
])
def test_deployment_scaling_event_follows_the_version(kernel: Kernel, version: str, message: str) -> None:
    node = NodeConfig.create(kubernetes_version=version, allowed_unsafe_sysctls="net.core.somaxconn")
    (r,) = apply_manifests(load_manifests(DEPLOYMENT), kernel, node)
    assert [(e.reason, e.source, e.object, e.message) for e in r.events[:2]] == [
        ("ScalingReplicaSet", "deployment-controller", "deployment/web", message),
        ("SuccessfulCreate", "replicaset-controller", "replicaset/web-nq8gsdt82k", f"Created pod: {r.name}"),
    ]


def test_pod_security_policy_refuses_a_deployments_pod_through_its_replicaset(kernel: Kernel, tmp_path) -> None:
    psp = tmp_path / "psp.yaml"
    psp.write_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: none}\nspec: {}\n")
    node = NodeConfig.create(kubernetes_version="1.24", pod_security_policy=psp,
                             allowed_unsafe_sysctls="net.core.somaxconn")
    (r,) = apply_manifests(load_manifests(DEPLOYMENT), kernel, node)
    assert (apply_lines([r]), r.stage.value, r.phase) == ("deployment.apps/web created", "psp", None)
    assert r.events[-1].message == (
        'Error creating: pods "web-nq8gsdt82k-" is forbidden: unable to validate against any pod security policy: '
        '[pod.spec.securityContext.sysctls[0]: Forbidden: unsafe sysctl "net.core.somaxconn" is not allowed]')
    assert get_pod(kernel, r.name) is not None and apply_lines([apply(load_manifests(DEPLOYMENT)[0], kernel,
                                                                      node)]) == "deployment.apps/web unchanged"


def test_a_yaml_timestamp_in_a_manifest_is_kept_as_text(kernel: Kernel) -> None:
    doc = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {since: 2024-01-02T03:04:05Z}}\n"
           "spec:\n  containers: [{name: c, image: i}]\n")
    (r,) = apply_manifests(load_manifests(doc), kernel)
    assert r.applied["metadata"]["annotations"] == {"since": "2024-01-02 03:04:05+00:00"}
    assert Kernel.from_snapshot(kernel.snapshot()).attachments == kernel.attachments
