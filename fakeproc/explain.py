"""``fakeproc explain KEY``: everything fakeproc knows about one sysctl.

>>> r = explain(key="kernel.sem")
>>> r.namespace, r.handler, r.defaults["6.18"]
('ipc', 'proc_ipc_sem_dointvec', '32000\\t1024000000\\t500\\t32000')
"""

from __future__ import annotations

import stat
from dataclasses import asdict, dataclass
from typing import Any

from fakeproc.errors import UsageError
from fakeproc.model import Kernel
from fakeproc.profiles import available_profiles, default_profile_name, load_profile
from fakeproc.spec import CreationRule, SysctlSpec, key_to_path, path_to_key

__all__ = ["ExplainResult", "explain"]

_CREATION_TEXT = {
    CreationRule.COMPILE_DEFAULT: "a new namespace starts from the compile-time default",
    CreationRule.COPY_PARENT: "a new namespace copies the creating namespace's value",
    CreationRule.COPY_INIT: "a new namespace copies the initial namespace's value",
    CreationRule.COPY_PARENT_MAX: ("a new namespace copies the largest value of the creating namespace and its "
                                   "ancestors, and may not go below its parent's"),
    CreationRule.ABSENT: "exists in the initial namespace only",
    CreationRule.DEVCONF_IPV4: "a new netns copies init_net's value (net.core.devconf_inherit_init_net decides)",
    CreationRule.DEVCONF_IPV6: "a new netns uses the compiled default (net.core.devconf_inherit_init_net decides)",
    CreationRule.COPY_DEVICE_SOURCE: "each device copies it from its namespace's default when it registers",
}


@dataclass(frozen=True)
class ExplainResult:
    """What :func:`explain` found."""

    key: str
    path: str
    profile: str
    mode: str
    namespace: str
    creation: str
    creation_text: str
    handler: str
    length: int
    maxlen: int
    min: Any
    max: Any
    default: str
    new_namespace_default: str | None
    defaults: dict[str, str | None]
    provenance: str
    source: str
    template: str | None
    versions: tuple[dict[str, Any], ...] = ()

    def text(self) -> str:
        """The human-readable report."""
        bounds = []
        if self.min is not None:
            bounds.append(f"min {self.min}")
        if self.max is not None:
            bounds.append(f"max {self.max}")
        size = f", {self.length} elements" if self.length > 1 else ""
        if self.maxlen:
            size += f", maxlen {self.maxlen}"
        lines = [
            f"{self.key}  (/proc/sys/{self.path})",
            f"  mode:        {self.mode} ({stat.filemode(int(self.mode, 8))[1:]})",
            f"  namespace:   {self.namespace}: {self.creation_text}",
            f"  handler:     {self.handler}{size}",
            f"  bounds:      {', '.join(bounds) if bounds else 'none beyond the type'}",
            f"  default:     {_show(self.default)}  (profile {self.profile})",
        ]
        if self.new_namespace_default is not None:
            lines.append(f"  in a new {self.namespace} namespace: {_show(self.new_namespace_default)}")
        if self.versions:
            lines.append("  by profile:")
            width = max(len(v["profile"]) for v in self.versions)
            for v in self.versions:
                value = "(absent)" if v["default"] is None else _show(v["default"])
                mark = "*" if v["profile"] == self.profile else " "
                extra = f"  [{v['differs']}]" if v.get("differs") else ""
                lines.append(f"   {mark}{v['profile']:<{width}}  {v['kernel_version']:<10} {value}{extra}")
        if self.template:
            lines.append(f"  template:    {self.template}")
        lines.append(f"  provenance:  {self.provenance}" + (f" ({self.source})" if self.source else ""))
        return "\n".join(lines) + "\n"

    def data(self) -> dict[str, Any]:
        return asdict(self)


def _show(value: str) -> str:
    return repr(value) if value == "" or value != value.strip() else value.replace("\t", " ")


def _lookup(kernel: Kernel, key: str) -> SysctlSpec | None:
    try:
        return kernel.spec(key)
    except OSError:
        return None


def explain(*, key: str, profile: str | None = None, machine: str | None = None) -> ExplainResult:
    """Describe ``key`` (dotted or path form) in ``profile`` and its defaults in every shipped profile
    (all booted on ``machine``, ``mem=8G,cpus=4``, when given; else on their reference machines).

    Raises:
        UsageError: the key exists in no profile.
    """
    dotted = path_to_key(key) if key.startswith("/") or ("/" in key and "." not in key.split("/")[0]) else key
    name = profile or default_profile_name()
    kernel = Kernel(load_profile(name, machine=machine))
    spec = _lookup(kernel, dotted)
    if spec is None:
        having = [n for n in sorted(available_profiles(), key=_version_order) if _lookup(Kernel(n), dotted) is not None]
        hint = f" (it is in: {', '.join(having)}; use --kernel)" if having else ""
        raise UsageError(f"{dotted}: no such sysctl in the {kernel.profile.name} profile{hint}")
    defaults: dict[str, str | None] = {}
    versions: list[dict[str, Any]] = []
    for other in sorted(available_profiles(), key=_version_order):
        other_kernel = kernel if other == kernel.profile.name else Kernel(load_profile(other, machine=machine))
        other_spec = _lookup(other_kernel, dotted) if other != kernel.profile.name else spec
        defaults[other] = other_spec.default if other_spec is not None else None
        versions.append({
            "profile": other,
            "kernel_version": other_kernel.profile.kernel_version,
            "default": defaults[other],
            "differs": _differences(spec, other_spec) if other_spec is not None else "",
        })
    fresh = spec.ns_default if spec.ns_default is not None else None
    return ExplainResult(
        key=dotted,
        path=key_to_path(dotted),
        profile=kernel.profile.name,
        mode=f"{spec.mode:04o}",
        namespace=spec.namespace.value,
        creation=spec.creation.value,
        creation_text=_CREATION_TEXT[spec.creation],
        handler=spec.handler,
        length=spec.length,
        maxlen=spec.maxlen,
        min=list(spec.min) if isinstance(spec.min, tuple) else spec.min,
        max=list(spec.max) if isinstance(spec.max, tuple) else spec.max,
        default=kernel.read(dotted).rstrip("\n") if kernel.access(dotted, read=True) else spec.default,
        new_namespace_default=fresh,
        defaults=defaults,
        provenance=spec.provenance.value,
        source=spec.source,
        template=spec.key if spec.is_template else None,
        versions=tuple(versions),
    )


def _version_order(name: str) -> tuple[tuple[int, ...], str]:
    """Shipped profiles by kernel version (4.15 < 5.15 < 6.1 < 6.8 < 6.12 < 6.18), distro profiles after theirs."""
    version = load_profile(name).kernel_version.split("-")[0]
    nums = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    return nums, name


def _differences(ref: SysctlSpec, other: SysctlSpec) -> str:
    """How ``other`` differs from ``ref`` in mode, handler and bounds (empty if it does not)."""
    out = []
    if other.mode != ref.mode:
        out.append(f"mode {other.mode:04o}")
    if other.handler != ref.handler:
        out.append(other.handler)
    if (other.min, other.max) != (ref.min, ref.max):
        out.append(f"bounds [{_bound(other.min)}, {_bound(other.max)}]")
    if other.namespace != ref.namespace:
        out.append(f"namespace {other.namespace.value}")
    return ", ".join(out)


def _bound(value: Any) -> str:
    if value is None:
        return "-"
    return " ".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
