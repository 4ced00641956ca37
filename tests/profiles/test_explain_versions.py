"""``fakeproc explain`` shows the key in every shipped profile, ordered by kernel version."""

from __future__ import annotations

import pytest

from fakeproc.errors import UsageError
from fakeproc.explain import explain
from fakeproc.profiles import available_profiles


def test_every_profile_appears_once_in_kernel_version_order():
    r = explain(key="net.core.somaxconn")
    names = [v["profile"] for v in r.versions]
    assert sorted(names) == sorted(available_profiles())
    assert names.index("4.15") < names.index("5.15") < names.index("6.1") < names.index("6.8") \
        < names.index("6.12") < names.index("6.18")
    assert {v["profile"]: v["default"] for v in r.versions}["4.15"] == "128"


def test_absent_versions_and_bound_differences_are_shown_side_by_side():
    r = explain(key="kernel.io_uring_disabled")
    by = {v["profile"]: v for v in r.versions}
    assert by["6.1"]["default"] is None and by["6.8"]["default"] == "0"
    text = explain(key="vm.watermark_scale_factor", profile="5.15").text()
    assert "   *5.15          5.15.0     10\n" in text
    assert "    6.1           6.1.192    10  [bounds [1, 3000]]\n" in text
    assert "    4.15          4.15.0     (absent)\n" in explain(key="vm.memfd_noexec").text()


def test_a_key_missing_from_the_chosen_profile_names_the_profiles_that_have_it():
    with pytest.raises(UsageError, match=r"it is in: 4\.15, 5\.15, ubuntu-22\.04, 6\.1, debian-12; use --kernel"):
        explain(key="kernel.sched_child_runs_first")
