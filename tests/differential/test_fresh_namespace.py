"""A fresh ipc/net/uts namespace set: the same namespaced files, modes and starting values (read only)."""

from __future__ import annotations

from typing import Any

import pytest

import fakeproc
from tests.differential.conftest import WALK_CASE, Differential

pytestmark = pytest.mark.root

# Values that come from the host's identity or its one-way global state, not from the profile:
HOST_SPECIFIC_VALUES = {
    "kernel/hostname": "a new UTS namespace copies the host's own name",
    "kernel/osrelease": "the host's build suffix (6.18.44-fc-vNNN); the profile says 6.18.44",
    "net/netfilter/nf_hooks_lwtunnel": "global static key, visible in every netns; its value is the host's",
}
#: Paths whose mode the model gets wrong in a fresh namespace (none since D3 was fixed).
KNOWN_MODES: dict[str, str] = {}


def _files(differential: Differential) -> tuple[dict[str, Any], dict[str, Any]]:
    return (differential.real[WALK_CASE.id][0]["files"], differential.model[WALK_CASE.id][0]["files"])


def _namespaced(kernel: fakeproc.Kernel, rel: str) -> bool:
    ns = kernel.unshare(kernel.init_ns, ipc=True, net=True, uts=True)
    try:
        return kernel.spec(rel, ns=ns).namespace.value in ("ipc", "net", "uts")
    except OSError:
        return False


@pytest.fixture(scope="module")
def namespaced_paths(differential: Differential, host_model: fakeproc.Kernel) -> set[str]:
    """Paths the real fresh namespace shows below net/ and fs/mqueue/, plus the model's namespaced ones."""
    real, model = _files(differential)
    paths = {p for p in real if p.startswith(("net/", "fs/mqueue/"))}
    return paths | {p for p in model if _namespaced(host_model, p)}


def test_fresh_namespace_shows_the_same_namespaced_files(differential: Differential,
                                                         namespaced_paths: set[str]) -> None:
    real, model = _files(differential)
    assert sorted(p for p in namespaced_paths if p not in model) == []
    assert sorted(p for p in namespaced_paths if p not in real) == []


def test_fresh_namespace_files_have_the_real_modes(differential: Differential, namespaced_paths: set[str]) -> None:
    real, model = _files(differential)
    wrong = {p: (oct(real[p][0]), oct(model[p][0])) for p in namespaced_paths
             if p in real and p in model and real[p][0] != model[p][0] and p not in KNOWN_MODES}
    assert wrong == {}


def test_fresh_namespace_starts_with_the_real_values(differential: Differential, namespaced_paths: set[str]) -> None:
    real, model = _files(differential)
    wrong = {p: (real[p][1:], model[p][1:]) for p in namespaced_paths
             if p in real and p in model and real[p][1:] != model[p][1:] and p not in HOST_SPECIFIC_VALUES}
    assert wrong == {}
