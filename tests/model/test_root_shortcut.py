"""``Kernel.read``/``write`` take a short path for root; it must answer exactly like ``open()``.

For every key of every shipped profile, in the initial namespaces, a child ipc+net+uts set and
a set owned by a child user namespace, and for root and other callers: the bytes read, the
count written, the errno, the write log and the state afterwards are the same as through an
open file.
"""

from __future__ import annotations

import errno
import os
from dataclasses import replace

import pytest

from fakeproc import Caller, Kernel, NamespaceSet
from fakeproc.model.permissions import ROOT
from fakeproc.profiles import available_profiles


def _sets(k: Kernel) -> dict[str, NamespaceSet]:
    child = k.unshare(ipc=True, net=True, uts=True, label="child")
    owned = k.unshare(user=True, ipc=True, net=True, uts=True, label="owned", owner_uid=1000, owner_gid=1000)
    return {"init": k.init_ns, "child": child, "owned": owned}


CALLERS = {
    "root": ROOT,
    "root-copy": Caller(),  # equal to ROOT but not ROOT: always the long path
    "user": Caller(uid=1000, gid=1000),
}


def _via_open_read(k: Kernel, key: str, ns: NamespaceSet, caller: Caller) -> object:
    try:
        return k.open(key, os.O_RDONLY, ns, caller).read(1 << 20, 0)
    except OSError as e:
        return e.errno


def _via_api_read(k: Kernel, key: str, ns: NamespaceSet, caller: Caller) -> object:
    try:
        return k.read(key, ns, caller).encode("utf-8", "surrogateescape")
    except OSError as e:
        return e.errno


def _via_open_write(k: Kernel, key: str, data: bytes, ns: NamespaceSet, caller: Caller) -> object:
    try:
        return k.open(key, os.O_WRONLY, ns, caller).write(data, 0)
    except OSError as e:
        return -(e.errno or 0)


def _via_api_write(k: Kernel, key: str, data: bytes, ns: NamespaceSet, caller: Caller) -> object:
    try:
        return k.write(key, data, ns, caller)
    except OSError as e:
        return -(e.errno or 0)


@pytest.mark.parametrize("profile", available_profiles())
def test_the_read_shortcut_answers_like_open_for_every_key_and_caller(profile: str) -> None:
    k = Kernel(profile)
    for where, ns in _sets(k).items():
        for key in k.keys(ns):
            for who, caller in CALLERS.items():
                assert _via_api_read(k, key, ns, caller) == _via_open_read(k, key, ns, caller), (key, where, who)


@pytest.mark.parametrize("profile", available_profiles())
def test_the_write_shortcut_answers_like_open_for_every_key_and_caller(profile: str) -> None:
    a, b = Kernel(profile), Kernel(profile)
    sets_a, sets_b = _sets(a), _sets(b)
    for where in sets_a:
        for key in a.keys(sets_a[where]):
            current = _via_open_read(a, key, sets_a[where], ROOT)
            payloads = [b"abc\n", current if isinstance(current, bytes) else b"1\n"]
            for who, caller in CALLERS.items():
                for data in payloads:
                    got = _via_api_write(a, key, data, sets_a[where], caller)
                    want = _via_open_write(b, key, data, sets_b[where], caller)
                    assert got == want, (key, where, who, data)
    assert a.snapshot() == b.snapshot()
    strip = [(r.key, r.data, r.pos, r.namespaces, r.count, r.errno, r.uid) for r in a.write_log]
    assert strip == [(r.key, r.data, r.pos, r.namespaces, r.count, r.errno, r.uid) for r in b.write_log]


@pytest.mark.parametrize("profile", available_profiles())
def test_a_read_only_open_decided_by_the_mode_alone_answers_like_the_permission_hooks(profile: str) -> None:
    """``Kernel.open`` skips the permission hooks for a read-only open of an entry every caller may
    read or none may: the answer must be the hooks' own, for every key, set and caller."""
    from fakeproc.model.permissions import effective_mode, may_open

    k = Kernel(profile)
    sets = _sets(k)
    capable = Caller(uid=1000, gid=1000, user_ns=sets["owned"].user)  # root-owner of the child userns
    callers = {**CALLERS, "group": Caller(uid=1000, gid=0), "owner": capable, "nocaps": Caller(caps=frozenset())}
    for where, ns in sets.items():
        for key in k.keys(ns):
            spec = k.spec(key, ns)
            for who, caller in callers.items():
                mode = k._mode(spec, ns)
                hooked = effective_mode(
                    spec if mode == spec.mode else replace(spec, mode=mode),
                    ns.get(spec.table_namespace), caller, k.profile.legacy,
                )
                try:
                    k.open(key, os.O_RDONLY, ns, caller)
                    opened = True
                except OSError as e:
                    assert e.errno == errno.EACCES, (key, where, who)
                    opened = False
                assert opened == may_open(hooked, caller, read=True), (key, where, who)
