"""The opt-in busy-polling receive loop (``FAKEPROC_FUSE_BUSY_POLL_US``) serves exactly like
libfuse's own loop and ends at unmount."""

from __future__ import annotations

import os

import pytest

from fakeproc.backends.fuse._binding import libfuse_major, load_binding
from tests.fuse.support import fuse_mount_lines, requires_fuse

pytestmark = requires_fuse


def test_a_busy_polling_server_answers_reads_writes_listings_and_errnos_then_unmounts(kernel, monkeypatch):
    if libfuse_major() != 3:
        pytest.skip("the polling loop drives libfuse3's session calls")
    from fakeproc.sandbox import mounted

    monkeypatch.setenv("FAKEPROC_FUSE_BUSY_POLL_US", "50")
    with mounted(kernel) as m:
        lib = load_binding()._libfuse
        assert not os.get_blocking(lib.fuse_session_fd(lib.fuse_get_session(m.server._fuse)))  # polled
        with open(os.path.join(m.path, "kernel/ostype"), "rb") as f:
            assert f.read() == b"Linux\n"
        with open(os.path.join(m.path, "vm/swappiness"), "w") as f:
            f.write("17\n")
        assert kernel.read("vm.swappiness") == "17\n"
        assert os.listdir(os.path.join(m.path, "kernel")) == kernel.listdir("kernel")
        with pytest.raises(PermissionError):
            open(os.path.join(m.path, "kernel/ostype"), "w").close()
        path = m.path
    assert not any(path in line for line in fuse_mount_lines())


def test_a_dedicated_serving_process_busy_polls_unless_the_environment_says_otherwise(monkeypatch):
    from fakeproc.sandbox import serving_busy_poll
    from fakeproc.sandbox._mount import SERVING_BUSY_POLL_US

    monkeypatch.delenv("FAKEPROC_FUSE_BUSY_POLL_US", raising=False)
    assert serving_busy_poll() == SERVING_BUSY_POLL_US == 50.0
    monkeypatch.setenv("FAKEPROC_FUSE_BUSY_POLL_US", "0")
    assert serving_busy_poll() == 0.0
    monkeypatch.setenv("FAKEPROC_FUSE_BUSY_POLL_US", "20")
    assert serving_busy_poll() == 20.0
