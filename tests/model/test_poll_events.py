"""``SysctlFile.poll`` is ``proc_sys_poll`` (fs/proc/proc_sysctl.c): the event count is taken at
open, a change notified since is reported once, and only the entries with ``.poll`` ever change."""

from __future__ import annotations

import errno
import os
import select

import pytest

from fakeproc import Kernel
from fakeproc.model.polls import CHANGED_POLLMASK, DEFAULT_POLLMASK, GONE_POLLMASK, POLLABLE
from fakeproc.profiles import available_profiles

DEFAULT = select.POLLIN | select.POLLOUT | select.POLLRDNORM | select.POLLWRNORM
CHANGED = select.POLLIN | select.POLLRDNORM | select.POLLERR | select.POLLPRI


def test_the_masks_are_the_kernels():
    assert (DEFAULT_POLLMASK, CHANGED_POLLMASK, GONE_POLLMASK) == (
        DEFAULT, CHANGED, select.POLLERR | select.POLLHUP)


@pytest.mark.parametrize("profile", available_profiles())
def test_every_profile_has_the_pollable_entries_as_uts_strings(profile):
    k = Kernel(profile)
    for key in POLLABLE:
        spec = k.spec(key)
        assert (spec.handler, spec.namespace.value) == ("proc_do_uts_string", "uts")


@pytest.fixture
def k() -> Kernel:
    return Kernel("6.18")


@pytest.mark.parametrize(
    ("change", "hostname_sees", "domainname_sees"),
    [
        ("nothing", DEFAULT, DEFAULT),
        ("write hostname", CHANGED, DEFAULT),
        ("write domainname", DEFAULT, CHANGED),
        ("write the same hostname", CHANGED, DEFAULT),  # proc_do_uts_string notifies every write
        ("write zero bytes", CHANGED, DEFAULT),
        ("write hostname in another uts namespace", CHANGED, DEFAULT),  # one counter for all
        ("write an unrelated entry", DEFAULT, DEFAULT),
        ("notify hostname", CHANGED, DEFAULT),  # sethostname: uts_proc_notify
    ],
)
def test_a_change_is_reported_once_to_each_file_opened_before_it(k, change, hostname_sees, domainname_sees):
    host, dom = k.open("kernel.hostname"), k.open("kernel.domainname")
    child = k.unshare(k.init_ns, uts=True)
    {
        "nothing": lambda: None,
        "write hostname": lambda: k.write("kernel.hostname", "a"),
        "write domainname": lambda: k.write("kernel.domainname", "b"),
        "write the same hostname": lambda: k.write("kernel.hostname", k.read("kernel.hostname")),
        "write zero bytes": lambda: k.open("kernel.hostname", os.O_WRONLY).write(b""),
        "write hostname in another uts namespace": lambda: k.write("kernel.hostname", "c", ns=child),
        "write an unrelated entry": lambda: k.write("vm.swappiness", "1"),
        "notify hostname": lambda: k.polls.notify("kernel.hostname"),
    }[change]()
    assert (host.poll(), dom.poll()) == (hostname_sees, domainname_sees)
    assert (host.poll(), dom.poll()) == (DEFAULT, DEFAULT)  # the first poll took the change up
    assert k.open("kernel.hostname").poll() == DEFAULT  # a file opened after it never sees it


def test_a_refused_open_or_write_notifies_nothing(k):
    from fakeproc.model import Caller

    host = k.open("kernel.hostname")
    with pytest.raises(OSError) as refused:
        k.open("kernel.hostname", os.O_WRONLY, caller=Caller(uid=1000, gid=1000))
    assert refused.value.errno == errno.EACCES
    with pytest.raises(OSError) as refused:
        k.open("kernel.hostname", os.O_RDONLY).write(b"x")  # never reaches the handler
    assert refused.value.errno == errno.EBADF
    assert host.poll() == DEFAULT


def test_copies_of_one_open_file_share_what_it_saw(k):
    host = k.open("kernel.hostname")
    k.write("kernel.hostname", "a")
    k.write("kernel.hostname", "b")
    assert [host.poll(), host.poll()] == [CHANGED, DEFAULT]  # two changes, one report


def test_entries_without_poll_and_directories_report_the_default_and_a_gone_entry_err_hup(k):
    k.add_device(k.init_ns, "veth9")
    dev = k.open("net.ipv4.conf.veth9.forwarding")
    assert [k.open("vm.swappiness").poll(), k.open("/proc/sys/kernel").poll(), dev.poll()] == [DEFAULT] * 3
    k.reboot()  # veth9 is gone: proc_sys_poll's grab_header fails
    assert dev.poll() == GONE_POLLMASK


def test_listeners_hear_each_notification_until_they_stop(k):
    heard: list[str] = []
    stop = k.polls.subscribe(heard.append)
    k.write("kernel.domainname", "x")
    k.write("vm.swappiness", "3")
    k.polls.notify("kernel.hostname")
    k.polls.notify("vm.swappiness")  # no .poll: nothing
    stop()
    k.write("kernel.hostname", "y")
    assert heard == ["kernel.domainname", "kernel.hostname"]
