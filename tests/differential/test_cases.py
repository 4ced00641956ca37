"""The case table: each namespaced handler family, real kernel (throwaway namespaces) vs model."""

from __future__ import annotations

import pytest

from tests.differential.cases import CASES, KNOWN
from tests.differential.compare import assert_same
from tests.differential.conftest import Differential
from tests.differential.realkernel import Case

pytestmark = pytest.mark.root


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[case.id])] if case.id in KNOWN else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_model_gives_the_real_kernels_errno_count_and_readback(case: Case, differential: Differential) -> None:
    assert_same(case.id, differential.real[case.id], differential.model[case.id], list(case.steps))


def test_every_known_difference_names_an_existing_case() -> None:
    ids = {c.id for c in CASES}
    assert set(KNOWN) <= ids, sorted(set(KNOWN) - ids)


def test_host_sysctl_writes_strict_is_what_the_model_assumes(differential: Differential) -> None:
    import fakeproc

    assert fakeproc.Kernel("6.18").read("kernel.sysctl_writes_strict") == f"{differential.strict}\n"


def test_host_values_are_unchanged_after_the_namespaced_writes(differential: Differential) -> None:
    from tests.differential.realkernel import GUARDED_HOST_VALUES, read_host

    assert differential.host_after == differential.host_before
    for key in GUARDED_HOST_VALUES:
        assert read_host(key) == differential.host_before[key]
