"""The pipeline end to end through the Python API, on a real kernel model."""

from __future__ import annotations

import pytest

from fakeproc.kubernetes import (
    KubeletStartupError,
    Level,
    NodeConfig,
    Runtime,
    Stage,
    Verdict,
    apply,
    check,
    delete_pod,
    get_pod,
    list_pods,
    load_manifests,
    pod,
    run_pod,
)
from fakeproc.model.kernel import Kernel

SEM = "10000   1024000000      500     32000"


@pytest.fixture
def kernel() -> Kernel:
    return Kernel("6.18")


def test_seed_pod_is_rejected_then_runs_with_its_own_kernel_sem(kernel):
    m = pod("joo-modify-sysctl", {"kernel.sem": SEM}, containers=("nginx",))
    r = apply(m, kernel, NodeConfig.create(kubernetes_version="1.16"))
    assert (r.stage, r.verdict, r.phase, r.reason) == (Stage.KUBELET, Verdict.SYSCTL_FORBIDDEN, "Failed",
                                                       "SysctlForbidden")
    assert r.status_message == 'Pod forbidden sysctl: "kernel.sem" not whitelisted'
    assert [(e.type, e.reason, e.message) for e in r.events][-1] == (
        "Warning", "SysctlForbidden", 'forbidden sysctl: "kernel.sem" not whitelisted')
    assert r.events[-1].source == "kubelet, node1"
    again = apply(m, kernel, NodeConfig.create(kubernetes_version="1.16", allowed_unsafe_sysctls="kernel.sem"))
    assert (again.action, again.verdict) == ("unchanged", Verdict.SYSCTL_FORBIDDEN)  # a failed pod stays failed
    assert delete_pod(kernel, "joo-modify-sysctl")
    r = apply(m, kernel, NodeConfig.create(kubernetes_version="1.16", allowed_unsafe_sysctls="kernel.sem"))
    assert r.verdict is Verdict.RUNNING and r.phase == "Running"
    podns = kernel.namespace_by_label(r.ns_label)
    assert kernel.read("kernel.sem", ns=podns) == "10000\t1024000000\t500\t32000\n"
    assert kernel.read("kernel.sem") == "32000\t1024000000\t500\t32000\n"
    assert r.values["kernel.sem"] == "10000\t1024000000\t500\t32000"


def test_current_version_messages(kernel):
    r = run_pod(pod("p", {"kernel.sem": SEM}), kernel, NodeConfig())
    assert r.status_message == 'Pod was rejected: forbidden sysctl: "kernel.sem" not allowlisted'
    assert r.events[-1].source == "kubelet"


def test_safe_sysctls_run_and_read_back_canonically(kernel):
    r = run_pod(pod("safe", {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_local_port_range": "1024   65000"}),
                kernel, NodeConfig())
    assert r.verdict is Verdict.RUNNING
    assert r.values["net.ipv4.ip_local_port_range"] == "1024\t65000"
    podns = kernel.namespace_by_label(r.ns_label)
    assert kernel.read("kernel.shm_rmid_forced", ns=podns) == "1\n"
    assert kernel.read("kernel.shm_rmid_forced") == "0\n"
    assert kernel.read("kernel.hostname", ns=podns) == "safe\n"


def test_containerd_2_defaults_are_visible_in_the_pod(kernel):
    r = run_pod(pod("p"), kernel, NodeConfig())
    podns = kernel.namespace_by_label(r.ns_label)
    assert kernel.read("net.ipv4.ip_unprivileged_port_start", ns=podns) == "0\n"
    assert kernel.read("net.ipv4.ping_group_range", ns=podns) == "0\t2147483647\n"
    r17 = run_pod(pod("q"), kernel, NodeConfig(runtime=Runtime.CONTAINERD_1_7))
    assert r17.values == {}


def test_elasticsearch_vm_max_map_count_is_never_allowed(kernel):
    r = run_pod(pod("es", {"vm.max_map_count": "262144"}), kernel, NodeConfig())
    assert r.status_message == 'Pod was rejected: forbidden sysctl: "vm.max_map_count" not allowlisted'
    with pytest.raises(KubeletStartupError, match='the sysctls "vm.max_map_count" are not known to be namespaced'):
        run_pod(pod("es", {"vm.max_map_count": "262144"}), kernel,
                NodeConfig.create(allowed_unsafe_sysctls="vm.max_map_count"))


@pytest.mark.parametrize(
    ("version", "stage", "message"),
    [
        ("1.28", Stage.KUBELET, ('Pod was rejected: forbidden sysctl: "net.ipv4.ip_unprivileged_port_start" '
                                 "not allowed with host net enabled")),
        ("1.29", Stage.API, ('The Pod "gw" is invalid: spec.securityContext.sysctls[0].name: Invalid value: '
                             "\"net.ipv4.ip_unprivileged_port_start\": may not be specified when 'hostNetwork' is true")),
    ],
)
def test_host_network_net_sysctl_moves_to_the_api_server_in_1_29(kernel, version, stage, message):
    r = run_pod(pod("gw", {"net.ipv4.ip_unprivileged_port_start": "0"}, host_network=True), kernel,
                NodeConfig.create(kubernetes_version=version))
    assert r.stage is stage
    assert r.messages == (message,)
    assert (r.http_status == 422) is (stage is Stage.API)


def test_bad_value_fails_in_the_kernel_and_pod_stays_container_creating(kernel):
    before = len(kernel.namespaces())
    r = run_pod(pod("ports", {"net.ipv4.ip_local_reserved_ports": "1024 15999"}), kernel,
                NodeConfig(runtime=Runtime.CONTAINERD_1_7))
    assert (r.stage, r.verdict, r.phase) == (Stage.SANDBOX, Verdict.CONTAINER_CREATING, "Pending")
    assert r.events[-1].reason == "FailedCreatePodSandBox"
    assert r.messages == (
        ("Failed to create pod sandbox: rpc error: code = Unknown desc = failed to create containerd task: "
         "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container "
         "process: error during container init: write /proc/sys/net/ipv4/ip_local_reserved_ports: "
         "invalid argument: unknown"),)
    assert len(kernel.namespaces()) == before  # the failed sandbox's namespaces are gone


def test_erange_reaches_the_event(kernel):
    r = run_pod(pod("sem", {"kernel.sem": "250 32000 32 99999999"}), kernel,
                NodeConfig.create(allowed_unsafe_sysctls="kernel.sem"))
    assert r.messages[0].endswith("write /proc/sys/kernel/sem: numerical result out of range: unknown")


def test_slash_vlan_name_is_admitted_but_runc_writes_the_wrong_path(kernel):
    r = run_pod(pod("vlan", {"net/ipv4/conf/eno2.100/rp_filter": "2"}), kernel,
                NodeConfig.create(allowed_unsafe_sysctls="net.ipv4.conf.*"))
    assert r.stage is Stage.SANDBOX
    assert "open /proc/sys/net/ipv4/conf/eno2/100/rp_filter: no such file or directory" in r.messages[0]


def test_runc_validator_failure_is_a_runtime_stage_failure(kernel):
    r = run_pod(pod("shm", {"kernel.shm_next_id": "5"}), kernel,
                NodeConfig.create(kubernetes_version="1.28", allowed_unsafe_sysctls="kernel.shm*"))
    assert r.stage is Stage.RUNTIME
    assert 'runc create failed: sysctl "kernel.shm_next_id" is not in a separate kernel namespace: unknown' \
        in r.messages[0]


def test_crio_skips_what_it_refuses_and_the_pod_runs(kernel):
    r = run_pod(pod("c", {"net.ipv4.ip_local_port_range": "2000 3000"}, host_network=True), kernel,
                NodeConfig.create(kubernetes_version="1.28", runtime="cri-o",
                                  allowed_unsafe_sysctls="net.*"))
    # kubelet of 1.28 refuses net sysctls with hostNetwork before CRI-O sees them
    assert r.verdict is Verdict.SYSCTL_FORBIDDEN


def test_psa_enforce_403_and_warn(kernel):
    node = NodeConfig.create(pod_security="baseline")
    r = run_pod(pod("p", {"kernel.sem": SEM}), kernel, node)
    assert (r.stage, r.verdict, r.http_status) == (Stage.PSA, Verdict.FORBIDDEN, 403)
    assert r.messages == (('Error from server (Forbidden): error when creating STDIN: pods "p" is forbidden: '
                           'violates PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)'),)
    r = run_pod(pod("p", {"kernel.sem": SEM}), kernel, NodeConfig.create(pod_security_warn="baseline"))
    assert r.warnings == ('would violate PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)',)
    assert r.verdict is Verdict.SYSCTL_FORBIDDEN


def test_api_errors_win_over_psa(kernel):
    r = run_pod(pod("p", [("foo-", "1")]), kernel, NodeConfig(pod_security=NodeConfig.create(
        pod_security="restricted").pod_security))
    assert r.http_status == 422


def test_psa_on_a_deployment_warns_and_the_replicaset_fails_to_create(kernel):
    m = load_manifests("""
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
""")[0]
    r = run_pod(m, kernel, NodeConfig.create(pod_security="baseline"))
    assert r.verdict is Verdict.FORBIDDEN and r.http_status is None
    assert r.warnings == ('would violate PodSecurity "baseline:latest": forbidden sysctls (net.core.somaxconn)',)
    assert [e.reason for e in r.events] == ["ScalingReplicaSet", "FailedCreate"]
    rs = m.pod.name.rsplit("-", 1)[0]
    assert (r.events[1].source, r.events[1].object) == ("replicaset-controller", f"replicaset/{rs}")
    # The ReplicaSet sends generateName: the error names the pod by its prefix.
    assert r.events[1].message == (f'Error creating: pods "{rs}-" is forbidden: violates PodSecurity '
                                   '"baseline:latest": forbidden sysctls (net.core.somaxconn)')


def test_node_kernel_gates_the_safe_list():
    old = Kernel("6.18")
    old.attachments.clear()
    r = run_pod(pod("p", {"net.ipv4.tcp_keepalive_time": "60"}), old, NodeConfig())
    assert r.verdict is Verdict.RUNNING  # 6.18 >= 4.5


def test_store_get_list_delete(kernel):
    apply(pod("a", {"kernel.shm_rmid_forced": "1"}), kernel, NodeConfig())
    apply(pod("b", {"kernel.sem": SEM}), kernel, NodeConfig())
    assert [p.name for p in list_pods(kernel)] == ["a", "b"]
    assert get_pod(kernel, "b").reason == "SysctlForbidden"
    assert kernel.namespace_by_label("pod/default/a") is not None
    assert delete_pod(kernel, "a")
    assert kernel.namespace_by_label("pod/default/a") is None
    assert not delete_pod(kernel, "a")


def test_stored_pods_survive_a_snapshot(kernel):
    apply(pod("a", {"kernel.shm_rmid_forced": "1"}), kernel, NodeConfig())
    k2 = Kernel.from_snapshot(kernel.snapshot())
    p = get_pod(k2, "a")
    assert p is not None and p.verdict is Verdict.RUNNING
    assert k2.read("kernel.shm_rmid_forced", ns=k2.namespace_by_label(p.ns_label)) == "1\n"


def test_check_does_not_touch_the_kernel(kernel):
    before = len(kernel.namespaces())
    results = check([pod("a", {"kernel.shm_rmid_forced": "1"}), pod("b", {"kernel.sem": SEM})], NodeConfig(),
                    kernel=kernel)
    assert [r.started for r in results] == [True, False]
    assert len(kernel.namespaces()) == before


def test_result_is_json_able(kernel):
    import json

    r = run_pod(pod("a", {"kernel.sem": SEM}), kernel, NodeConfig.create(pod_security_warn=Level.BASELINE))
    d = json.loads(json.dumps(r.to_dict()))
    assert d["verdict"] == "SysctlForbidden" and d["stage"] == "kubelet"


def test_after_a_node_reboot_the_kubelet_recreates_the_sandbox_with_its_sysctls() -> None:
    from fakeproc.kubernetes import NodeConfig, apply, get_pod, load_manifests, resync

    k = Kernel("6.18")
    m = load_manifests("""
apiVersion: v1
kind: Pod
metadata: {name: sem}
spec:
  securityContext:
    sysctls: [{name: kernel.sem, value: "10000 1024000000 500 32000"}]
  containers: [{name: nginx, image: nginx}]
""")[0]
    apply(m, k, NodeConfig.create(allowed_unsafe_sysctls="kernel.sem"))
    k.reboot()
    assert k.namespace_by_label("pod/default/sem") is None
    assert resync(k) == ["default/sem"]
    pod = get_pod(k, "sem")
    assert pod is not None and pod.restarts == 1
    assert pod.events[-1].reason == "SandboxChanged"
    ns = k.namespace_by_label("pod/default/sem")
    assert ns is not None and k.read("kernel.sem", ns=ns) == "10000\t1024000000\t500\t32000\n"
    assert k.read("kernel.hostname", ns=ns) == "sem\n"
    assert resync(k) == []
