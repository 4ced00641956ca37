"""Capability-gated kernel handlers and proc_do_uts_string."""

from __future__ import annotations

import errno

import pytest

from tests.handlers.conftest import FakeEnv, make_sysctl

NO_CAPS = frozenset[str]()


def test_sysadmin_minmax_write_needs_cap_sys_admin() -> None:
    env = FakeEnv(caps=NO_CAPS)
    s = make_sysctl("proc_dointvec_minmax_sysadmin", (0,), env, key="kernel.kptr_restrict", min=0, max=2)
    assert s.write(b"1").errno == errno.EPERM and s.value == (0,)
    assert s.cat() == b"0\n"
    env.caps = frozenset({"CAP_SYS_ADMIN"})
    assert s.echo(b"2") == 0 and s.value == (2,)
    assert s.write(b"3").errno == errno.EINVAL


def test_taint_can_only_add_bits() -> None:
    s = make_sysctl("proc_taint", (1,), key="kernel.tainted")
    assert s.echo(b"4") == 0 and s.value == (5,)
    assert s.echo(b"0") == 0 and s.value == (5,)
    assert s.cat() == b"5\n"


def test_taint_ignores_bits_beyond_taint_flags_count() -> None:
    s = make_sysctl("proc_taint", (0,), key="kernel.tainted")
    assert s.echo(str(1 << 40 | 2).encode()) == 0 and s.value == (2,)


@pytest.mark.parametrize(("text", "err"), [(b"-1", errno.EINVAL), (b"x", errno.EINVAL)])
def test_taint_bad_write(text: bytes, err: int) -> None:
    s = make_sysctl("proc_taint", (0,), key="kernel.tainted")
    assert s.write(text).errno == err


def test_taint_write_without_cap_is_eperm() -> None:
    s = make_sysctl("proc_taint", (0,), FakeEnv(caps=NO_CAPS), key="kernel.tainted")
    assert s.write(b"1").errno == errno.EPERM


def test_static_key_is_0_or_1_and_needs_cap() -> None:
    s = make_sysctl("proc_do_static_key", (0,), key="kernel.sched_schedstats")
    assert s.echo(b"1") == 0 and s.value == (1,)
    assert s.write(b"2").errno == errno.EINVAL and s.value == (1,)
    denied = make_sysctl("proc_do_static_key", (0,), FakeEnv(caps=NO_CAPS))
    assert denied.write(b"1").errno == errno.EPERM
    assert denied.cat() == b"0\n"


def hostname(value: bytes = b"(none)", env: FakeEnv | None = None):  # type: ignore[no-untyped-def]
    return make_sysctl("proc_do_uts_string", value, env, key="kernel.hostname", maxlen=65)


def test_uts_string_keeps_64_characters_silently() -> None:
    s = hostname()
    res = s.write(b"h" * 80 + b"\n")
    assert (res.errno, res.count, s.value) == (0, 81, b"h" * 64)
    assert s.cat() == b"h" * 64 + b"\n"


def test_uts_string_strict_offsets_append() -> None:
    s = hostname(b"box")
    assert s.dd(b"node1\n", bs=1) == 0
    assert s.value == b"node1"
    s.write(b"-x", pos=5)
    assert s.value == b"node1-x"


def test_uts_string_reads_at_offset() -> None:
    s = hostname(b"Linux")
    assert s.read(100, pos=2).output == b"nux\n"
