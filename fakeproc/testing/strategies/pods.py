"""Strategies for Pod manifests with ``spec.securityContext.sysctls``."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from fakeproc.profiles import Profile
from fakeproc.spec import key_to_path
from fakeproc.testing.strategies._common import check_sizes, check_type, defines_strategy, resolve_profile
from fakeproc.testing.strategies.documents import conf_value
from fakeproc.testing.strategies.names import sysctl_entries

__all__ = ["pod_specs"]

# ----------------------------------------------------------------------------- pod specs


@defines_strategy
def pod_specs(*, profile: str | Profile | None = None, min_size: int = 0, max_size: int = 4,
              namespaced_only: bool = True) -> SearchStrategy[dict[str, Any]]:
    """Returns a strategy which generates Pod manifests with ``spec.securityContext.sysctls``.

    Names come from the profile's namespaced entries (IPC, net, UTS; dotted or
    slash form, as the API accepts both), values from :func:`valid_values` where a
    domain is known. The manifests are plain dicts, ready for the Kubernetes
    pipeline; whether a sysctl is safe, allowed or admitted is for the pipeline
    to decide.

    Args:
        profile: Names and values come from this profile.
        min_size, max_size: Number of sysctls in the pod.
        namespaced_only: Only namespaced entries (a pod cannot set others).

    Examples shrink towards a pod without sysctls.
    """
    prof = resolve_profile(profile)
    check_sizes(min_size, max_size)
    check_type(bool, namespaced_only, "namespaced_only")
    ns = ("ipc", "net", "uts") if namespaced_only else None
    entries = sysctl_entries(profile=prof, namespace=ns, writable=True, devices=["eth0", "lo"])

    @st.composite
    def one(draw: Any) -> dict[str, str]:
        key, spec = draw(entries)
        name = key_to_path(key) if draw(st.integers(0, 5)) == 0 else key
        value = draw(conf_value(spec, prof))
        return {"name": name, "value": value}

    names = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12).map(lambda s: "p" + s)

    @st.composite
    def pods(draw: Any) -> dict[str, Any]:
        sysctls = draw(st.lists(one(), min_size=min_size, max_size=max_size, unique_by=lambda s: s["name"]))
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": draw(names), "namespace": "default"},
            "spec": {
                "securityContext": {"sysctls": sysctls},
                "containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}],
            },
        }

    return pods()
