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
        for name, value in sorted(self.defaults.items()):
            if name != self.profile:
                shown = _show(value) if value is not None else "(absent)"
                lines.append(f"  {'in ' + name + ':':<13}{shown}")
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


def explain(*, key: str, profile: str | None = None) -> ExplainResult:
    """Describe ``key`` (dotted or path form) in ``profile`` and its defaults in every shipped profile.

    Raises:
        UsageError: the key exists in no profile.
    """
    dotted = path_to_key(key) if key.startswith("/") or ("/" in key and "." not in key.split("/")[0]) else key
    name = profile or default_profile_name()
    kernel = Kernel(load_profile(name))
    spec = _lookup(kernel, dotted)
    if spec is None:
        raise UsageError(f"{dotted}: no such sysctl in the {kernel.profile.name} profile")
    defaults: dict[str, str | None] = {}
    for other in available_profiles():
        other_spec = _lookup(Kernel(other), dotted) if other != kernel.profile.name else spec
        defaults[other] = other_spec.default if other_spec is not None else None
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
    )
