"""The oracle against the real tools: generated documents through procps ``sysctl -p`` and
``systemd-sysctl`` under ``fake_procsys``, compared with ``apply_conf`` for the installed release
(exit status, stdout, stderr, the writes and the state they leave)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from fakeproc.strategies import sysctl_conf_documents
from fakeproc.testing import (
    apply_conf,
    assert_same_state,
    assert_writes,
    parse_conf,
    resolve_dialect,
    skip_reason,
    tool_binary,
)

pytestmark = [pytest.mark.fuse, pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))]

BOUNDED = settings(max_examples=int(os.environ.get("FAKEPROC_TOOL_EXAMPLES", "25")), derandomize=True, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEATURES = ["comment", "semicolon_comment", "blank", "whitespace", "inline_hash", "ignore_failure", "glob",
            "exclusion", "duplicate", "invalid_line", "crlf", "slash", "vlan", "no_final_newline"]
TOOLS = {"procps": lambda path: [tool_binary("procps") or "sysctl", "-p", path],
         "systemd": lambda path: [tool_binary("systemd") or "systemd-sysctl", path]}


def run_tool(fake_procsys, tmp_path, tool: str, text: str):
    fake_procsys.reset()
    conf = tmp_path / "99-test.conf"
    conf.write_bytes(text.encode("utf-8", "surrogateescape"))
    expected = fake_procsys.kernel.copy()
    report = apply_conf(expected, parse_conf(text, tool, filename=str(conf)), in_place=True)
    env = dict(os.environ, SYSTEMD_LOG_TARGET="console", SYSTEMD_LOG_LEVEL="info", LC_ALL="C")
    result = fake_procsys.run(TOOLS[tool](str(conf)), capture_output=True, text=True, env=env, timeout=30)
    return report, expected, result


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.kernel_devices("eth0.100")
def test_real_tool_matches_the_oracle(fake_procsys, tmp_path, tool):
    if tool_binary(tool) is None:
        pytest.skip(f"{tool} is not installed")

    @BOUNDED
    @given(doc=sysctl_conf_documents(features=FEATURES, max_size=6))
    def check(doc):
        report, expected, result = run_tool(fake_procsys, tmp_path, tool, doc.text)
        label = f"{tool} as {resolve_dialect(tool)}"
        assert result.returncode == report.exit_status, (label, result.stderr)
        if tool == "procps":  # systemd-sysctl logs nothing on stdout and its stderr wording is its own
            assert result.stdout.splitlines() == list(report.stdout), label
            assert result.stderr.splitlines() == list(report.stderr), label
        assert_writes(fake_procsys, report)
        assert_same_state(fake_procsys.kernel, expected, [w.key for w in doc.writes(tool)])

    check()
