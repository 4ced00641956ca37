"""Where tuned comes from: the system's ``tuned`` package, or ``$FAKEPROC_TUNED_PATH``."""

from __future__ import annotations

import pytest
from tuned_locate import tuned_path


@pytest.fixture(scope="session")
def tuned():
    path = tuned_path()
    if path is None:
        pytest.skip("tuned is not installed (apt-get install tuned, or FAKEPROC_TUNED_PATH=<its dist-packages>)")
    return path
