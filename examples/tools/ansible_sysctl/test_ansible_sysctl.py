"""Properties of ``ansible.posix.sysctl`` (``name=K value=V sysctl_file=F reload=true``):

1. after the task, the key reads what the kernel shows after ``sysctl -w K=V``;
2. the task is idempotent: run again, it reports ``changed: false``.

Run with ``pytest examples/tools/ansible_sysctl`` (slow: about 2 s per task run).
"""

from __future__ import annotations

import json

import pytest
from ansible_locate import ansible_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeproc.strategies import sysctl_entries, valid_values
from fakeproc.testing import check_write, read_or_errno

CHECK = settings(max_examples=15, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="session")
def ansible():
    found = ansible_env()
    if found is None:
        pytest.skip("ansible with the ansible.posix collection is not installed (apt-get install ansible, "
                    "or FAKEPROC_ANSIBLE=<ansible> FAKEPROC_ANSIBLE_COLLECTIONS=<collections path>)")
    return found


@st.composite
def settings_(draw, **kw):
    key, spec = draw(sysctl_entries(writable=True, with_domain=True, devices=["eth0", "eth0.100"], **kw))
    value = draw(valid_values(spec).filter(lambda v: v and v == v.strip() and "'" not in v and "=" not in v))
    return key, value


def run_task(fake_procsys, ansible, tmp_path, key: str, value: str) -> dict:
    command, env = ansible
    args = f"name={key} value='{value}' sysctl_file={tmp_path}/99-ansible.conf reload=true"
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
        first = run_task(fake_procsys, ansible, tmp_path, key, value)
        assert not first.get("failed"), first.get("msg")
        assert read_or_errno(fake_procsys, key) == expected.read_back, key
        again = run_task(fake_procsys, ansible, tmp_path, key, value)
        assert again.get("changed") is False, (key, value, again)

    check()
