"""The mount works over every libfuse this machine has, and over libfuse3 alone (Ubuntu 24.04's default)."""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys

import pytest

from fakeproc.backends.fuse._binding import LIBRARIES, loadable_libfuses
from tests.fuse.support import REPO, requires_fuse, requires_root, requires_tool

FOUND = loadable_libfuses()


@requires_fuse
@pytest.mark.parametrize("major", sorted(LIBRARIES), ids=lambda m: f"libfuse{m}")
def test_the_fuse_tests_pass_on_each_libfuse_found(major):
    if major not in FOUND:
        pytest.skip(f"{LIBRARIES[major]} is not installed here")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "tests/fuse/test_procfs_fidelity.py", "tests/fuse/test_selftest_patterns.py",
         "tests/fuse/test_namespaces.py", "tests/fuse/test_libfuse_listing_seek_utime.py"],
        cwd=REPO, env={**os.environ, "FAKEPROC_LIBFUSE": str(major)},
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


def _libfuse2_files() -> list[str]:
    files = set()
    for pattern in ("/usr/lib/*/libfuse.so.2*", "/lib/*/libfuse.so.2*", "/usr/lib/libfuse.so.2*"):
        files.update(os.path.realpath(p) for p in glob.glob(pattern))
    return sorted(files)


FIXTURE_TEST = """
def test_fixture(fake_procsys):
    r = fake_procsys.run(["sh", "-c", "echo 9 > /proc/sys/vm/swappiness; cat /proc/sys/vm/swappiness"],
                         capture_output=True, text=True)
    assert r.stdout == "9\\n"
    assert fake_procsys.kernel.read("vm.swappiness") == "9\\n"
"""

MOUNTED = (
    "import fakeproc\n"
    "from fakeproc.backends.fuse._binding import libfuse_major\n"
    "with fakeproc.mounted() as m:\n"
    "    open(m.path + '/kernel/domainname', 'w').write('three')\n"
    "    print(libfuse_major(), m.kernel.read('kernel.domainname'), end='')\n"
)


@requires_root
@requires_fuse
@requires_tool("unshare", "mount")
def test_mount_run_fixture_and_demo_work_with_libfuse3_alone(tmp_path):
    if 3 not in FOUND:
        pytest.skip("libfuse3 is not installed here")
    hidden = _libfuse2_files()
    (tmp_path / "test_fixture.py").write_text(FIXTURE_TEST)
    python = shlex.quote(sys.executable)
    steps = [
        # libfuse2 is gone in this mount namespace: binding an empty file over it.
        *[f"mount --bind /dev/null {shlex.quote(f)}" for f in hidden],
        f"{python} -c 'import ctypes; ctypes.CDLL(\"libfuse.so.2\")' 2>/dev/null && echo STILL-THERE",
        f"{python} -c {shlex.quote(MOUNTED)}",
        f"{python} -m fakeproc run -- cat /proc/sys/kernel/ostype",
        f"{python} -m pytest -q -p no:cacheprovider {shlex.quote(str(tmp_path / 'test_fixture.py'))} | tail -1",
        f"{python} -m fakeproc demo --step 1 >/dev/null && echo demo-ok",
        # The syscall table's libfuse2 run skips (with its reason) and the others run.
        (f"{python} -m pytest -q -p no:cacheprovider -rs tests/fidelity/test_syscalls_backends.py "
         "-k lseek_DATA_minus1 | grep -E 'SKIPPED|passed'"),
    ]
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec", "; ".join(steps)],
        cwd=REPO, env={k: v for k, v in os.environ.items() if k != "FAKEPROC_LIBFUSE"},
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 three" and lines[1] == "Linux"
    assert lines[2].startswith("1 passed") and lines[3] == "demo-ok"
    assert lines[4].endswith("libfuse2 (libfuse.so.2) is not installed here: the mount cannot be served over it")
    assert lines[5].startswith("3 passed, 1 skipped")
    assert "fusermount" not in done.stderr and "Traceback" not in done.stderr


def test_fakeproc_libfuse_selects_the_library_and_a_missing_one_is_one_line(monkeypatch):
    from fakeproc.backends.fuse import _binding
    from fakeproc.errors import UnavailableError

    monkeypatch.setattr(_binding, "_module", None)
    monkeypatch.setattr(_binding, "loadable_libfuses", lambda: {3: "libfuse3.so.3"})
    monkeypatch.setenv("FAKEPROC_LIBFUSE", "2")
    with pytest.raises(UnavailableError) as info:
        _binding.load_binding()
    assert str(info.value).startswith("FAKEPROC_LIBFUSE=2: libfuse.so.2 cannot be loaded; install it with")


def test_libfuse3_is_preferred_where_both_are_installed(monkeypatch):
    from fakeproc.backends.fuse import _binding

    monkeypatch.delenv("FAKEPROC_LIBFUSE", raising=False)
    monkeypatch.setattr(_binding, "loadable_libfuses", lambda: {2: "libfuse.so.2", 3: "libfuse3.so.3"})
    assert _binding._choose() == "libfuse3.so.3"
    monkeypatch.setattr(_binding, "loadable_libfuses", lambda: {2: "libfuse.so.2"})
    assert _binding._choose() == "libfuse.so.2"


