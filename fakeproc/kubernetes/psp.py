"""Stage 2a: PodSecurityPolicy admission (Kubernetes 1.16 to 1.24; removed in 1.25).

Only the sysctl strategy is modelled (pkg/security/podsecuritypolicy/sysctl,
``mustMatchPatterns``): for each sysctl of the pod, a name matching
``forbiddenSysctls`` is refused, a safe one passes, one matching
``allowedUnsafeSysctls`` passes, anything else is refused as unsafe. A pod is
admitted when one policy (in name order) validates it; otherwise the errors of
every policy are returned together
(plugin/pkg/admission/security/podsecuritypolicy/admission.go).

>>> from fakeproc.kubernetes.manifests import pod
>>> from fakeproc.kubernetes.versions import KubeVersion
>>> pol = Policy("restricted", allowed_unsafe=("kernel.msg*",), forbidden=())
>>> admit(pod("p", {"kernel.sem": "1"}).pod, (pol,), KubeVersion(1, 20))
'unable to validate against any pod security policy: [pod.spec.securityContext.sysctls[0]: Forbidden: unsafe sysctl "kernel.sem" is not allowed]'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fakeproc.errors import UsageError
from fakeproc.kubernetes._names import go_quote
from fakeproc.kubernetes.manifests import PodSpec
from fakeproc.kubernetes.versions import PSP_REMOVED, KubeVersion, safe_sysctls

__all__ = ["Policy", "admit", "load_policies"]

_FIELD = "pod.spec.securityContext.sysctls"


@dataclass(frozen=True)
class Policy:
    """The sysctl part of one ``PodSecurityPolicy``.

    Attributes:
        name: ``metadata.name`` (policies are tried in name order).
        allowed_unsafe: ``spec.allowedUnsafeSysctls`` patterns (``*`` suffix for a prefix).
        forbidden: ``spec.forbiddenSysctls`` patterns.
    """

    name: str
    allowed_unsafe: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in patterns)


def _errors(pod: PodSpec, policy: Policy, safe: frozenset[str]) -> list[str]:
    errs = []
    for i, s in enumerate(pod.sysctls):
        if _matches(s.name, policy.forbidden):
            errs.append(f"{_FIELD}[{i}]: Forbidden: sysctl {go_quote(s.name)} is not allowed")
        elif s.name in safe or _matches(s.name, policy.allowed_unsafe):
            continue
        else:
            errs.append(f"{_FIELD}[{i}]: Forbidden: unsafe sysctl {go_quote(s.name)} is not allowed")
    return errs


def admit(pod: PodSpec, policies: Sequence[Policy], version: KubeVersion) -> str | None:
    """None if a policy admits ``pod``; else the admission error (after ``pods "NAME" is forbidden: ``).

    The safe list is the kubelet's (``SafeSysctlWhitelist``/``Allowlist`` of the same release).
    """
    safe = frozenset(s.name for s in safe_sysctls(version, None))
    collected: list[str] = []
    for policy in sorted(policies, key=lambda p: p.name):
        errs = _errors(pod, policy, safe)
        if not errs:
            return None
        collected.extend(errs)
    return f"unable to validate against any pod security policy: [{' '.join(collected)}]"


def _patterns(spec: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = spec.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: spec.{key} must be a list of strings")
    return tuple(value)


def load_policies(path: str | Path, version: KubeVersion) -> tuple[Policy, ...]:
    """The ``kind: PodSecurityPolicy`` documents of a YAML file.

    Raises:
        UsageError: unreadable file or YAML, no policy in it, or a cluster without PodSecurityPolicy.
    """
    if version >= PSP_REMOVED:
        raise UsageError(f"PodSecurityPolicy does not exist in Kubernetes {version} "
                         f"(it was removed in {PSP_REMOVED}; use Pod Security admission)")
    try:
        docs = list(yaml.safe_load_all(Path(path).read_text(encoding="utf-8")))
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise UsageError(f"{path}: invalid YAML: {e}") from None
    policies = []
    for doc in docs:
        if not isinstance(doc, Mapping) or doc.get("kind") != "PodSecurityPolicy":
            continue
        name = str((doc.get("metadata") or {}).get("name") or "")
        spec = doc.get("spec") or {}
        where = f"{path}: PodSecurityPolicy {name!r}"
        policies.append(Policy(name, _patterns(spec, "allowedUnsafeSysctls", where),
                               _patterns(spec, "forbiddenSysctls", where)))
    if not policies:
        raise UsageError(f"{path}: no PodSecurityPolicy (kind: PodSecurityPolicy) in it")
    return tuple(policies)
