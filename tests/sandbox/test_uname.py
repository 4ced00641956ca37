"""``uname(2)`` and ``sethostname(2)`` under ``fakeproc run --backend namespaces`` agree with the fake's
``kernel.hostname`` and ``kernel.domainname``, in both directions, as one ``uts_ns->name`` does on a
real kernel (kernel/utsname_sysctl.c).

The command runs in a private real UTS namespace named from the fake. Every command here that
calls ``hostname NAME`` runs as root under an outer ``unshare --uts`` as well, so that even a broken
sandbox could only rename a throwaway namespace; the host's name is checked after each test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from fakeproc.sandbox import run_command
from tests.fuse.support import REPO, requires_fuse, requires_root, requires_tool
from tests.sandbox.plain_user import as_plain_user, workdir

pytestmark = [requires_fuse, requires_root, requires_tool("unshare", "mount", "hostname", "domainname", "uname")]


@pytest.fixture(autouse=True)
def _host_name_unchanged() -> Iterator[None]:
    before = socket.gethostname()
    yield
    assert socket.gethostname() == before, "the host's hostname changed"


def run(script: str, *options: str) -> subprocess.CompletedProcess[str]:
    """``fakeproc run [OPTIONS] -- sh -c SCRIPT`` inside a throwaway UTS namespace."""
    return subprocess.run(
        ["unshare", "--uts", "--", sys.executable, "-m", "fakeproc", "run", "--backend", "namespaces",
         *options, "--", "sh", "-c", script],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )


def test_uname_follows_a_hostname_and_domainname_written_through_the_fake():
    done = run("sysctl -qw kernel.hostname=fake-node kernel.domainname=fake.example; uname -n; hostname; domainname")
    assert (done.returncode, done.stdout, done.stderr) == (0, "fake-node\nfake-node\nfake.example\n", "")


def test_uname_starts_from_the_fakes_name_not_the_hosts(kernel, tmp_path):
    kernel.write("kernel.hostname", "preset-node")
    kernel.write("kernel.domainname", "preset.example")
    out = tmp_path / "out"
    assert run_command(["sh", "-c", f"uname -n > {out}; domainname >> {out}"], kernel=kernel) == 0
    assert out.read_text() == "preset-node\npreset.example\n"


def test_sethostname_inside_the_command_shows_in_the_fake():
    done = run("hostname set-by-tool; domainname dom-by-tool; cat /proc/sys/kernel/hostname; "
               "sysctl -n kernel.domainname; uname -n")
    assert (done.returncode, done.stdout) == (0, "set-by-tool\ndom-by-tool\nset-by-tool\n"), done.stderr


def test_the_fake_read_after_sethostname_is_the_new_name_also_for_a_second_reader():
    done = run("cat /proc/sys/kernel/hostname; hostname second; cat /proc/sys/kernel/hostname; "
               "sh -c 'cat /proc/sys/kernel/hostname'")
    assert (done.returncode, done.stdout) == (0, "(none)\nsecond\nsecond\n"), done.stderr


def test_nested_unshare_uts_copies_the_parents_name_in_the_real_and_the_fake():
    inner = ("uname -n; cat /proc/sys/kernel/hostname; hostname inner; cat /proc/sys/kernel/hostname; "
             "sysctl -qw kernel.hostname=inner-fake; uname -n")
    done = run(f"sysctl -qw kernel.hostname=outer; unshare --uts sh -c '{inner}'; uname -n; "
               "cat /proc/sys/kernel/hostname")
    assert (done.returncode, done.stdout.split()) == (
        0, ["outer", "outer", "inner", "inner-fake", "outer", "outer"]), done.stderr


def test_the_state_file_keeps_the_name_that_hostname_set(tmp_path):
    state = str(tmp_path / "state.json")
    assert run("hostname kept-node", "--state", state).returncode == 0
    done = run("uname -n; cat /proc/sys/kernel/hostname", "--state", state)
    assert (done.returncode, done.stdout) == (0, "kept-node\nkept-node\n"), done.stderr


def test_a_run_with_a_kernel_object_leaves_the_name_in_that_kernel(kernel, tmp_path):
    out = tmp_path / "out"
    code = run_command(["sh", "-c", f"sysctl -qw kernel.hostname=api-node; uname -n > {out}"], kernel=kernel)
    assert (code, out.read_text(), kernel.read("kernel.hostname")) == (0, "api-node\n", "api-node\n")


def test_a_plain_user_gets_the_same_two_way_hostname():
    script = ("uname -n; sysctl -qw kernel.hostname=plain-fake; uname -n; hostname plain-real; "
              "cat /proc/sys/kernel/hostname; unshare --uts sh -c 'uname -n; hostname plain-inner; "
              "cat /proc/sys/kernel/hostname'; uname -n")
    with workdir() as work:
        state = f"{work.home}/state.json"
        done = as_plain_user([sys.executable, "-m", "fakeproc", "run", "--state", state, "--", "sh", "-c", script],
                             work)
        again = as_plain_user([sys.executable, "-m", "fakeproc", "run", "--state", state, "--", "uname", "-n"], work)
    assert (done.returncode, done.stdout.split(), done.stderr) == (
        0, ["(none)", "plain-fake", "plain-real", "plain-real", "plain-inner", "plain-real"], "")
    assert (again.returncode, again.stdout) == (0, "plain-real\n")
