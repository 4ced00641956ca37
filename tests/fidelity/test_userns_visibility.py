"""A net namespace that a child user namespace owns lacks the tables the kernel does not export
"to unprivileged users" (``net->user_ns != &init_user_ns``): on Linux 6.18 the four
``net.core.xfrm_*`` files (net/xfrm/xfrm_sysctl.c) and every ``net.ipv6.route`` file but
``max_size`` (net/ipv6/route.c). ``unshare -r -n`` (rootless containers) sees that tree.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

import pytest

from fakeproc import Kernel
from tests.fuse.support import FUSE_OK, FUSE_WHY
from tests.helpers import assert_errno

HIDDEN = {
    "net.core.xfrm_acq_expires", "net.core.xfrm_aevent_etime", "net.core.xfrm_aevent_rseqth",
    "net.core.xfrm_larval_drop", "net.ipv6.route.flush", "net.ipv6.route.gc_elasticity",
    "net.ipv6.route.gc_interval", "net.ipv6.route.gc_min_interval", "net.ipv6.route.gc_min_interval_ms",
    "net.ipv6.route.gc_thresh", "net.ipv6.route.gc_timeout", "net.ipv6.route.min_adv_mss",
    "net.ipv6.route.mtu_expires", "net.ipv6.route.skip_notify_on_dev_down",
}


def _model_sets() -> tuple[set[str], set[str]]:
    k = Kernel("6.18")
    by_root = k.unshare(k.init_ns, net=True)
    by_user = k.unshare(k.init_ns, user=True, net=True, owner_uid=1000, owner_gid=1000)
    return set(k.keys(by_root)), set(k.keys(by_user))


def test_a_netns_owned_by_a_child_user_ns_lacks_the_unexported_tables():
    by_root, by_user = _model_sets()
    assert by_root - by_user == HIDDEN
    assert by_user <= by_root


def test_the_hidden_files_are_enoent_there_and_present_in_a_root_owned_netns():
    k = Kernel("6.18")
    by_user = k.unshare(k.init_ns, user=True, net=True, owner_uid=1000, owner_gid=1000)
    by_root = k.unshare(k.init_ns, net=True)
    assert k.listdir("net/ipv6/route", by_user) == ["max_size"]
    assert_errno(errno.ENOENT, k.open, "net.core.xfrm_acq_expires", os.O_RDONLY, by_user)
    assert_errno(errno.ENOENT, k.read, "net.ipv6.route.gc_thresh", by_user)
    assert k.read("net.core.xfrm_acq_expires", by_root) == "30\n"
    assert "xfrm_acq_expires" not in k.listdir("net/core", by_user)


_LIST = (
    "import json, os\n"
    "out = []\n"
    "for d, _dirs, files in os.walk('/proc/sys/net'):\n"
    "    out += [os.path.join(d, f)[len('/proc/sys/'):].replace('/', '.') for f in files]\n"
    "print(json.dumps(out))\n"
)

_needs_real = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare(1) (throwaway namespaces)")


def _listing(*unshare_args: str, run=subprocess.run) -> set[str]:
    done = run(["unshare", *unshare_args, sys.executable, "-S", "-c", _LIST],
               capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@_needs_real
def test_the_real_kernel_hides_the_same_files():
    """Read only: the same difference, listed by the running kernel in two throwaway netns."""
    if not os.uname().release.startswith("6.18"):
        pytest.skip(f"the table is Linux 6.18's; this kernel is {os.uname().release}")
    by_root = _listing("--net")
    by_user = _listing("--user", "--map-root-user", "--net")
    assert by_root - by_user == HIDDEN


@_needs_real
def test_unshare_r_n_through_the_mount_sees_the_reduced_tree():
    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    from fakeproc.sandbox import mounted

    with mounted(Kernel("6.18")) as m:
        by_root = _listing("--net", run=m.run)
        by_user = _listing("--user", "--map-root-user", "--net", run=m.run)
    assert by_root - by_user == HIDDEN
