"""State files hold everything the model can hold: write, save, load, read back equal.

The property test draws entries and valid values of every shipped profile from the public
strategies (profile data + handler domains) and spreads the writes over the initial
namespaces and a child set of every type; the table tests cover the largest values
(a 65,536-bit bitmap, strings at ``maxlen`` with every byte value), attachments,
format-1 files and failed saves.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeproc import Kernel
from fakeproc.errors import StateError
from fakeproc.model import snapshot
from fakeproc.profiles import available_profiles
from fakeproc.testing import strategies as S

PROFILES = available_profiles()


def _read(k: Kernel, key: str, ns: object) -> str | int:
    """What root reads, or the errno of the refusal (write-only and EIO entries)."""
    try:
        return k.read(key, ns=ns)  # type: ignore[arg-type]
    except OSError as e:
        return e.errno or 0


def _round_trip(k: Kernel) -> Kernel:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "state.json"
        k.save(path)
        return Kernel.load(path)


@pytest.mark.parametrize("profile", PROFILES)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_every_written_value_survives_save_and_load(profile: str, data: st.DataObject) -> None:
    k = Kernel(profile)
    child = k.unshare(k.init_ns, ipc=True, net=True, uts=True, user=True, label="child", owner_uid=1000,
                      owner_gid=1000)
    k.add_device(child, "eth0")
    sets = {"init": k.init_ns, "child": child}
    # Handler first, then one of its entries: every kind of value (bitmaps are a handful of
    # entries among a thousand) is drawn about as often as any other.
    handlers = sorted({s.handler for s in k.profile.entries.values() if s.mode & 0o200} & S.supported_handlers())
    written: list[tuple[str, str]] = []
    for _ in range(data.draw(st.integers(1, 8), label="writes")):
        handler = data.draw(st.sampled_from(handlers), label="handler")
        key, spec = data.draw(S.sysctl_entries(profile=profile, writable=True, handlers=[handler],
                                               devices=list(k.profile.init_devices)), label="entry")
        value = data.draw(S.valid_values(spec, profile=profile), label="value")
        where = data.draw(st.sampled_from(sorted(sets)), label="namespaces")
        if not k.exists(key, sets[where]):
            continue
        try:
            k.write(key, value, ns=sets[where])
        except OSError:
            continue  # refused for this namespace or state (e.g. read-only in a child netns)
        written.append((key, where))
    k2 = _round_trip(k)
    sets2 = {"init": k2.init_ns, "child": k2.namespace_by_label("child")}
    for key, where in written:
        assert _read(k2, key, sets2[where]) == _read(k, key, sets[where]), (key, where)
    assert k2.snapshot() == k.snapshot()


def test_a_full_65536_bit_bitmap_round_trips() -> None:
    k = Kernel("6.18")
    k.write("net.ipv4.ip_local_reserved_ports", ",".join(str(p) for p in range(0, 65536, 2)))
    k.write("net.ipv4.ip_local_reserved_ports", "30000-32767", ns=k.unshare(net=True, label="n"))
    k2 = _round_trip(k)
    assert k2.read("net.ipv4.ip_local_reserved_ports") == k.read("net.ipv4.ip_local_reserved_ports")
    assert k2.read("net.ipv4.ip_local_reserved_ports", ns=k2.namespace_by_label("n")) == "30000-32767\n"
    assert k2.snapshot() == k.snapshot()


def test_strings_at_maxlen_with_every_byte_value_round_trip() -> None:
    k = Kernel("6.18")
    spec = k.spec("kernel.core_pattern")
    assert spec.maxlen is not None
    raw = bytes(b for b in range(1, 256) if b != ord("\n"))
    text = (raw * (spec.maxlen // len(raw) + 1))[: spec.maxlen - 1]
    k.write("kernel.core_pattern", text)
    k2 = _round_trip(k)
    assert k2.read("kernel.core_pattern") == k.read("kernel.core_pattern")
    assert k2.snapshot() == k.snapshot()


def test_every_namespace_type_label_owner_and_attachment_round_trips() -> None:
    k = Kernel("6.18")
    pod = k.unshare(ipc=True, net=True, uts=True, user=True, label="pod/a", owner_uid=1000, owner_gid=1001)
    inner = k.unshare(pod, net=True, label="pod/a/inner")
    k.add_device(inner, "veth0.100")
    k.write("kernel.hostname", "web-0", ns=pod)
    k.write("net.ipv4.conf.veth0/100.rp_filter", "2", ns=inner)
    k.attachments["kubernetes"] = {"pods": [{"name": "a", "sysctls": {"x": "1"}}], "n": 2**70}
    k2 = _round_trip(k)
    assert k2.snapshot() == k.snapshot()
    inner2 = k2.namespace_by_label("pod/a/inner")
    assert inner2 is not None
    assert k2.read("net.ipv4.conf.veth0/100.rp_filter", ns=inner2) == "2\n"
    pod2 = k2.namespace_by_label("pod/a")
    assert pod2 is not None and pod2.user.gid_map == ((0, 1001, 1),) and pod2.user.owner_uid == 1000
    assert k2.attachments == k.attachments


def test_a_format_1_file_with_an_integer_bitmap_is_migrated() -> None:
    k = Kernel("6.18")
    k.write("net.ipv4.ip_local_reserved_ports", "8080,9000-9010")
    old = k.snapshot()
    old["format"] = 1
    for row in old["namespaces"]:
        for table in ("values", "base"):
            for key, value in row[table].items():
                if isinstance(value, dict):
                    row[table][key] = int(value["bitmap"], 16)
    k2 = Kernel.from_snapshot(json.loads(json.dumps(old)))
    assert k2.read("net.ipv4.ip_local_reserved_ports") == "8080,9000-9010\n"
    assert k2.snapshot() == k.snapshot()


def test_a_newer_format_is_refused_with_what_to_do() -> None:
    snap = Kernel("6.18").snapshot()
    snap["format"] = snapshot.SNAPSHOT_FORMAT + 1
    with pytest.raises(StateError, match="newer fakeproc.*upgrade fakeproc or move the file away"):
        Kernel.from_snapshot(snap)


def test_a_save_that_cannot_encode_raises_and_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    k = Kernel("6.18")
    k.save(path)
    before = path.read_bytes()
    k.write("vm.swappiness", "5")
    k.attachments["bad"] = object()
    with pytest.raises(StateError, match="cannot save"):
        k.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_save_that_runs_out_of_space_raises_and_keeps_the_previous_file(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    k = Kernel("6.18")
    k.save(path)
    before = path.read_bytes()

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    k.write("vm.swappiness", "5")
    with pytest.raises(StateError, match="No space left on device.*previous file is kept"):
        k.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
