"""``shutil.copyfile`` of a ``/proc/sys`` file (``sendfile(2)``) under each ``fakeproc run`` backend."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fuse.support import REPO, requires_root, requires_tool

pytestmark = [requires_root, requires_tool("unshare", "mount")]

COPY = "import shutil, sys; shutil.copyfile('/proc/sys/kernel/ostype', sys.argv[1]); print(open(sys.argv[1]).read(), end='')"


def copied(tmp_path, *prefix: str) -> str:
    out = tmp_path / "ostype"
    done = subprocess.run([*prefix, sys.executable, "-c", COPY, str(out)], capture_output=True, text=True, cwd=REPO,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def backend(name: str) -> list[str]:
    from fakeproc.sandbox import backend_problem

    why = backend_problem(name)
    if why:
        pytest.skip(f"backend {name} cannot run here: {why}")
    return [sys.executable, "-m", "fakeproc", "run", "--backend", name, "--"]


def test_the_real_proc_sys_copies_its_bytes(tmp_path):
    assert copied(tmp_path) == "Linux\n"


def test_the_emulated_backend_copies_the_bytes(tmp_path):
    """sendfile from a placeholder fails with EBADF and shutil falls back to read/write."""
    assert copied(tmp_path, *backend("emulated")) == "Linux\n"


def test_known_divergence_the_namespaces_backend_copies_nothing(tmp_path):
    """Known divergence (FUSE): ``fuse_splice_read`` -> ``filemap_splice_read`` (fs/fuse/file.c,
    mm/filemap.c) splices through the page cache up to the file's size, which is 0 as on procfs
    (procfs splices through ``read_iter`` instead), so ``sendfile`` returns 0 at once and
    ``shutil.copyfile`` leaves an empty file; ``read(2)`` is exact. Reporting a size would break
    ``stat``. The seccomp backend, also FUSE, is the same (tests/backends/test_tools_by_backend.py)."""
    assert copied(tmp_path, *backend("namespaces")) == ""
