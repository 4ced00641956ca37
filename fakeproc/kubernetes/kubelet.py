"""Stage 3: kubelet sysctl admission (``SysctlForbidden``) and the allowlist built at kubelet start.

The allowlist is the safe list (for the Kubernetes version and the node's
kernel) plus ``--allowed-unsafe-sysctls``; a pattern the kubelet would refuse
stops it from starting (:class:`KubeletStartupError`). Admission checks a pod's
sysctls in order and the first failure rejects the pod.

>>> from fakeproc.kubernetes.manifests import pod
>>> from fakeproc.kubernetes.versions import KubeVersion
>>> v = KubeVersion(1, 16)
>>> a = admit(pod("p", {"kernel.sem": "1"}).pod, build_allowlist((), v, (4, 15)), v)
>>> (a.admitted, a.reason, a.message, a.status_message)
(False, 'SysctlForbidden', 'forbidden sysctl: "kernel.sem" not whitelisted', 'Pod forbidden sysctl: "kernel.sem" not whitelisted')
>>> build_allowlist(("vm.max_map_count",), KubeVersion(1, 30), (6, 1))
Traceback (most recent call last):
...
fakeproc.kubernetes.kubelet.KubeletStartupError: the sysctls "vm.max_map_count" are not known to be namespaced
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fakeproc.errors import UsageError
from fakeproc.kubernetes._names import go_quote, normalize_name
from fakeproc.kubernetes.manifests import PodSpec
from fakeproc.kubernetes.versions import (
    KUBELET_HOST_NS,
    KUBELET_NAMESPACES,
    KUBELET_NORMALIZES,
    KUBELET_NOT_LISTED,
    KUBELET_PATTERN,
    KUBELET_STARTUP_PATTERN,
    KUBELET_STARTUP_UNKNOWN,
    KUBELET_STATUS_PREFIX,
    NAMESPACE_DISPLAY,
    KubeVersion,
    pick,
    safe_sysctls,
)

__all__ = [
    "FORBIDDEN_REASON",
    "Admission",
    "Allowlist",
    "KubeletStartupError",
    "admit",
    "build_allowlist",
    "load_kubelet_config",
    "parse_allowed_unsafe_sysctls",
]

#: ``ForbiddenReason``: the pod's ``status.reason`` and the event reason.
FORBIDDEN_REASON = "SysctlForbidden"


class KubeletStartupError(UsageError):
    """The kubelet would refuse to start with this configuration; the message is the kubelet's."""


@dataclass(frozen=True)
class Allowlist:
    """The kubelet's ``patternAllowlist``.

    Attributes:
        exact: Allowed names and their namespace (``ipc``, ``net``...).
        prefixes: Allowed prefixes (from ``foo*`` patterns) and their namespace, in order.
        safe: The safe sysctls that made it past the kernel gate.
    """

    exact: Mapping[str, str]
    prefixes: tuple[tuple[str, str], ...]
    safe: tuple[str, ...]


@dataclass(frozen=True)
class Admission:
    """A ``PodAdmitResult``.

    Attributes:
        admitted: Whether the pod may run.
        reason: ``SysctlForbidden`` when rejected.
        message: The admit message, also the event message (``forbidden sysctl: ...``).
        status_message: What ``status.message`` holds (version-dependent prefix + message).
    """

    admitted: bool
    reason: str = ""
    message: str = ""
    status_message: str = ""


def parse_allowed_unsafe_sysctls(text: str) -> tuple[str, ...]:
    """``--allowed-unsafe-sysctls 'kernel.sem,kernel.msg*'`` -> the patterns (a string slice flag)."""
    return tuple(p for p in (part for part in text.split(",")) if p != "") if text else ()


def load_kubelet_config(path: str | Path) -> tuple[str, ...]:
    """``allowedUnsafeSysctls`` of a ``KubeletConfiguration`` file.

    Raises:
        UsageError: unreadable, not YAML, not a KubeletConfiguration, or a bad field type.
    """
    try:
        doc: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise UsageError(f"{path}: invalid YAML: {e}") from None
    if not isinstance(doc, Mapping) or doc.get("kind") != "KubeletConfiguration":
        raise UsageError(f"{path}: not a KubeletConfiguration (kind: KubeletConfiguration)")
    value = doc.get("allowedUnsafeSysctls") or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path}: allowedUnsafeSysctls must be a list of strings")
    return tuple(value)


def build_allowlist(allowed_unsafe: Iterable[str], version: KubeVersion,
                    kernel: tuple[int, ...] | None) -> Allowlist:
    """``NewAllowlist(SafeSysctlAllowlist() + allowedUnsafeSysctls)`` as the kubelet of ``version`` does.

    Raises:
        KubeletStartupError: a pattern is malformed or not known to be namespaced
            (the kubelet's own message).
    """
    safe = tuple(s.name for s in safe_sysctls(version, kernel))
    pattern = pick(KUBELET_PATTERN, version)
    normalizes = pick(KUBELET_NORMALIZES, version)
    rule = pick(KUBELET_NAMESPACES, version)
    msgs = pick(KUBELET_STARTUP_UNKNOWN, version)
    exact: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for raw in (*safe, *allowed_unsafe):
        if len(raw) > 253 or not re.fullmatch(pattern.regex, raw):
            raise KubeletStartupError(KUBELET_STARTUP_PATTERN % (go_quote(raw), pattern.printed))
        s = normalize_name(raw) if normalizes else raw
        if s.endswith("*"):
            prefix = s[:-1]
            ns = rule.classify(prefix)
            if ns is None:
                raise KubeletStartupError(msgs.prefix % go_quote(prefix if msgs.strip_star else s))
            prefixes[prefix] = ns
        else:
            ns = rule.classify(s)
            if ns is None:
                raise KubeletStartupError(msgs.exact % go_quote(s))
            exact[s] = ns
    return Allowlist(exact, tuple(prefixes.items()), safe)


def _check(name: str, allowlist: Allowlist, host_net: bool, host_ipc: bool, version: KubeVersion) -> str | None:
    display = pick(NAMESPACE_DISPLAY, version)
    ns = allowlist.exact.get(name)
    if ns is None:
        # Divergence: Go iterates the prefix map in random order; fakeproc uses pattern order
        # (only matters when two prefixes of different namespaces match one name).
        ns = next((pns for p, pns in allowlist.prefixes if name.startswith(p)), None)
    if ns is None:
        return pick(KUBELET_NOT_LISTED, version) % go_quote(name)
    if (ns == "ipc" and host_ipc) or (ns == "net" and host_net):
        return KUBELET_HOST_NS % (go_quote(name), display.get(ns, ns))
    return None


def admit(pod: PodSpec, allowlist: Allowlist, version: KubeVersion) -> Admission:
    """The kubelet's sysctl admission of ``pod``: the first failing sysctl rejects it."""
    normalizes = pick(KUBELET_NORMALIZES, version)
    for s in pod.sysctls:
        name = normalize_name(s.name) if normalizes else s.name
        err = _check(name, allowlist, pod.host_network, pod.host_ipc, version)
        if err is not None:
            message = f"forbidden sysctl: {err}"
            return Admission(False, FORBIDDEN_REASON, message, pick(KUBELET_STATUS_PREFIX, version) + message)
    return Admission(True)
