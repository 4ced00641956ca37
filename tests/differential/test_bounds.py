"""The bounds probe: every per-namespace integer entry's accepted range, real kernel vs model.

For each writable, truly per-namespace integer entry of a fresh ipc/net namespace set (see
:func:`tests.differential.cases.bounds_keys`), ``_bounds.probe`` writes the int/long limits, their
neighbours and every ``±2**k`` (and the fresh value), then bisects every point where the answer
flips. On the real kernel this runs in ONE worker run (each key in its own throwaway namespaces);
on the model in a fresh ``Kernel("6.18").unshare(...)`` per key. The summaries (outcome, errno and
read-back at every anchor and on both sides of every flip) must be equal.
"""

from __future__ import annotations

import errno
from typing import Any

import pytest

from fakeproc.profiles import bounds_probe as _bounds
from tests.differential.cases import GLOBAL_BACKED, KNOWN_BOUNDS
from tests.differential.conftest import BOUNDS_CASES, BOUNDS_KEYS, Differential
from tests.differential.realkernel import Case

pytestmark = pytest.mark.root


def _param(case: Case) -> object:
    key = case.id.removeprefix("bounds-")
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BOUNDS[key])] if key in KNOWN_BOUNDS else []
    return pytest.param(case, id=key, marks=marks)


def _outcome(o: Any) -> str:
    return errno.errorcode.get(o, str(o)) if isinstance(o, int) else str(o)


def _describe(result: dict[str, Any]) -> str:
    """One line per element: accepted range and rejection errnos."""
    if "positions" not in result:
        return f"  {result}"
    return "\n".join(
        f"  element {i}: accepts [{p['min_ok']}, {p['max_ok']}], rejects with "
        f"{[_outcome(o) for o in p['rejects']]}; flips {[(f[0], _outcome(f[1]), f[3], _outcome(f[4])) for f in p['flips']]}"
        for i, p in enumerate(result["positions"])
    )


def _first_difference(real: dict[str, Any], model: dict[str, Any]) -> str:
    if "positions" not in real or "positions" not in model or len(real["positions"]) != len(model["positions"]):
        return f"initial real {real.get('initial')!r} / model {model.get('initial')!r}"
    for i, (r, m) in enumerate(zip(real["positions"], model["positions"])):
        for kind in ("anchors", "flips"):
            for a, b in zip(r[kind], m[kind]):
                if a != b:
                    return f"element {i} {kind}: real {a} / model {b}"
    return "summaries differ"


@pytest.mark.parametrize("case", [_param(c) for c in BOUNDS_CASES])
def test_model_accepts_the_same_values_as_the_real_kernel(case: Case, bounds_run: Differential) -> None:
    real, model = bounds_run.real[case.id][0], bounds_run.model[case.id][0]
    assert real == model, (
        f"{case.id}: bounds differ\nreal:\n{_describe(real)}\nmodel:\n{_describe(model)}\n"
        f"first difference: {_first_difference(real, model)}"
    )


def test_bounds_probe_covers_ipc_and_net_integer_entries() -> None:
    assert len(BOUNDS_KEYS) >= 550
    assert {"kernel.sem", "kernel.shmmax", "fs.mqueue.msg_max", "kernel.msg_next_id", "net.core.somaxconn",
            "net.ipv4.ip_local_port_range", "net.ipv6.conf.lo.mtu"} <= set(BOUNDS_KEYS)
    assert not set(BOUNDS_KEYS) & GLOBAL_BACKED
    assert not {k for k in BOUNDS_KEYS if k.startswith(("net.core.rmem", "net.core.wmem"))}  # child_mode: global


def test_every_known_bounds_difference_names_a_probed_key() -> None:
    assert set(KNOWN_BOUNDS) <= set(BOUNDS_KEYS), sorted(set(KNOWN_BOUNDS) - set(BOUNDS_KEYS))


def test_every_probed_entry_accepts_some_value_on_the_real_kernel(bounds_run: Differential) -> None:
    refusing = [cid for cid, (r,) in bounds_run.real.items()
                if "positions" not in r or any(p["min_ok"] is None for p in r["positions"])]
    assert not refusing


def test_host_values_of_every_probed_key_are_unchanged(bounds_run: Differential) -> None:
    probed = {k for c in BOUNDS_CASES for k in c.written_keys}
    assert probed <= set(bounds_run.host_before)
    assert bounds_run.host_after == bounds_run.host_before


def test_probe_finds_both_bounds_of_a_range_between_anchors() -> None:
    def write(data: bytes) -> tuple[object, str | None]:
        x = int(data.split()[0])
        return ("ok", f"{x}\n") if 37 <= x <= 1000 else (errno.EINVAL, None)

    (pos,) = _bounds.probe(write, lambda: "100\n")["positions"]
    assert (pos["min_ok"], pos["max_ok"], pos["rejects"]) == (37, 1000, [errno.EINVAL])
    assert [f[0] for f in pos["flips"]] == [36, 1000]


def test_probe_keeps_the_other_elements_of_a_vector_at_their_fresh_values() -> None:
    written: list[bytes] = []

    def write(data: bytes) -> tuple[object, str | None]:
        written.append(data)
        a, b = (int(t) for t in data.split())
        return ("ok", data.decode()) if 0 <= a <= b <= 10 else (errno.EINVAL, None)

    result = _bounds.probe(write, lambda: "2\t5\n")
    assert [(p["min_ok"], p["max_ok"]) for p in result["positions"]] == [(0, 5), (2, 10)]
    assert all(d.split()[0] == b"2" or d.split()[1] == b"5" for d in written)
    assert any(d.split()[0] != b"2" for d in written) and any(d.split()[1] != b"5" for d in written)
