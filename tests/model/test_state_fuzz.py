"""A corrupt state file is one line and exit status 1, never a traceback.

Every way a file can be broken (cut short at any byte, random bytes, not UTF-8,
a field of the wrong type anywhere in the tree, numbers too long for Python's
``json``, nesting too deep) makes :meth:`Kernel.load` raise
:class:`~fakeproc.errors.StateError` with a one-line message, or load a kernel
that answers reads; the CLI prints that line and exits 1.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeproc import Kernel
from fakeproc.cli.main import main
from fakeproc.errors import StateError
from fakeproc.model import snapshot


def _sample() -> Kernel:
    k = Kernel("6.18")
    pod = k.unshare(ipc=True, net=True, uts=True, label="pod")
    k.unshare(pod, user=True, uts=True, label="userns", owner_uid=1000, owner_gid=1000)
    k.add_device(pod, "eth0")
    k.write("kernel.sem", "1 2 3 4", ns=pod)
    k.write("kernel.hostname", "web", ns=pod)
    k.write("net.ipv4.ip_local_reserved_ports", "8080,9000-9010")
    k.write("net.ipv4.conf.eth0.rp_filter", "2", ns=pod)
    k.attachments["note"] = {"a": [1, 2]}
    return k


SAMPLE = json.dumps(_sample().snapshot(), sort_keys=True).encode()
#: The same snapshot with the profile embedded rather than named (what a captured profile saves).
EMBEDDED = _sample().snapshot() | {"profile": snapshot.profile_to_dict(_sample().profile)}


def _answers(k: Kernel) -> None:
    """Every value the loaded kernel holds can be read (or is refused with an errno)."""
    for ns in k.namespaces():
        nsset = k.namespace_by_label(ns.label) if ns.label else k.init_ns
        for key in [*ns.values, *ns.base]:
            try:
                k.read(key, ns=nsset)
            except OSError as e:
                assert e.errno, key


def _load_or_refuse(data: bytes) -> Kernel | StateError:
    """Load ``data``; a refusal must be a one-line StateError (anything else fails the test)."""
    try:
        k = Kernel.from_snapshot(snapshot.decode(data))
    except StateError as e:
        message = str(e)
        assert message and "\n" not in message and len(message) <= 400, message
        return e
    _answers(k)
    return k


def test_the_intact_sample_loads() -> None:
    assert isinstance(_load_or_refuse(SAMPLE), Kernel)


def test_truncation_at_every_byte_is_refused_in_one_line() -> None:
    for cut in range(len(SAMPLE)):
        assert isinstance(_load_or_refuse(SAMPLE[:cut]), StateError), cut


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_random_bytes_are_refused_in_one_line(data: bytes) -> None:
    _load_or_refuse(data)


@settings(max_examples=200)
@given(st.integers(0, len(SAMPLE) - 1), st.binary(min_size=1, max_size=8))
def test_random_bytes_spliced_into_a_valid_file_are_refused_or_load(at: int, junk: bytes) -> None:
    _load_or_refuse(SAMPLE[:at] + junk + SAMPLE[at + len(junk):])


def test_non_utf8_bytes_are_refused_naming_the_byte() -> None:
    err = _load_or_refuse(SAMPLE[:10] + b"\xff\xfe" + SAMPLE[10:])
    assert isinstance(err, StateError) and "not UTF-8" in str(err)


WRONG: list[Any] = [None, True, 0, -1, 2**64, 1.5, "x", "", [], [1], {}, {"bitmap": "zz"}, 10**4000]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _paths(child, (*path, i))


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("doc", [json.loads(SAMPLE), EMBEDDED], ids=["named-profile", "embedded-profile"])
def test_a_wrong_type_anywhere_is_refused_or_loads(doc: dict[str, Any]) -> None:
    paths = [p for p in _paths(doc) if p]
    # The embedded profile has thousands of fields; every top-level field and every field
    # of the namespaces and one profile entry is enough to reach each reader.
    paths = [p for p in paths if p[0] != "profile" or len(p) <= 2 or p[1:3] == ("entries", 0)]
    assert len(paths) > 50
    for path in paths:
        for value in WRONG:
            try:
                k = Kernel.from_snapshot(_replaced(doc, path, value))
            except StateError as e:
                assert "\n" not in str(e), (path, value)
            else:
                _answers(k)


def test_a_number_too_long_for_json_is_refused() -> None:
    data = SAMPLE.replace(b'"next_id": ', b'"next_id": ' + b"9" * 5000 + b"0 * ", 1).replace(b"0 * ", b"")
    err = _load_or_refuse(data)
    assert isinstance(err, StateError) and "cannot be read" in str(err)


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deep_nesting_is_refused_or_loads(depth: int) -> None:
    doc = json.loads(SAMPLE)
    doc["attachments"] = {"deep": "@"}
    text = json.dumps(doc).replace('"@"', "[" * depth + "]" * depth)
    _load_or_refuse(text.encode())


def test_a_key_with_control_characters_stays_on_one_line() -> None:
    doc = json.loads(SAMPLE)
    doc["namespaces"][0]["values"]["evil\nkey\x1b[2J"] = [1]
    err = _load_or_refuse(json.dumps(doc).encode())
    assert isinstance(err, StateError) and "no such entry" in str(err)


@pytest.mark.parametrize("corruption", [b"", b"{", b"\xff\xfe", b"[]", b'{"format": 99}', b"9" * 5000],
                         ids=["empty", "cut", "non-utf8", "wrong-type", "newer-format", "huge-number"])
def test_the_cli_prints_one_line_and_exits_1_for_a_corrupt_state(tmp_path: Path, corruption: bytes,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(corruption)
    code = main(["reboot", "--state", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("fakeproc: state file ") and "Traceback" not in err, err
    assert path.read_bytes() == corruption  # a refused file is left for the user to inspect
