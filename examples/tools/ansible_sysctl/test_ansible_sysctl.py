"""Properties of ``ansible.posix.sysctl`` (``name=K value=V sysctl_file=F reload=true``),
for every key the kernel has and every spelling of a value the kernel accepts:

1. after the task, the key reads what the kernel shows after ``sysctl -w K=V``;
2. the task is idempotent: run again, it reports ``changed: false``.

The values are ``valid_values`` (what the kernel accepts, written the way it prints
them) with each number respelled as the kernel also reads it (``proc_dointvec`` and its
kin parse numbers with base 0: ``0x1f`` is 31, ``010`` is 8). Property 2 fails for
every value the kernel shows differently from how it was written: the module compares
the requested text with the kernel's, word by word (README.md: a bug in the module).

``ansible_locate`` finds the tools (``install_ansible.py``, run by ``scripts/bootstrap.sh
test``); ``FAKEPROC_ANSIBLE_COLLECTIONS=<dir>`` runs another copy of the collection (how
``tests/testing/test_example_tools.py`` checks, with ``fixed_module.py``, that a module
that compares values passes). Run with ``pytest examples/tools/ansible_sysctl``
(about 1 s per task run).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from ansible_locate import ansible_env
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fakeproc.strategies import sysctl_entries, valid_values
from fakeproc.testing import check_write, read_or_errno

CHECK = settings(max_examples=int(os.environ.get("FAKEPROC_ANSIBLE_EXAMPLES", "10")), deadline=None, database=None,
                 derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="session")
def ansible():
    found = ansible_env()
    if found is None:
        reason = ("ansible-core with the ansible.posix collection is not installed (bash scripts/bootstrap.sh test "
                  "installs the pinned ones; or FAKEPROC_ANSIBLE=<ansible> FAKEPROC_ANSIBLE_COLLECTIONS=<path>)")
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true: the example must run", pytrace=False)
        pytest.skip(reason)
    return found


_NUMBER = re.compile(r"-?\d+")

#: Intended, excluded: the module turns Ansible's boolean words into 1 and 0 (``_parse_value``, so
#: that ``value: yes`` works), so a string key cannot be set to one of these words through it.
BOOLEAN_WORDS = {"y", "yes", "on", "true", "t", "n", "no", "off", "false", "f"}


@st.composite
def spellings(draw, value: str) -> str:
    """``value`` with each number written in decimal, ``0x`` hex or ``0`` octal (same value);
    a value that is not a list of numbers (a string, a bitmap's ranges) as it is."""
    if not re.fullmatch(r"-?\d+(\s+-?\d+)*", value):
        return value
    def respell(m: re.Match) -> str:
        n = int(m.group())
        sign = "-" if n < 0 else ""
        form = draw(st.sampled_from(["dec", "hex", "oct"]))
        return {"dec": str(n), "hex": f"{sign}0x{abs(n):x}", "oct": f"{sign}0{abs(n):o}"}[form]
    return _NUMBER.sub(respell, value)


@st.composite
def settings_(draw, **kw):
    key, spec = draw(sysctl_entries(writable=True, with_domain=True, devices=["eth0", "eth0.100"], **kw))
    # The module strips the value (_parse_value) and refuses an empty one (main): no such values.
    value = draw(valid_values(spec).filter(lambda v: v and v == v.strip() and v.lower() not in BOOLEAN_WORDS))
    return key, draw(spellings(value))


def run_task(fake_procsys, ansible, tmp_path, key: str, value: str) -> dict:
    command, env = ansible
    args = json.dumps({"name": key, "value": value, "sysctl_file": f"{tmp_path}/99-ansible.conf", "reload": True})
    r = fake_procsys.run([command, "localhost", "-c", "local", "-m", "ansible.posix.sysctl", "-a", args],
                         capture_output=True, text=True, env=env, timeout=120)
    out = r.stdout[r.stdout.index("{"):] if "{" in r.stdout else "{}"
    result = json.loads(out)
    task = result.get("plays", [{}])[0].get("tasks", [{}])[0].get("hosts", {}).get("localhost", {})
    return task or {"failed": True, "msg": r.stdout + r.stderr}


@pytest.mark.kernel_devices("eth0.100")
@pytest.mark.parametrize("namespace", ["net", "ipc", None])
def test_task_sets_what_sysctl_w_sets_and_is_idempotent(fake_procsys, ansible, tmp_path, namespace):
    @CHECK
    @given(setting=settings_(namespace=namespace))
    def check(setting):
        key, value = setting
        fake_procsys.reset()
        (tmp_path / "99-ansible.conf").unlink(missing_ok=True)
        expected = check_write(fake_procsys.kernel, key, value + "\n")
        assume(expected.accepted)
        first = run_task(fake_procsys, ansible, tmp_path, key, value)
        assert not first.get("failed"), first.get("msg")
        assert read_or_errno(fake_procsys, key) == expected.read_back, key
        again = run_task(fake_procsys, ansible, tmp_path, key, value)
        assert again.get("changed") is False, f"second run: {again}; the kernel shows {expected.read_back!r}"

    check()
