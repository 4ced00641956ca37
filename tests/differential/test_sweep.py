"""Every writable namespaced entry of a fresh namespace set, probed with the same generic writes.

Probes (in order, one namespace per key): ``0``, ``1``, ``-1``, ``2147483648``, ``x``, blanks,
``3 4``, each followed by a read-back. The key list comes from the 6.18 profile.
"""

from __future__ import annotations

import pytest

from tests.differential.cases import KNOWN_SWEEP
from tests.differential.compare import assert_same
from tests.differential.conftest import SWEEP_CASES, Differential
from tests.differential.realkernel import Case

pytestmark = pytest.mark.root


def _param(case: Case) -> object:
    key = case.id.removeprefix("sweep-")
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_SWEEP[key])] if key in KNOWN_SWEEP else []
    return pytest.param(case, id=key, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in SWEEP_CASES])
def test_generic_probes_give_the_real_kernels_answers(case: Case, differential: Differential) -> None:
    assert_same(case.id, differential.real[case.id], differential.model[case.id], list(case.steps))
