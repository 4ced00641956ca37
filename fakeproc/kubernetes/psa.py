"""Stage 2: Pod Security Admission (the ``PodSecurity`` plugin; HTTP 403 or warnings).

The ``sysctls`` check (baseline) is modelled exactly: an exact-name set per
policy version, offending names reported in spec order. So that a message for
a whole pod is right in common cases, the checks that usually accompany it are
modelled too: ``hostNamespaces`` and ``privileged`` (baseline) and
``allowPrivilegeEscalation``, ``capabilities_restricted``, ``runAsNonRoot`` and
``seccompProfile_restricted`` (restricted).

>>> from fakeproc.kubernetes.manifests import pod
>>> from fakeproc.kubernetes.versions import KubeVersion
>>> r = evaluate(pod("p", {"kernel.sem": "1"}).pod, Level.BASELINE, "latest", KubeVersion(1, 30))
>>> r.message
'violates PodSecurity "baseline:latest": forbidden sysctls (kernel.sem)'
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fakeproc.errors import UsageError
from fakeproc.kubernetes._names import go_quote
from fakeproc.kubernetes.manifests import Container, PodSpec
from fakeproc.kubernetes.versions import PSA_ALLOWED_SYSCTLS, PSA_INTRODUCED, KubeVersion, pick

__all__ = [
    "AUDIT_ANNOTATION_PREFIX",
    "CheckResult",
    "Evaluation",
    "Exemptions",
    "Level",
    "PodSecurity",
    "controller_username",
    "evaluate",
    "exemption",
    "load_pod_security_config",
    "policy_version",
]

#: Audit annotations of the PodSecurity plugin are ``pod-security.kubernetes.io/<key>``
#: (``exempt``, ``enforce-policy``, ``audit-violations``).
AUDIT_ANNOTATION_PREFIX = "pod-security.kubernetes.io/"

#: The service account each controller creates its pods as (kube-controller-manager).
_CONTROLLER_ACCOUNTS = {
    "Deployment": "replicaset-controller", "ReplicaSet": "replicaset-controller",
    "StatefulSet": "statefulset-controller", "DaemonSet": "daemon-set-controller",
    "Job": "job-controller", "CronJob": "job-controller",
}


def controller_username(kind: str) -> str:
    """The user a workload's pods are created as (``system:serviceaccount:kube-system:...``)."""
    return f"system:serviceaccount:kube-system:{_CONTROLLER_ACCOUNTS[kind]}"


class Level(enum.Enum):
    """Pod Security Standards levels."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"


@dataclass(frozen=True)
class PodSecurity:
    """The ``pod-security.kubernetes.io/*`` labels of the pod's namespace.

    Attributes:
        enforce: ``enforce`` level (default privileged: no checks).
        enforce_version: ``enforce-version`` (``latest`` or ``v1.29``).
        warn: ``warn`` level.
        warn_version: ``warn-version``.
        audit: ``audit`` level (a violation is recorded in the audit event, nothing refused).
        audit_version: ``audit-version``.
        exemptions: The admission configuration's ``exemptions``.
    """

    enforce: Level = Level.PRIVILEGED
    enforce_version: str = "latest"
    warn: Level = Level.PRIVILEGED
    warn_version: str = "latest"
    audit: Level = Level.PRIVILEGED
    audit_version: str = "latest"
    exemptions: Exemptions = field(default_factory=lambda: Exemptions())


@dataclass(frozen=True)
class Exemptions:
    """``PodSecurityConfiguration.exemptions``: requests the plugin does not evaluate at all.

    Attributes:
        usernames: Requesting users (a workload's pods are created by its controller's account).
        runtime_classes: Pods with one of these ``runtimeClassName``.
        namespaces: Namespaces.
    """

    usernames: tuple[str, ...] = ()
    runtime_classes: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()


def exemption(ex: Exemptions, *, namespace: str, username: str, runtime_class: str | None) -> str | None:
    """Why a pod request is exempt (the ``exempt`` audit annotation's value), or None.

    The plugin checks the namespace, then the user, then the pod's runtime class.
    """
    if namespace in ex.namespaces:
        return "namespace"
    if username in ex.usernames:
        return "user"
    if runtime_class is not None and runtime_class in ex.runtime_classes:
        return "runtimeClass"
    return None


def _level(value: object, where: str) -> Level:
    try:
        return Level(str(value))
    except ValueError:
        raise UsageError(f"{where}: unknown Pod Security level {value!r} "
                         "(privileged, baseline or restricted)") from None


def load_pod_security_config(path: str | Path) -> tuple[dict[str, str], Exemptions]:
    """The ``defaults`` (``enforce``, ``warn-version``...) and ``exemptions`` of a
    ``PodSecurityConfiguration`` file, alone or inside an ``AdmissionConfiguration``.

    Raises:
        UsageError: unreadable, not YAML, or not a PodSecurityConfiguration.
    """
    try:
        doc: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise UsageError(f"{path}: invalid YAML: {e}") from None
    if isinstance(doc, Mapping) and doc.get("kind") == "AdmissionConfiguration":
        plugin = next((p for p in doc.get("plugins") or () if isinstance(p, Mapping)
                       and p.get("name") == "PodSecurity"), None)
        doc = plugin.get("configuration") if plugin else None
    if not isinstance(doc, Mapping) or doc.get("kind") != "PodSecurityConfiguration":
        raise UsageError(f"{path}: not a PodSecurityConfiguration (or an AdmissionConfiguration with one)")
    defaults = {str(k): str(v) for k, v in (doc.get("defaults") or {}).items()}
    for key in ("enforce", "warn", "audit"):
        if key in defaults:
            _level(defaults[key], str(path))
    ex = doc.get("exemptions") or {}

    def names(key: str) -> tuple[str, ...]:
        value = ex.get(key) or []
        if not isinstance(value, list):
            raise UsageError(f"{path}: exemptions.{key} must be a list")
        return tuple(str(v) for v in value)

    return defaults, Exemptions(names("usernames"), names("runtimeClasses"), names("namespaces"))

@dataclass(frozen=True)
class CheckResult:
    """One failed check: ``reason (detail)`` in the aggregated message."""

    id: str
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


@dataclass(frozen=True)
class Evaluation:
    """A pod evaluated at one level.

    Attributes:
        level: The level.
        version_label: ``latest`` or ``v1.N`` as labelled (printed in messages).
        failures: Failed checks, in the order the plugin reports them.
    """

    level: Level
    version_label: str
    failures: tuple[CheckResult, ...]

    @property
    def allowed(self) -> bool:
        return not self.failures

    @property
    def message(self) -> str:
        """``violates PodSecurity "baseline:latest": forbidden sysctls (a, b)`` (enforce wording)."""
        reasons = ", ".join(str(f) for f in self.failures)
        return f'violates PodSecurity "{self.level.value}:{self.version_label}": {reasons}'

    @property
    def warning(self) -> str:
        """The warn-mode wording: ``would violate PodSecurity ...``."""
        return "would " + self.message.replace("violates", "violate", 1)


def policy_version(label: str, cluster: KubeVersion) -> KubeVersion:
    """The check version a ``*-version`` label selects (``latest`` = the API server's own).

    Raises:
        UsageError: not ``latest`` nor ``v1.N``.
    """
    if label == "latest":
        return cluster
    text = label.removeprefix("v")
    try:
        major, minor = (int(p) for p in text.split("."))
    except ValueError:
        raise UsageError(f"invalid Pod Security version {label!r} (expected latest or v1.N)") from None
    return min(KubeVersion(major, minor), cluster)


def _names(containers: Sequence[Container]) -> str:
    word = "container" if len(containers) == 1 else "containers"
    return f"{word} " + ", ".join(go_quote(c.name) for c in containers)


def _check_host_namespaces(p: PodSpec, v: KubeVersion) -> CheckResult | None:
    parts = [f"{f}=true" for f, on in (("hostNetwork", p.host_network), ("hostPID", p.host_pid),
                                        ("hostIPC", p.host_ipc)) if on]
    return CheckResult("hostNamespaces", "host namespaces", ", ".join(parts)) if parts else None


def _check_privileged(p: PodSpec, v: KubeVersion) -> CheckResult | None:
    bad = [c for c in p.containers if c.security_context.get("privileged") is True]
    if not bad:
        return None
    return CheckResult("privileged", "privileged", f"{_names(bad)} must not set securityContext.privileged=true")


def _check_sysctls(p: PodSpec, v: KubeVersion) -> CheckResult | None:
    allowed = pick(PSA_ALLOWED_SYSCTLS, v)
    bad = [s.name for s in p.sysctls if s.name not in allowed]
    return CheckResult("sysctls", "forbidden sysctls", ", ".join(bad)) if bad else None


def _check_allow_privilege_escalation(p: PodSpec, v: KubeVersion) -> CheckResult | None:
    bad = [c for c in p.containers if c.security_context.get("allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    return CheckResult("allowPrivilegeEscalation", "allowPrivilegeEscalation != false",
                       f"{_names(bad)} must set securityContext.allowPrivilegeEscalation=false")


def _check_capabilities(p: PodSpec, v: KubeVersion) -> CheckResult | None:
    def drops_all(c: Container) -> bool:
        drop = (c.security_context.get("capabilities") or {}).get("drop") or ()
        return "ALL" in drop

    bad = [c for c in p.containers if not drops_all(c)]
    if not bad:
        return None
    return CheckResult("capabilities_restricted", "unrestricted capabilities",
                       f'{_names(bad)} must set securityContext.capabilities.drop=["ALL"]')


def _check_run_as_non_root(p: PodSpec, v: KubeVersion) -> CheckResult | None:
    pod_level = p.security_context.get("runAsNonRoot")
    if pod_level is False:
        return CheckResult("runAsNonRoot", "runAsNonRoot != true", "pod must not set securityContext.runAsNonRoot=false")
    bad = [c for c in p.containers
           if c.security_context.get("runAsNonRoot") is not True
           and not (pod_level is True and c.security_context.get("runAsNonRoot") is None)]
    if not bad:
        return None
    return CheckResult("runAsNonRoot", "runAsNonRoot != true",
                       f"pod or {_names(bad)} must set securityContext.runAsNonRoot=true")


def _check_seccomp(p: PodSpec, v: KubeVersion) -> CheckResult | None:
    def ok(sc: dict[str, object] | object) -> bool | None:
        prof = (sc or {}).get("seccompProfile") if isinstance(sc, dict) else None
        if not isinstance(prof, dict):
            return None
        return prof.get("type") in ("RuntimeDefault", "Localhost")

    pod_ok = ok(dict(p.security_context))
    bad = [c for c in p.containers if not (ok(dict(c.security_context)) or
                                           (ok(dict(c.security_context)) is None and pod_ok))]
    if not bad:
        return None
    return CheckResult("seccompProfile_restricted", "seccompProfile",
                       f'pod or {_names(bad)} must set securityContext.seccompProfile.type to '
                       '"RuntimeDefault" or "Localhost"')


_Check = Callable[[PodSpec, KubeVersion], "CheckResult | None"]
# Order: baseline checks, then restricted ones, each by check ID, as the plugin reports them.
# Divergence: other Pod Security checks (volumes, hostPorts, AppArmor, SELinux, procMount,
# runAsUser, added capabilities, Windows) are not modelled.
_BASELINE: tuple[_Check, ...] = (_check_host_namespaces, _check_privileged, _check_sysctls)
_RESTRICTED: tuple[_Check, ...] = (_check_allow_privilege_escalation, _check_capabilities,
                                   _check_run_as_non_root, _check_seccomp)
_CHECKS: dict[Level, tuple[_Check, ...]] = {
    Level.PRIVILEGED: (),
    Level.BASELINE: _BASELINE,
    Level.RESTRICTED: _BASELINE + _RESTRICTED,
}


def evaluate(p: PodSpec, level: Level, version_label: str, cluster: KubeVersion) -> Evaluation:
    """Run ``level``'s checks (at the policy version the label selects) on pod ``p``.

    Raises:
        UsageError: a non-privileged level on a cluster older than Pod Security Admission.
    """
    if level is not Level.PRIVILEGED and cluster < PSA_INTRODUCED:
        raise UsageError(f"Pod Security Admission does not exist in Kubernetes {cluster} "
                         f"(it was introduced in {PSA_INTRODUCED})")
    v = policy_version(version_label, cluster)
    failures = tuple(r for check in _CHECKS[level] if (r := check(p, v)) is not None)
    return Evaluation(level, version_label, failures)
