"""A directory listing hands the kernel each entry's attributes (READDIRPLUS), so a walk such as
``sysctl -a`` costs no LOOKUP per file; the attributes are the model's, for the lister."""

from __future__ import annotations

import os
import stat
import time

import pytest

from fakeproc.backends.fuse._binding import libfuse_major
from tests.fuse.support import requires_fuse

pytestmark = requires_fuse


def _listing_attributes(mount, rel: str) -> dict[str, tuple[int, int, int, int, int]]:
    found = {}
    with os.scandir(os.path.join(mount.path, rel)) as entries:
        for entry in entries:
            st = entry.stat(follow_symlinks=False)
            found[entry.name] = (st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size)
    return found


def test_a_listing_of_a_big_directory_is_whole_sorted_and_carries_the_models_attributes(mount):
    # net/ipv4 needs more than one READDIR buffer: the continuation must neither skip nor repeat.
    for rel in ("net/ipv4", "net/ipv4/conf/lo", "kernel"):
        attrs = _listing_attributes(mount, rel)
        assert list(attrs) == mount.kernel.listdir(rel)
        for name, got in attrs.items():
            st = mount.kernel.stat(f"{rel}/{name}")
            assert got == (st.mode, st.nlink, st.uid, st.gid, 0), name


def test_a_stat_right_after_a_listing_sends_no_request(mount):
    if libfuse_major() != 3:
        pytest.skip("libfuse2's high-level API answers READDIRPLUS without attributes")
    os.listdir(os.path.join(mount.path, "kernel"))
    # The kernel sends RELEASEDIR after close(2) returns (fs/fuse/file.c: an async release): wait
    # for it, so that it is not counted as a request of the stat below.
    deadline = time.monotonic() + 5
    while not mount.server.ops.counts.get("releasedir") and time.monotonic() < deadline:
        time.sleep(0.001)
    mount.server.ops.counts.clear()
    st = os.stat(os.path.join(mount.path, "kernel/sem"))
    assert (stat.S_IMODE(st.st_mode), st.st_size) == (0o644, 0)
    assert mount.server.ops.counts == {}

