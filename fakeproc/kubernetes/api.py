"""Stage 1: kube-apiserver field validation of pod sysctls (HTTP 422 ``Invalid``).

Follows ``validateSysctls`` and ``ValidateHostSysctl`` of
pkg/apis/core/validation/validation.go for the chosen Kubernetes version, and
renders the errors as the API server and ``kubectl`` print them.

>>> from fakeproc.kubernetes.manifests import pod
>>> from fakeproc.kubernetes.versions import KubeVersion
>>> errs = validate(pod("p", [("foo-", "1")]), KubeVersion(1, 30))
>>> print(errs[0])  # doctest: +ELLIPSIS
spec.securityContext.sysctls[0].name: Invalid value: "foo-": must have at most 253 characters and match regex ^(...
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fakeproc.kubernetes._names import go_quote, normalize_name
from fakeproc.kubernetes.manifests import Manifest
from fakeproc.kubernetes.versions import (
    API_DUPLICATE_CHECK,
    API_HOST_NAMESPACE_CHECK,
    API_SYSCTL_NAME,
    KUBELET_NAMESPACES,
    KubeVersion,
    pick,
)

__all__ = [
    "SYSCTL_MAX_LENGTH",
    "ErrorType",
    "FieldError",
    "api_namespace_of",
    "go_map",
    "kubectl_invalid_message",
    "server_invalid_message",
    "validate",
]

#: ``SysctlMaxLength``.
SYSCTL_MAX_LENGTH = 253
_DNS1123_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_DNS1123_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    f"validation is '{_DNS1123_SUBDOMAIN}')"
)


class ErrorType(enum.Enum):
    """apimachinery ``field.ErrorType`` values used here (their ``String()``)."""

    REQUIRED = "Required value"
    INVALID = "Invalid value"
    DUPLICATE = "Duplicate value"
    NOT_SUPPORTED = "Unsupported value"
    FORBIDDEN = "Forbidden"


@dataclass(frozen=True)
class FieldError:
    """One apimachinery ``field.Error``.

    Attributes:
        type: The error type.
        field: The field path (``spec.securityContext.sysctls[0].name``).
        value: The bad value (None for Required).
        detail: The explanation (may be empty).
        literal: The value is already in Go's ``%#v`` form (a map), printed unquoted.
    """

    type: ErrorType
    field: str
    value: str | None = None
    detail: str = ""
    literal: bool = False

    def __str__(self) -> str:
        body = self.type.value
        if self.type not in (ErrorType.REQUIRED, ErrorType.FORBIDDEN):
            body += f": {self.value}" if self.literal else f": {go_quote(self.value or '')}"
        if self.detail:
            body += f": {self.detail}"
        return f"{self.field}: {body}"


def api_namespace_of(name: str) -> str | None:
    """``GetNamespace`` as the API server uses it (component-helpers, 1.29+): ``ipc``/``net``/None."""
    rule = pick(KUBELET_NAMESPACES, KubeVersion(1, 29))
    prefix = normalize_name(name).split("*", 1)[0]
    return rule.classify(prefix)


def _validate_name(m: Manifest) -> list[FieldError]:
    if not m.name:
        return [FieldError(ErrorType.REQUIRED, "metadata.name", None, "name or generateName is required")]
    errs = []
    if len(m.name) > 253:
        errs.append(FieldError(ErrorType.INVALID, "metadata.name", m.name, "must be no more than 253 characters"))
    if not re.fullmatch(_DNS1123_SUBDOMAIN, m.name):
        errs.append(FieldError(ErrorType.INVALID, "metadata.name", m.name, _DNS1123_MSG))
    return errs


def go_map(labels: Mapping[str, str] | None) -> str:
    """Go's ``%#v`` of a ``map[string]string`` (keys sorted, as fmt prints maps).

    >>> go_map(None), go_map({"b": "2", "a": "1"})
    ('map[string]string(nil)', 'map[string]string{"a":"1", "b":"2"}')
    """
    if labels is None:
        return "map[string]string(nil)"
    return "map[string]string{" + ", ".join(f"{go_quote(k)}:{go_quote(v)}" for k, v in sorted(labels.items())) + "}"


#: Workload kinds whose controller selects its pods with ``spec.selector`` (apps/v1: required).
_SELECTOR_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
#: ``restartPolicy`` values a workload's template may have (pkg/apis/apps|batch/validation).
_RESTART_POLICIES: dict[str, tuple[str, ...]] = {
    "Deployment": ("Always",), "ReplicaSet": ("Always",), "StatefulSet": ("Always",), "DaemonSet": ("Always",),
    "Job": ("OnFailure", "Never"), "CronJob": ("OnFailure", "Never"),
}


def _validate_workload(m: Manifest) -> list[FieldError]:
    """``ValidateDeploymentSpec`` & co. up to the pod template: selector, template labels, schedule."""
    errs: list[FieldError] = []
    if m.kind == "CronJob" and not (m.raw.get("spec") or {}).get("schedule"):
        errs.append(FieldError(ErrorType.REQUIRED, "spec.schedule"))
    if m.kind not in _SELECTOR_KINDS:
        return errs
    if m.selector is None:
        errs.append(FieldError(ErrorType.REQUIRED, "spec.selector"))
    # A missing selector selects nothing (labels.Nothing()), so it matches no template labels either.
    # Divergence: matchExpressions are not evaluated (a selector with only expressions matches).
    wanted = dict((m.selector or {}).get("matchLabels") or {}) if m.selector is not None else None
    labels = m.template_labels or {}
    if wanted is None or any(labels.get(k) != str(v) for k, v in wanted.items()):
        errs.append(FieldError(ErrorType.INVALID, "spec.template.metadata.labels", go_map(m.template_labels),
                               "`selector` does not match template `labels`", literal=True))
    return errs


def _validate_template(m: Manifest) -> list[FieldError]:
    """The pod spec's own required field (``containers``)."""
    if not m.pod.app_containers:
        return [FieldError(ErrorType.REQUIRED, f"{m.spec_path}.containers")]
    return []


def _validate_restart_policy(m: Manifest) -> list[FieldError]:
    """A workload template's ``restartPolicy`` (defaulted to Always, which Jobs refuse)."""
    allowed = _RESTART_POLICIES.get(m.kind)
    if allowed is None:
        return []
    path = f"{m.spec_path}.restartPolicy"
    supported = ", ".join(go_quote(v) for v in allowed)
    policy = m.restart_policy or "Always"  # SetDefaults_PodSpec, also inside templates
    if policy in allowed:
        return []
    if m.kind in _SELECTOR_KINDS:
        return [FieldError(ErrorType.NOT_SUPPORTED, path, policy, f"supported values: {supported}")]
    # batch validation reports any other value (the defaulted Always too) as Required.
    return [FieldError(ErrorType.REQUIRED, path, None, f"valid values: {supported}")]


def validate(m: Manifest, version: KubeVersion) -> list[FieldError]:
    """The field errors the API server of ``version`` reports for ``m`` (empty: valid).

    The object name is checked as a DNS-1123 subdomain; a workload's selector
    (required for apps/v1 kinds, and matching the template's labels) and a
    CronJob's schedule; the pod (template) must have containers; then each sysctl item:
    empty name (Required), syntax or length (Invalid), a raw name seen before
    (Duplicate), and from 1.29 a Net or IPC sysctl combined with hostNetwork or
    hostIPC (Invalid); last a workload template's restartPolicy (Always for apps/v1
    kinds; OnFailure or Never for Jobs). Values are never validated.
    """
    errs = _validate_name(m)
    if m.is_workload:
        errs.extend(_validate_workload(m))
    errs.extend(_validate_template(m))
    fmt = pick(API_SYSCTL_NAME, version)
    check_dup = pick(API_DUPLICATE_CHECK, version)
    check_host = pick(API_HOST_NAMESPACE_CHECK, version)
    base = f"{m.spec_path}.securityContext.sysctls"
    seen: set[str] = set()
    for i, s in enumerate(m.pod.sysctls):
        path = f"{base}[{i}].name"
        if not s.name:
            errs.append(FieldError(ErrorType.REQUIRED, path))
        elif len(s.name) > SYSCTL_MAX_LENGTH or not re.fullmatch(fmt.regex, s.name):
            errs.append(FieldError(ErrorType.INVALID, path, s.name,
                                   f"must have at most {SYSCTL_MAX_LENGTH} characters and match regex {fmt.printed}"))
        elif check_dup and s.name in seen:
            errs.append(FieldError(ErrorType.DUPLICATE, path, s.name))
        if check_host:
            ns = api_namespace_of(s.name)
            if ns == "net" and m.pod.host_network:
                errs.append(FieldError(ErrorType.INVALID, path, s.name,
                                       "may not be specified when 'hostNetwork' is true"))
            elif ns == "ipc" and m.pod.host_ipc:
                errs.append(FieldError(ErrorType.INVALID, path, s.name, "may not be specified when 'hostIPC' is true"))
        seen.add(s.name)
    errs.extend(_validate_restart_policy(m))
    return errs


def server_invalid_message(m: Manifest, errs: Sequence[FieldError]) -> str:
    """The 422 status message: ``Pod "p" is invalid: <error>`` or ``... is invalid: [<e1>, <e2>]``."""
    agg = str(errs[0]) if len(errs) == 1 else "[" + ", ".join(str(e) for e in errs) + "]"
    return f"{m.qualified_kind} {go_quote(m.name)} is invalid: {agg}"


def kubectl_invalid_message(m: Manifest, errs: Sequence[FieldError]) -> str:
    """What ``kubectl apply`` prints for the 422: one line, or a ``* `` list for several errors."""
    prefix = f"The {m.kind} {go_quote(m.name)} is invalid: "
    if len(errs) == 1:
        return prefix + str(errs[0])
    return prefix + "\n" + "\n".join(f"* {e}" for e in errs)
