"""Generated writes (tokens, vectors, offsets) on a sample of namespaced keys: real kernel vs model.

Hypothesis draws a fixed, derandomized set of 40 examples; all of them run in ONE worker
process (each example in its own fresh namespaces), then the same steps replay on the model and
are compared step by step: errno, count and read-back bytes.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.compare import mismatches
from tests.differential.conftest import run_batch
from tests.differential.realkernel import Case, Step, write, write_all

pytestmark = pytest.mark.root

MAX_EXAMPLES = 40

# Keys with no known model difference (see docs/differential.md), one or more per handler family.
NUMERIC_KEYS = [
    "kernel.sem", "kernel.shmmni", "kernel.shmmax", "kernel.msgmnb", "kernel.shm_rmid_forced",
    "kernel.msg_next_id", "fs.mqueue.msg_max", "fs.mqueue.queues_max", "net.core.somaxconn",
    "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ping_group_range",
    "net.ipv4.tcp_rmem", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_keepalive_time",
    "net.ipv4.neigh.lo.retrans_time_ms", "net.ipv4.neigh.lo.locktime", "net.ipv4.tcp_notsent_lowat",
    "net.ipv6.conf.lo.hop_limit", "net.ipv4.conf.all.forwarding",
]
BITMAP_KEYS = ["net.ipv4.ip_local_reserved_ports"]
STRING_KEYS = ["kernel.hostname", "kernel.domainname"]

_BOUNDARIES = [0, 1, 2, 3, 100, 127, 128, 255, 256, 1023, 1024, 32767, 32768, 32769, 60999, 65535, 65536,
               2**31 - 1, 2**31, 2**32 - 2, 2**32 - 1, 2**32, 2**63, 2**64 - 1, 2**64, 8589934, 8589935]


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """A number token: near a boundary or arbitrary, maybe negative, in decimal, hex or octal."""
    value = draw(st.one_of(st.sampled_from(_BOUNDARIES), st.integers(0, 2**65)))
    value += draw(st.sampled_from([0, 0, 0, -1, 1]))
    value = max(value, 0)
    text = draw(st.sampled_from(["{:d}", "{:d}", "{:d}", "0x{:x}", "0{:o}"])).format(value)
    return ("-" if draw(st.booleans()) and draw(st.booleans()) else "") + text


TOKENS = st.one_of(numbers(), numbers(), st.sampled_from(["x", "+5", "-", "", "\r", "\x00", "08", "1.5"]))
SEPARATORS = st.sampled_from([" ", " ", "\t", "\n", "  ", ",", "-", ""])


@st.composite
def numeric_data(draw: st.DrawFn, bitmap: bool = False) -> bytes:
    """Between 0 and 5 tokens joined by separators, maybe with a trailing newline."""
    tokens = draw(st.lists(TOKENS, min_size=1, max_size=5))
    text = ""
    for i, token in enumerate(tokens):
        text += (draw(st.sampled_from([",", "-", "\n"])) if bitmap else draw(SEPARATORS)) if i else ""
        text += token
    if draw(st.booleans()):
        text += "\n"
    return text.encode("latin-1")


STRING_DATA = st.text(string.ascii_letters + string.digits + " .-_\n\t", max_size=80).map(
    lambda s: s.encode("latin-1"))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One write: a key from the sample, generated data, offset 0 most of the time."""
    kind = draw(st.sampled_from(["num", "num", "num", "bitmap", "string"]))
    if kind == "num":
        key, data = draw(st.sampled_from(NUMERIC_KEYS)), draw(numeric_data())
    elif kind == "bitmap":
        key, data = draw(st.sampled_from(BITMAP_KEYS)), draw(numeric_data(bitmap=True))
    else:
        key, data = draw(st.sampled_from(STRING_KEYS)), draw(STRING_DATA)
    pos = draw(st.one_of(st.just(0), st.just(0), st.integers(0, 70)))
    return (write_all if draw(st.integers(0, 4)) == 0 else write)(key, data, pos)


_SETUP = (write("kernel.hostname", "start\n", readback=False), write("kernel.domainname", "start\n", readback=False))


def generated_cases() -> list[Case]:
    """The fixed list of generated cases (derandomized: the same on every run)."""
    cases: list[Case] = []

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(steps(), min_size=1, max_size=4))
    def collect(example: list[Step]) -> None:
        cases.append(Case(f"gen-{len(cases)}", _SETUP + tuple(example)))

    collect()
    return cases


def test_generated_writes_give_the_real_kernels_errno_count_and_readback() -> None:
    cases = generated_cases()
    assert len(cases) >= MAX_EXAMPLES // 2
    result = run_batch(cases)
    report = []
    for case in cases:
        diff = mismatches(result.real[case.id], result.model[case.id], list(case.steps))
        if diff:
            report.append(f"{case.id}:\n" + "\n".join(diff))
    assert not report, "model differs from the real kernel:\n" + "\n".join(report)


def test_generated_cases_are_deterministic() -> None:
    assert [c.steps for c in generated_cases()] == [c.steps for c in generated_cases()]
