"""A model UTS namespace kept in a real one (``fakeproc.serve.UtsValues``), without FUSE.

Each test makes its real UTS namespace from a helper thread (``start_in_new_uts``), so this
process's own name never changes.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator

import pytest

from fakeproc import Kernel
from fakeproc.serve import NamespaceResolver, RealUts, UtsValues, start_in_new_uts
from tests.fuse.support import requires_root

pytestmark = requires_root


@pytest.fixture
def real() -> Iterator[RealUts]:
    before = socket.gethostname()
    made, _ = start_in_new_uts({"kernel.hostname": b"(none)", "kernel.domainname": b"(none)"}, lambda r: None)
    yield made
    made.close()
    assert socket.gethostname() == before


@pytest.fixture
def adopted(real: RealUts) -> Iterator[tuple[Kernel, NamespaceResolver]]:
    kernel = Kernel("6.18")
    resolver = NamespaceResolver(kernel)
    resolver.adopt_uts(real)
    yield kernel, resolver
    resolver.release_uts()


def test_a_new_namespace_has_the_names_it_was_made_with(real):
    assert real.names() == {"kernel.hostname": b"(none)", "kernel.domainname": b"(none)"}
    assert real.inode != os.stat("/proc/self/ns/uts").st_ino


def test_a_write_to_the_model_sets_the_real_name(adopted, real):
    kernel, _ = adopted
    kernel.write("kernel.hostname", "model-set\n")
    kernel.write("kernel.domainname", "dom.example")
    assert real.names() == {"kernel.hostname": b"model-set", "kernel.domainname": b"dom.example"}


def test_a_write_of_more_than_64_bytes_sets_the_64_the_handler_keeps(adopted, real):
    kernel, _ = adopted
    assert kernel.write("kernel.hostname", "h" * 70) == 70  # proc_do_uts_string drops the rest silently
    assert real.names()["kernel.hostname"] == b"h" * 64


def test_sethostname_in_the_real_namespace_is_what_the_model_reads_next(adopted, real):
    kernel, _ = adopted
    assert kernel.read("kernel.hostname") == "(none)\n"
    real.set("kernel.hostname", b"set-inside")
    assert kernel.read("kernel.hostname") == "set-inside\n"
    assert kernel.read("kernel.domainname") == "(none)\n"


def test_a_new_model_namespace_copies_the_real_name_the_parent_has_now(adopted, real):
    kernel, _ = adopted
    real.set("kernel.hostname", b"parent-now")
    child = kernel.unshare(kernel.init_ns, uts=True)
    assert kernel.read("kernel.hostname", ns=child) == "parent-now\n"


def test_releasing_keeps_the_last_real_names_in_a_plain_dict(adopted, real):
    kernel, resolver = adopted
    real.set("kernel.hostname", b"last-name")
    resolver.release_uts()
    values = kernel.init_ns.uts.values
    assert type(values) is dict and values["kernel.hostname"] == b"last-name"
    assert Kernel.from_snapshot(kernel.snapshot()).read("kernel.hostname") == "last-name\n"


def test_the_servers_own_namespace_still_maps_to_the_base_set(adopted, real):
    kernel, resolver = adopted
    assert resolver.base_inodes[2] == real.inode
    assert resolver.resolve(os.getpid()).uts is kernel.init_ns.uts


def test_a_real_namespace_that_cannot_be_entered_leaves_the_model_in_charge(real, caplog):
    values = UtsValues({}, real, {"kernel.hostname": b"(none)"})
    real.close()
    with caplog.at_level(logging.WARNING, logger="fakeproc.serve"):
        values["kernel.hostname"] = b"model-only"
        values["kernel.hostname"] = b"again"
    assert values["kernel.hostname"] == b"again"
    assert len([r for r in caplog.records if "cannot set" in r.getMessage()]) == 1
