"""IPC handlers: kernel.sem (ERANGE, only SEMMNI rolled back), auto_msgmni, shm_rmid_forced."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeproc.spec import SysctlSpec
from tests.handlers.conftest import FakeEnv, Sysctl, make_sysctl

SEM_DEFAULT = (32000, 1024000000, 500, 32000)


def sem(env: FakeEnv | None = None, **extra: object) -> Sysctl:
    s = make_sysctl("proc_ipc_sem_dointvec", SEM_DEFAULT, env, key="kernel.sem", length=4)
    if extra:
        s.spec = SysctlSpec(
            key="kernel.sem", mode=0o644, handler="proc_ipc_sem_dointvec", length=4, extra=dict(extra)
        )
    return s


def test_sem_reads_four_tab_separated_fields() -> None:
    assert sem().cat() == b"32000\t1024000000\t500\t32000\n"


def test_sem_semmni_above_ipc_mni_fails_with_erange_keeping_first_three() -> None:
    s = sem()
    res = s.write(b"1 2 3 32769")
    assert res.errno == errno.ERANGE
    assert s.value == (1, 2, 3, 32000)


@pytest.mark.parametrize("semmni", [b"0", b"32768"])
def test_sem_semmni_bounds_are_inclusive(semmni: bytes) -> None:
    s = sem()
    assert s.echo(b"250 32000 32 " + semmni) == 0
    assert s.value == (250, 32000, 32, int(semmni))


def test_sem_negative_semmni_fails_with_erange() -> None:
    s = sem()
    assert s.write(b"1 1 1 -1").errno == errno.ERANGE
    assert s.value == (1, 1, 1, 32000)


def test_sem_first_three_fields_are_not_validated() -> None:
    s = sem()
    assert s.echo(b"-5 -6 -7") == 0
    assert s.value == (-5, -6, -7, 32000)


def test_sem_parse_error_is_einval_with_leading_fields_kept() -> None:
    s = sem()
    assert s.write(b"7 8 x").errno == errno.EINVAL
    assert s.value == (7, 8, 500, 32000)


def test_sem_ipcmni_extend() -> None:
    s = sem(ipc_mni=1 << 24)
    assert s.echo(b"1 2 3 16777216") == 0
    assert s.write(b"1 2 3 16777217").errno == errno.ERANGE


def test_auto_msgmni_accepts_0_and_1_discards_them_and_reads_0() -> None:
    env = FakeEnv()
    s = make_sysctl("proc_ipc_auto_msgmni", (0,), env, key="kernel.auto_msgmni", min=0, max=1)
    assert s.echo(b"1") == 0
    assert s.value == (0,) and s.cat() == b"0\n"
    assert env.logs == ["writing to auto_msgmni has no effect"]
    assert s.write(b"2").errno == errno.EINVAL


def test_shm_rmid_forced_is_minmax_0_1() -> None:
    s = make_sysctl("proc_ipc_dointvec_minmax_orphans", (0,), key="kernel.shm_rmid_forced", min=0, max=1)
    assert s.echo(b"1") == 0 and s.value == (1,)
    assert s.write(b"2").errno == errno.EINVAL


def test_shmmni_upper_bound_is_ipc_mni() -> None:
    s = make_sysctl("proc_dointvec_minmax", (4096,), key="kernel.shmmni", min=0, max=32768)
    assert s.write(b"32769").errno == errno.EINVAL


def test_next_id_rejects_writing_back_its_initial_value() -> None:
    s = make_sysctl("proc_dointvec_minmax", (-1,), key="kernel.sem_next_id", mode=0o444, min=0, max=2**31 - 1)
    assert s.cat() == b"-1\n"
    assert s.write(b"-1").errno == errno.EINVAL


@settings(max_examples=60)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=4, max_size=4))
def test_sem_write_changes_semmni_only_when_in_range(fields: list[int]) -> None:
    s = sem()
    err = s.echo(" ".join(map(str, fields)).encode())
    if 0 <= fields[3] <= 32768:
        assert err == 0 and s.value == tuple(fields)
    else:
        assert err == errno.ERANGE and s.value == (*fields[:3], 32000)
