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
from collections.abc import Sequence
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


@dataclass(frozen=True)
class FieldError:
    """One apimachinery ``field.Error``.

    Attributes:
        type: The error type.
        field: The field path (``spec.securityContext.sysctls[0].name``).
        value: The bad value (None for Required).
        detail: The explanation (may be empty).
    """

    type: ErrorType
    field: str
    value: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        body = self.type.value
        if self.type is not ErrorType.REQUIRED:
            body += f": {go_quote(self.value or '')}"
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


def validate(m: Manifest, version: KubeVersion) -> list[FieldError]:
    """The field errors the API server of ``version`` reports for ``m`` (empty: valid).

    The object name is checked as a DNS-1123 subdomain, then each sysctl item:
    empty name (Required), syntax or length (Invalid), a raw name seen before
    (Duplicate), and from 1.29 a Net or IPC sysctl combined with hostNetwork or
    hostIPC (Invalid). Values are never validated.
    """
    errs = _validate_name(m)
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
