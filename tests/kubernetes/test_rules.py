"""Table tests: every stage's rule and exact message, across Kubernetes versions."""

from __future__ import annotations

import pytest

from fakeproc.kubernetes import api, kubelet, psa
from fakeproc.kubernetes.manifests import Manifest, PodSpec, Sysctl, load_manifests, pod
from fakeproc.kubernetes.runtime import Runtime, crio_validate, plan_sandbox, runc_validate
from fakeproc.kubernetes.versions import KubeVersion, kernel_version, safe_sysctls

V = KubeVersion.parse
SLASH_RE = r"^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"
DOTS_RE = r"([a-z0-9]([-_a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-_a-z0-9]*[a-z0-9])?"

# ---------------------------------------------------------------- safe list and kernel gates


@pytest.mark.parametrize(
    ("version", "kernel", "expected_extra"),
    [
        ("1.16", (6, 18), []),
        ("1.18", (6, 18), ["net.ipv4.ping_group_range"]),
        ("1.22", (6, 18), ["net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]),
        ("1.27", (3, 18, 0), ["net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
                               "net.ipv4.ip_local_reserved_ports"]),
        ("1.27", (3, 10, 0), ["net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]),
        ("1.27", None, ["net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]),
    ],
)
def test_safe_list_depends_on_version_and_kernel(version, kernel, expected_extra):
    base = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies"]
    assert [s.name for s in safe_sysctls(V(version), kernel)] == base + expected_extra


def test_tcp_rmem_needs_kernel_4_15_and_kubernetes_1_32():
    names = lambda v, k: {s.name for s in safe_sysctls(V(v), k)}
    assert "net.ipv4.tcp_rmem" in names("1.32", (4, 15))
    assert "net.ipv4.tcp_rmem" not in names("1.32", (4, 14))
    assert "net.ipv4.tcp_rmem" not in names("1.31", (6, 18))
    assert "net.ipv4.tcp_fin_timeout" not in names("1.36", (4, 5))
    assert "net.ipv4.tcp_keepalive_time" in names("1.36", (4, 5))


def test_kernel_version_parses_like_parse_generic():
    assert kernel_version("5.15.0-75-generic") == (5, 15, 0)
    assert kernel_version("garbage") is None


@pytest.mark.parametrize("text", ["1.15", "1.38", "2", "latest"])
def test_unmodelled_versions_are_usage_errors(text):
    from fakeproc.errors import UsageError

    with pytest.raises(UsageError):
        V(text)


# ---------------------------------------------------------------- API server (422)


def _api(sysctls, version, **kw):
    return [str(e) for e in api.validate(pod("p", sysctls, **kw), V(version))]


@pytest.mark.parametrize(
    ("version", "sysctls", "kw", "expected"),
    [
        ("1.30", [("foo-", "1")], {},
         [(f'spec.securityContext.sysctls[0].name: Invalid value: "foo-": must have at most 253 characters '
           f"and match regex {SLASH_RE}")]),
        ("1.24", [("bar..", "1")], {},
         [(f'spec.securityContext.sysctls[0].name: Invalid value: "bar..": must have at most 253 characters '
           f"and match regex {DOTS_RE}")]),
        ("1.24", [("kernel/sem", "1")], {},
         [(f'spec.securityContext.sysctls[0].name: Invalid value: "kernel/sem": must have at most 253 characters '
           f"and match regex {DOTS_RE}")]),
        ("1.25", [("kernel/sem", "1")], {}, []),
        ("1.30", [("", "1")], {}, ["spec.securityContext.sysctls[0].name: Required value"]),
        ("1.30", [("kernel.shmmax", "1"), ("kernel.shmmax", "2")], {},
         ['spec.securityContext.sysctls[1].name: Duplicate value: "kernel.shmmax"']),
        ("1.30", [("kernel.shm_rmid_forced", "1"), ("kernel/shm_rmid_forced", "1")], {}, []),
        ("1.30", [("safe-and-unsafe", "1")], {}, []),
        ("1.30", [("net.ipv4.ip_unprivileged_port_start", "0")], {"host_network": True},
         [('spec.securityContext.sysctls[0].name: Invalid value: "net.ipv4.ip_unprivileged_port_start": '
           "may not be specified when 'hostNetwork' is true")]),
        ("1.30", [("kernel.shm_rmid_forced", "1")], {"host_ipc": True},
         [('spec.securityContext.sysctls[0].name: Invalid value: "kernel.shm_rmid_forced": '
           "may not be specified when 'hostIPC' is true")]),
        ("1.28", [("net.ipv4.ip_unprivileged_port_start", "0")], {"host_network": True}, []),
        ("1.30", [("kernel.shm_next_id", "1")], {"host_ipc": True}, []),  # Unknown since 1.29
    ],
)
def test_api_validation_messages(version, sysctls, kw, expected):
    assert _api(sysctls, version, **kw) == expected


def test_api_value_is_never_validated():
    assert _api([("kernel.sem", "")], "1.30") == []


def test_api_renders_server_and_kubectl_messages_for_workloads():
    m = load_manifests("""
kind: Deployment
apiVersion: apps/v1
metadata: {name: main-istio}
spec:
  selector: {matchLabels: {app: istio}}
  template:
    metadata: {labels: {app: istio}}
    spec:
      hostNetwork: true
      securityContext: {sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}]}
      containers: [{name: istio-proxy, image: proxy}]
""")[0]
    errs = api.validate(m, V("1.30"))
    assert api.server_invalid_message(m, errs) == (
        'Deployment.apps "main-istio" is invalid: spec.template.spec.securityContext.sysctls[0].name: '
        "Invalid value: \"net.ipv4.ip_unprivileged_port_start\": may not be specified when 'hostNetwork' is true")


def test_kubectl_lists_several_errors():
    m = pod("p", [("foo-", "1"), ("x", "1"), ("x", "2")])
    errs = api.validate(m, V("1.30"))
    text = api.kubectl_invalid_message(m, errs)
    assert text.startswith('The Pod "p" is invalid: \n* spec.securityContext.sysctls[0].name: Invalid value: "foo-"')
    assert text.endswith('* spec.securityContext.sysctls[2].name: Duplicate value: "x"')


def test_pod_name_must_be_dns_subdomain():
    errs = [str(e) for e in api.validate(pod("Bad_Name"), V("1.30"))]
    assert errs[0].startswith('metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain')


# ---------------------------------------------------------------- Pod Security Admission


@pytest.mark.parametrize(
    ("name", "label", "cluster", "allowed"),
    [
        ("net.ipv4.ip_local_reserved_ports", "latest", "1.27", True),
        ("net.ipv4.ip_local_reserved_ports", "v1.26", "1.30", False),
        ("net.ipv4.tcp_keepalive_time", "v1.28", "1.30", False),
        ("net.ipv4.tcp_keepalive_time", "latest", "1.29", True),
        ("net.ipv4.tcp_rmem", "latest", "1.31", False),
        ("net.ipv4.tcp_rmem", "latest", "1.32", True),
        ("net.ipv4.tcp_notsent_lowat", "latest", "1.36", False),
        ("net.ipv4.tcp_notsent_lowat", "latest", "1.37", True),
        ("net/ipv4/ip_local_port_range", "latest", "1.30", False),  # exact names only
    ],
)
def test_psa_baseline_allowed_set_per_policy_version(name, label, cluster, allowed):
    e = psa.evaluate(pod("p", {name: "1"}).pod, psa.Level.BASELINE, label, V(cluster))
    assert e.allowed is allowed


def test_psa_messages_list_all_forbidden_names_in_order():
    p = pod("p", {"net.core.somaxconn": "1", "kernel.shm_rmid_forced": "1", "kernel.msgmax": "1"}).pod
    e = psa.evaluate(p, psa.Level.BASELINE, "v1.29", V("1.30"))
    assert e.message == 'violates PodSecurity "baseline:v1.29": forbidden sysctls (net.core.somaxconn, kernel.msgmax)'
    assert e.warning.startswith('would violate PodSecurity "baseline:v1.29": forbidden sysctls')


def test_psa_baseline_reports_host_namespaces_before_sysctls():
    p = pod("p", {"kernel.sem": "1"}, host_network=True).pod
    e = psa.evaluate(p, psa.Level.BASELINE, "latest", V("1.30"))
    assert e.message == ('violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), '
                         "forbidden sysctls (kernel.sem)")


def test_psa_privileged_has_no_checks_and_psa_needs_1_22():
    from fakeproc.errors import UsageError

    assert psa.evaluate(pod("p", {"vm.x": "1"}).pod, psa.Level.PRIVILEGED, "latest", V("1.16")).allowed
    with pytest.raises(UsageError):
        psa.evaluate(pod("p").pod, psa.Level.BASELINE, "latest", V("1.21"))


# ---------------------------------------------------------------- kubelet startup (allowlist patterns)


@pytest.mark.parametrize(
    ("version", "pattern", "message"),
    [
        ("1.30", "vm.max_map_count", 'the sysctls "vm.max_map_count" are not known to be namespaced'),
        ("1.28", "vm.max_map_count", 'the sysctl "vm.max_map_count" are not known to be namespaced'),
        ("1.28", "foo*", 'the sysctls "foo*" are not known to be namespaced'),
        ("1.30", "foo*", 'the sysctls "foo" are not known to be namespaced'),
        ("1.30", "*", 'the sysctls "" are not known to be namespaced'),
        ("1.30", "net*", 'the sysctls "net" are not known to be namespaced'),
        ("1.30", "kernel.shm_next_id", 'the sysctls "kernel.shm_next_id" are not known to be namespaced'),
        ("1.30", "net.*.foo", ('sysctl "net.*.foo" must have at most 253 characters and match regex '
                               r"([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]")),
        ("1.22", "kernel/msg*", ('sysctl "kernel/msg*" must have at most 253 characters and match regex '
                                 r"([a-z0-9]([-_a-z0-9]*[a-z0-9])?\.)*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]")),
        ("1.36", "kernel.domainname", 'the sysctls "kernel.domainname" are not known to be namespaced'),
    ],
)
def test_kubelet_refuses_to_start(version, pattern, message):
    with pytest.raises(kubelet.KubeletStartupError) as exc:
        kubelet.build_allowlist((pattern,), V(version), (6, 18))
    assert str(exc.value) == message


@pytest.mark.parametrize("pattern", ["kernel.msg*", "net.*", "kernel/msg*", "kernel.shm_next_id", "fs.mqueue.*"])
def test_kubelet_accepts_namespaced_patterns_1_28(pattern):
    if pattern == "kernel/msg*":
        kubelet.build_allowlist((pattern,), V("1.23"), None)
    kubelet.build_allowlist((pattern,), V("1.28"), None)


def test_kubelet_1_37_can_allowlist_kernel_domainname():
    assert "kernel.domainname" in kubelet.build_allowlist(("kernel.domainname",), V("1.37"), None).exact


def test_allowed_unsafe_sysctls_flag_splits_on_commas():
    assert kubelet.parse_allowed_unsafe_sysctls("kernel.sem,kernel.msg*") == ("kernel.sem", "kernel.msg*")


def test_kubelet_config_file(tmp_path):
    f = tmp_path / "kubelet.yaml"
    f.write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                 "allowedUnsafeSysctls: ['kernel.sem', 'net.core.somaxconn']\n")
    assert kubelet.load_kubelet_config(f) == ("kernel.sem", "net.core.somaxconn")


# ---------------------------------------------------------------- kubelet admission (SysctlForbidden)

ALLOW = ("kernel.msg*", "kernel.sem", "net.b.*")


@pytest.mark.parametrize(
    ("version", "name", "kw", "message"),
    [
        ("1.21", "kernel.sem", {}, None),
        ("1.21", "foo", {}, 'forbidden sysctl: "foo" not whitelisted'),
        ("1.22", "foo", {}, 'forbidden sysctl: "foo" not allowlisted'),
        ("1.30", "net.a.b.c", {}, 'forbidden sysctl: "net.a.b.c" not allowlisted'),
        ("1.30", "net.ipv4.ip_local_port_range.a.b.c", {},
         'forbidden sysctl: "net.ipv4.ip_local_port_range.a.b.c" not allowlisted'),
        ("1.30", "kernel.msg_next_id", {}, None),  # plain prefix match
        ("1.30", "net.bx", {}, 'forbidden sysctl: "net.bx" not allowlisted'),
        ("1.30", "kernel/sem", {}, None),
        ("1.22", "kernel/sem", {}, 'forbidden sysctl: "kernel/sem" not allowlisted'),
        ("1.23", "kernel/sem", {}, None),
        ("1.16", "net.ipv4.ip_local_port_range", {"host_network": True},
         'forbidden sysctl: "net.ipv4.ip_local_port_range" not allowed with host net enabled'),
        ("1.28", "kernel.sem", {"host_ipc": True}, 'forbidden sysctl: "kernel.sem" not allowed with host ipc enabled'),
        ("1.30", "net.b.c", {"host_network": True}, 'forbidden sysctl: "net.b.c" not allowed with host Net enabled'),
        ("1.30", "kernel.msgmax", {"host_ipc": True},
         'forbidden sysctl: "kernel.msgmax" not allowed with host IPC enabled'),
        ("1.30", "vm.max_map_count", {}, 'forbidden sysctl: "vm.max_map_count" not allowlisted'),
    ],
)
def test_kubelet_admission_messages(version, name, kw, message):
    v = V(version)
    a = kubelet.admit(pod("p", {name: "1"}, **kw).pod, kubelet.build_allowlist(ALLOW, v, (5, 15, 0)), v)
    assert (a.message or None) == message
    assert a.admitted is (message is None)


@pytest.mark.parametrize(("version", "prefix"), [("1.16", "Pod "), ("1.25", "Pod "), ("1.26", "Pod was rejected: ")])
def test_status_message_prefix_per_version(version, prefix):
    v = V(version)
    a = kubelet.admit(pod("p", {"kernel.sem": "1"}).pod, kubelet.build_allowlist((), v, None), v)
    assert a.status_message == prefix + a.message
    assert a.reason == "SysctlForbidden"


def test_first_failing_sysctl_wins():
    v = V("1.30")
    a = kubelet.admit(pod("p", {"kernel.shm_rmid_forced": "1", "kernel.msgmax": "1", "vm.x": "1"}).pod,
                      kubelet.build_allowlist((), v, None), v)
    assert a.message == 'forbidden sysctl: "kernel.msgmax" not allowlisted'


def test_old_kernel_drops_gated_safe_sysctl():
    v = V("1.30")
    a = kubelet.admit(pod("p", {"net.ipv4.tcp_keepalive_time": "60"}).pod, kubelet.build_allowlist((), v, (4, 4)), v)
    assert a.message == 'forbidden sysctl: "net.ipv4.tcp_keepalive_time" not allowlisted'


# ---------------------------------------------------------------- runtime (runc, containerd, CRI-O)


@pytest.mark.parametrize(
    ("key", "ns", "expected"),
    [
        ("kernel.sem", {"new_ipc": False, "new_net": True, "new_uts": True},
         'sysctl "kernel.sem" is not allowed in the hosts ipc namespace'),
        ("fs.mqueue.msg_max", {"new_ipc": True, "new_net": True, "new_uts": True}, None),
        ("kernel.shm_next_id", {"new_ipc": True, "new_net": True, "new_uts": True},
         'sysctl "kernel.shm_next_id" is not in a separate kernel namespace'),
        ("net.core.somaxconn", {"new_ipc": True, "new_net": False, "new_uts": False},
         'sysctl "net.core.somaxconn" not allowed in host network namespace'),
        ("kernel.domainname", {"new_ipc": True, "new_net": True, "new_uts": True}, None),
        ("kernel.domainname", {"new_ipc": True, "new_net": False, "new_uts": False},
         'sysctl "kernel.domainname" is not in a separate kernel namespace'),
        ("kernel.hostname", {"new_ipc": True, "new_net": True, "new_uts": True},
         'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'),
        ("vm.max_map_count", {"new_ipc": True, "new_net": True, "new_uts": True},
         'sysctl "vm.max_map_count" is not in a separate kernel namespace'),
        ("user.max_user_namespaces", {"new_ipc": True, "new_net": True, "new_uts": True},
         "setting ucounts without a user namespace not allowed: user.max_user_namespaces"),
        ("kernel/sem", {"new_ipc": True, "new_net": True, "new_uts": True}, None),
    ],
)
def test_runc_validator(key, ns, expected):
    assert runc_validate({key: "1"}, **ns) == expected


def test_containerd_2_adds_defaults_only_off_host_network():
    v = V("1.30")
    plan = plan_sandbox(pod("p", {"net.ipv4.ping_group_range": "1 1"}).pod, Runtime.CONTAINERD_2, v)
    assert plan.sysctls == {"net.ipv4.ping_group_range": "1 1", "net.ipv4.ip_unprivileged_port_start": "0"}
    assert plan_sandbox(pod("p", host_network=True).pod, Runtime.CONTAINERD_2, v).sysctls == {}
    assert plan_sandbox(pod("p").pod, Runtime.CONTAINERD_1_7, v).sysctls == {}


def test_kubelet_normalises_and_collapses_duplicates_for_the_runtime():
    plan = plan_sandbox(pod("p", [("kernel.shm_rmid_forced", "0"), ("kernel/shm_rmid_forced", "1")]).pod,
                        Runtime.CONTAINERD_1_7, V("1.30"))
    assert plan.sysctls == {"kernel.shm_rmid_forced": "1"}


def test_crio_skips_invalid_sysctls_with_a_warning():
    plan = plan_sandbox(pod("p", {"kernel.shm_rmid_forced": "1"}, host_ipc=True).pod, Runtime.CRIO, V("1.28"))
    assert plan.sysctls == {}
    assert plan.warnings == (('Skipping invalid sysctl specified over CRI &{kernel.shm_rmid_forced 1}: '
                              '"kernel.shm_rmid_forced" not allowed with host ipc enabled'),)
    assert crio_validate("vm.max_map_count", False, False) == '"vm.max_map_count" not whitelisted'


# ---------------------------------------------------------------- manifests


def test_every_workload_kind_yields_its_pod_template():
    text = "\n---\n".join(
        f"kind: {kind}\napiVersion: x\nmetadata: {{name: w}}\nspec:\n{body}"
        for kind, body in [
            ("Pod", "  securityContext: {sysctls: [{name: a.b, value: '1'}]}"),
            ("Deployment", "  template: {spec: {securityContext: {sysctls: [{name: a.b, value: '1'}]}}}"),
            ("ReplicaSet", "  template: {spec: {securityContext: {sysctls: [{name: a.b, value: '1'}]}}}"),
            ("StatefulSet", "  template: {spec: {securityContext: {sysctls: [{name: a.b, value: '1'}]}}}"),
            ("DaemonSet", "  template: {spec: {securityContext: {sysctls: [{name: a.b, value: '1'}]}}}"),
            ("Job", "  template: {spec: {securityContext: {sysctls: [{name: a.b, value: '1'}]}}}"),
            ("CronJob", ("  jobTemplate: {spec: {template: {spec: {securityContext: "
                         "{sysctls: [{name: a.b, value: '1'}]}}}}}")),
            ("Service", "  ports: []"),
        ]
    )
    ms = load_manifests(text)
    assert [m.kind for m in ms] == ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"]
    assert all(m.pod.sysctls == (Sysctl("a.b", "1"),) for m in ms)
    assert ms[3].pod.name == "w-0"
    assert ms[6].spec_path == "spec.jobTemplate.spec.template.spec"


def test_manifest_dataclasses_are_frozen():
    m = pod("p")
    assert isinstance(m, Manifest) and isinstance(m.pod, PodSpec)
    with pytest.raises(AttributeError):
        m.name = "q"  # type: ignore[misc]
