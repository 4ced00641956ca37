"""A malformed tunable in the environment is a usage error like any other: one ``fakeproc:``
line naming the variable, exit status 2, no traceback and nothing left behind (no mount)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fakeproc.cli.main import main
from fakeproc.sandbox import fuse_available
from fakeproc.sandbox._runtime import runtime_dir
from tests.fuse.support import fuse_mount_lines

CASES = [
    ("FAKEPROC_ATTR_TIMEOUT", "1s", "namespaces"),
    ("FAKEPROC_FUSE_BUSY_POLL_US", "fast", "namespaces"),
    ("FAKEPROC_CPU_LATENCY_HOLD_MS", "-5", "namespaces"),
    ("FAKEPROC_FUSE_BUSY_POLL_US", "nan", "seccomp"),
    ("FAKEPROC_CPU_LATENCY_HOLD_MS", "inf", "seccomp"),
    ("FAKEPROC_ATTR_TIMEOUT", "x", "emulated"),
]


@pytest.mark.parametrize(("name", "raw", "backend"), CASES, ids=lambda v: str(v))
def test_a_malformed_tunable_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path, name, raw, backend):
    if backend != "emulated" and not fuse_available()[0]:
        pytest.skip("the namespace and seccomp backends serve a FUSE mount")
    monkeypatch.setenv("FAKEPROC_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv(name, raw)
    mounts, mine = _my_mounts(), _my_mountpoints()
    code = main(["run", "--backend", backend, "--", "true"])
    err = capsys.readouterr().err
    if backend != "namespaces" and "not available" in err:
        pytest.skip(err.strip())
    assert (code, err) == (2, f"fakeproc: {name} must be a number (0 or more), not {raw!r}\n")
    assert _my_mounts() == mounts
    assert _my_mountpoints() == mine


def _my_mounts() -> set[str]:
    """This process's FUSE mounts (their source names the serving pid; other tests' are not ours)."""
    return {line for line in fuse_mount_lines() if line.startswith(f"fakeproc:{os.getpid()} ")}


def _my_mountpoints() -> list[str]:
    """This process's mountpoints in the runtime directory (where ``run`` makes its own)."""
    return sorted(d for d in os.listdir(runtime_dir()) if d.startswith(f"mnt-{os.getpid()}-"))


@pytest.mark.parametrize("raw", ["7", "three"])
def test_a_libfuse_that_is_neither_a_version_nor_a_library_is_one_line_and_exit_2(tmp_path, raw):
    # In a fresh interpreter: this process may have loaded its libfuse binding already (once per process).
    env = dict(os.environ, FAKEPROC_LIBFUSE=raw, FAKEPROC_STATE=str(tmp_path / "state.json"))
    done = subprocess.run([sys.executable, "-m", "fakeproc", "run", "--", "true"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    want = (f"fakeproc: FAKEPROC_LIBFUSE must be 2, 3 or a libfuse library (a path, or a name such as "
            f"libfuse3.so.3), not {raw!r}\n")
    assert (done.returncode, done.stderr) == (2, want)
