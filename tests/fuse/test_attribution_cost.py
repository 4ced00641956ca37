"""A read-only open attributes its caller by the namespace links its key can depend on, no more."""

from __future__ import annotations

import os
import subprocess

import pytest

import fakeproc.serve._resolver as resolver_module
from fakeproc.model import Kernel
from fakeproc.serve import Session
from fakeproc.spec import NamespaceType as T
from tests.fuse.support import requires_root


@pytest.mark.parametrize(
    ("key", "types"),
    [
        ("kernel.sem", {T.IPC}),  # ipc table, fixed mode, cacheable handler
        ("kernel.hostname", {T.UTS}),
        ("vm.swappiness", set()),  # global: reads the same from every namespace
        ("net.ipv4.ping_group_range", {T.NET, T.USER}),  # its read maps gids through the reader's userns
        ("net.core.bpf_jit_harden", {T.NET, T.USER}),  # 0600: net tables give CAP_NET_ADMIN the owner's bits
        ("net.core.somaxconn", {T.NET}),  # 0644: every caller may read it, capable or not
        ("net.core.rmem_max", {T.NET}),  # a global value; 0444 in a child netns's table, still readable
        ("net.nf_conntrack_max", {T.NET}),  # an alias, absent from child netns
        ("kernel.msg_next_id", {T.IPC, T.USER}),  # 0666 to CAP_CHECKPOINT_RESTORE (mode_if_capable)
        ("user.max_user_namespaces", {T.USER}),
        ("net.ipv4.conf.lo.forwarding", {T.NET}),  # a device entry: the netns that has the device
        ("net.ipv4.conf.nosuchdev.forwarding", {T.NET}),  # ... or lacks it (ENOENT there)
        ("net.ipv6.conf.lo.stable_secret", {T.NET, T.USER}),  # 0600
        ("net.ipv4.conf.lo", None),  # a directory
    ],
)
def test_the_namespaces_a_read_depends_on(key, types):
    got = Kernel("6.18").namespaces_read(key)
    assert (None if got is None else set(got)) == types


@pytest.mark.parametrize(
    ("path", "types"),
    [
        ("", {T.NET}),  # net devices and entries absent from child netns shape every tree
        ("/net/ipv4", {T.NET}),
        ("/net/ipv4/conf/lo", {T.NET}),  # a device's directory
        ("/net/ipv4/conf/nosuchdev", {T.NET}),
        ("/kernel", {T.NET, T.IPC, T.UTS, T.PID}),  # the owner and mode of kernel.sem, hostname, ns_last_pid
        ("/vm", {T.NET, T.PID}),  # vm.memfd_noexec
    ],
)
def test_the_namespaces_a_listing_depends_on(path, types):
    assert set(Kernel("6.18").namespaces_listed(path)) == types


@requires_root
def test_a_repeat_open_of_kernel_sem_reads_one_link_and_a_global_key_none(monkeypatch):
    session = Session(Kernel("6.18"))
    child = subprocess.Popen(["sleep", "30"])
    try:
        ctx = (0, 0, child.pid)
        session.release(session.open(ctx, "kernel/sem", os.O_RDONLY))  # first: full attribution
        links: list[str] = []
        real = os.readlink

        def counting(path: str) -> str:
            links.append(path)
            return real(path)

        monkeypatch.setattr(resolver_module.os, "readlink", counting)
        session.release(session.open(ctx, "kernel/sem", os.O_RDONLY))
        assert links == [f"/proc/{child.pid}/ns/ipc"]
        links.clear()
        session.release(session.open(ctx, "vm/swappiness", os.O_RDONLY))
        assert links == []
    finally:
        child.kill()
        child.wait()
