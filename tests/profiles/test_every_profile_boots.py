"""Every shipped profile boots a kernel model whose files all read, in the initial and in fresh namespaces."""

from __future__ import annotations

import errno

import pytest

from fakeproc import Kernel
from fakeproc.profiles import available_profiles, load_profile
from fakeproc.spec import DEVICE_PLACEHOLDER


def _read_all(k, keys, ns=None):
    """Read every file; only the kernel's own refusals (EIO for an unset stable_secret, EACCES for 0200) occur."""
    refused = set()
    for key in keys:
        try:
            k.read(key, ns=ns)
        except OSError as e:
            assert e.errno in (errno.EIO, errno.EACCES), (key, e)
            refused.add(key)
    return refused


@pytest.mark.parametrize("name", available_profiles())
def test_every_readable_file_reads_its_profile_default_at_boot(name):
    k = Kernel(name)
    profile = load_profile(name)
    keys = k.keys()
    assert keys, name
    refused = _read_all(k, keys)
    assert all(key.endswith(("stable_secret", "flush")) or k.spec(key).mode & 0o444 == 0 for key in refused)
    plain = {key: s for key, s in profile.entries.items() if DEVICE_PLACEHOLDER not in key}
    for key, spec in plain.items():
        if spec.mode & 0o444 and spec.handler != "proc_dostring" and key in keys and spec.default and key not in refused:
            assert k.read(key) == spec.default + "\n", key


@pytest.mark.parametrize("name", available_profiles())
def test_fresh_namespaces_of_every_type_boot_and_read(name):
    k = Kernel(name)
    child = k.unshare(k.init_ns, ipc=True, net=True, uts=True, user=True)
    keys = k.keys(ns=child)
    assert "net.core.somaxconn" in keys and "kernel.sem" in keys
    assert k.read("net.core.somaxconn", ns=child) == load_profile(name).entries["net.core.somaxconn"].default + "\n"
    _read_all(k, [key for key in keys if key.startswith(("net.", "kernel.sem", "kernel.msg", "user.", "fs.mqueue"))], child)
