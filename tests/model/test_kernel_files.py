"""The file API: open, read, write, stat, listdir, with procfs's permission rules."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from fakeproc import ROOT, Caller, Kernel
from fakeproc.profiles.loader import available_profiles
from tests.helpers import assert_errno

USER = Caller(uid=1000, gid=1000)


@pytest.fixture
def k() -> Kernel:
    return Kernel("6.18")


def test_read_returns_the_tab_separated_value_and_one_newline(k: Kernel) -> None:
    assert k.read("kernel.sem") == "32000\t1024000000\t500\t32000\n"
    assert k.read("/proc/sys/kernel/sem") == k.read("kernel/sem") == k.read("kernel.sem")


def test_opening_a_missing_key_fails_with_enoent_also_with_o_creat(k: Kernel) -> None:
    assert_errno(errno.ENOENT, k.open, "kernel.no_such_key")
    assert_errno(errno.ENOENT, k.open, "kernel/no_such_key", os.O_WRONLY | os.O_CREAT)


def test_root_cannot_write_a_0444_entry(k: Kernel) -> None:
    assert_errno(errno.EACCES, k.open, "kernel.ostype", os.O_WRONLY)
    assert_errno(errno.EACCES, k.write, "kernel.osrelease", "6.0")


def test_root_cannot_read_a_0200_entry(k: Kernel) -> None:
    assert_errno(errno.EACCES, k.open, "vm.drop_caches", os.O_RDONLY)
    assert k.open("vm.drop_caches", os.O_WRONLY) is not None


def test_non_root_reads_0644_but_cannot_write_it(k: Kernel) -> None:
    assert k.read("vm.swappiness", caller=USER) == "60\n"
    assert_errno(errno.EACCES, k.write, "vm.swappiness", "10", caller=USER)


def test_non_root_cannot_read_a_0600_entry(k: Kernel) -> None:
    assert_errno(errno.EACCES, k.read, "kernel.usermodehelper.bset", caller=USER)


def test_root_of_a_user_ns_owning_the_ipc_ns_may_write_kernel_sem(k: Kernel) -> None:
    container = k.unshare(k.init_ns, user=True, ipc=True, uts=True, owner_uid=100000, owner_gid=100000)
    inside_root = Caller(uid=100000, gid=100000, user_ns=container.user, caps=None)
    k.write("kernel.sem", "100 200 300 400", ns=container, caller=inside_root)
    assert k.read("kernel.sem", ns=container) == "100\t200\t300\t400\n"
    # UTS entries have no ownership hook: only global root may open them for writing.
    assert_errno(errno.EACCES, k.write, "kernel.hostname", "x", ns=container, caller=inside_root)
    # Global entries stay read-only for it.
    assert_errno(errno.EACCES, k.write, "vm.swappiness", "1", ns=container, caller=inside_root)


def test_stat_shows_size_zero_one_link_and_the_registered_mode(k: Kernel) -> None:
    st = k.stat("kernel/sem")
    assert (st.is_dir, st.size, st.nlink, st.uid, st.gid) == (False, 0, 1, 0, 0)
    assert st.mode == stat.S_IFREG | 0o644
    assert k.stat("vm/drop_caches").mode == stat.S_IFREG | 0o200
    assert k.stat("kernel").mode == stat.S_IFDIR | 0o555
    assert k.stat("").is_dir
    assert_errno(errno.ENOENT, k.stat, "kernel/nope")


def test_ipc_entries_of_a_user_owned_ipc_ns_belong_to_its_root(k: Kernel) -> None:
    container = k.unshare(k.init_ns, user=True, ipc=True, owner_uid=100000, owner_gid=100001)
    st = k.stat("kernel/sem", ns=container)
    assert (st.uid, st.gid) == (100000, 100001)
    assert (k.stat("kernel/hostname", ns=container).uid) == 0


def test_listdir_is_sorted_and_directories_cannot_be_written(k: Kernel) -> None:
    top = k.listdir("")
    assert top == sorted(top) and {"kernel", "net", "vm", "fs"} <= set(top)
    assert_errno(errno.EISDIR, k.open, "kernel", os.O_WRONLY)
    d = k.open("/proc/sys/kernel", os.O_RDONLY)
    assert_errno(errno.EISDIR, d.read, 100, 0)
    assert_errno(errno.ENOTDIR, k.listdir, "kernel/sem")


def test_read_or_write_of_4_mib_or_more_fails_with_enomem(k: Kernel) -> None:
    f = k.open("kernel.sem", os.O_RDWR)
    assert_errno(errno.ENOMEM, f.read, 1 << 22, 0)
    assert_errno(errno.ENOMEM, f.write, b"1" * (1 << 22), 0)
    assert f.read((1 << 22) - 1, 0) == b"32000\t1024000000\t500\t32000\n"


def test_kernel_sem_semmni_out_of_range_is_erange_and_keeps_the_first_fields(k: Kernel) -> None:
    assert_errno(errno.ERANGE, k.write, "kernel.sem", "1 2 3 40000")
    assert k.read("kernel.sem") == "1\t2\t3\t32000\n"


def test_every_write_is_logged_with_its_result(k: Kernel) -> None:
    pod = k.unshare(k.init_ns, ipc=True)
    k.write("kernel.sem", "1 2 3 4", ns=pod, caller=Caller(pid=42, comm="sysctl"))
    assert_errno(errno.EINVAL, k.write, "vm.swappiness", "abc")
    first, second = list(k.write_log)
    assert (first.key, first.data, first.pid, first.comm, first.count, first.errno) == (
        "kernel.sem", b"1 2 3 4", 42, "sysctl", 7, 0)
    assert first.namespaces["ipc"] == pod.ipc.id
    assert (second.key, second.count, second.errno) == ("vm.swappiness", 0, errno.EINVAL)


def test_set_writes_like_echo_including_the_newline(k: Kernel) -> None:
    k.set("kernel.domainname", "example.org")
    assert k.read("kernel.domainname") == "example.org\n"
    assert list(k.write_log)[-1].data == b"example.org\n"


def test_snapshot_round_trip_keeps_values_namespaces_and_attachments(k: Kernel, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pod = k.unshare(k.init_ns, ipc=True, net=True, uts=True, label="pod/x")
    k.write("kernel.sem", "1 2 3 4", ns=pod)
    k.write("kernel.hostname", "web-0", ns=pod)
    k.write("net.ipv4.ip_local_reserved_ports", "8080,9000-9010")
    k.attachments["note"] = {"a": 1}
    path = tmp_path / "state.json"
    k.save(path)
    k2 = Kernel.load(path)
    pod2 = k2.namespace_by_label("pod/x")
    assert pod2 is not None
    assert k2.read("kernel.sem", ns=pod2) == "1\t2\t3\t4\n"
    assert k2.read("kernel.hostname", ns=pod2) == "web-0\n"
    assert k2.read("net.ipv4.ip_local_reserved_ports") == "8080,9000-9010\n"
    assert k2.read("kernel.sem") == "32000\t1024000000\t500\t32000\n"
    assert k2.attachments == {"note": {"a": 1}}
    assert k2.snapshot() == k.snapshot()


def test_reboot_restores_boot_values_and_drops_namespaces(k: Kernel) -> None:
    k.write("vm.swappiness", "5")
    pod = k.unshare(k.init_ns, ipc=True, label="pod")
    k.reboot()
    assert k.read("vm.swappiness") == "60\n"
    assert k.namespace_by_label("pod") is None
    assert pod.ipc.id not in {ns.id for ns in k.namespaces()}


def test_writes_strict_zero_makes_offset_writes_parse_again(k: Kernel) -> None:
    f = k.open("vm.swappiness", os.O_WRONLY)
    assert f.write(b"7", 5) == 1
    assert k.read("vm.swappiness") == "60\n"
    k.write("kernel.sysctl_writes_strict", "-1")
    f.write(b"7", 5)
    assert k.read("vm.swappiness") == "7\n"


def test_root_default_caller_is_root() -> None:
    assert ROOT.uid == 0 and ROOT.has_cap("CAP_SYS_ADMIN")


def test_chmod_and_chown_fail_with_eperm_even_for_root(k: Kernel) -> None:
    assert_errno(errno.EPERM, k.chmod, "kernel/sem", 0o600)
    assert_errno(errno.EPERM, k.chown, "kernel/sem", 1000, 1000)
    assert_errno(errno.ENOENT, k.chmod, "kernel/nope", 0o600)


def test_reboot_keeps_the_initial_namespace_objects_for_live_holders(k: Kernel) -> None:
    init = k.init_ns
    k.write("kernel.sem", "1 2 3 4")
    k.write("net.ipv4.conf.eth0.rp_filter", "2")
    k.reboot()
    assert k.init_ns is init and k.generation == 1
    assert k.read("kernel.sem", ns=init) == "32000\t1024000000\t500\t32000\n"
    assert k.read("net.ipv4.conf.eth0.rp_filter") == "0\n"
    assert k.listdir("net/ipv4/conf") == ["all", "default", "eth0", "ifb0", "ifb1", "lo"]


def test_a_template_key_itself_is_not_a_file(k: Kernel) -> None:
    assert_errno(errno.ENOENT, k.write, "net.ipv4.conf.<dev>.rp_filter", "1")
    assert_errno(errno.ENOENT, k.read, "net.ipv4.conf.<dev>.rp_filter")


def test_tcp_reordering_max_follows_the_namespaces_tcp_max_reordering(k: Kernel) -> None:
    ns = k.unshare(k.init_ns, net=True)
    assert_errno(errno.EINVAL, k.write, "net.ipv4.tcp_reordering", "400", ns=ns)
    k.write("net.ipv4.tcp_max_reordering", "500", ns=ns)
    k.write("net.ipv4.tcp_reordering", "400", ns=ns)
    k.write("net.ipv4.tcp_max_reordering", "100", ns=ns)
    assert_errno(errno.EINVAL, k.write, "net.ipv4.tcp_reordering", "200", ns=ns)


def test_ipfrag_thresholds_bound_each_other(k: Kernel) -> None:
    ns = k.unshare(k.init_ns, net=True)
    assert_errno(errno.EINVAL, k.write, "net.ipv4.ipfrag_low_thresh", "5000000", ns=ns)
    k.write("net.ipv4.ipfrag_high_thresh", "6000000", ns=ns)
    k.write("net.ipv4.ipfrag_low_thresh", "5000000", ns=ns)
    assert_errno(errno.EINVAL, k.write, "net.ipv4.ipfrag_high_thresh", "4000000", ns=ns)


def test_stable_privacy_addr_gen_mode_on_a_device_needs_a_stable_secret(k: Kernel) -> None:
    ns = k.unshare(k.init_ns, net=True)
    assert_errno(errno.EINVAL, k.write, "net.ipv6.conf.lo.addr_gen_mode", "2", ns=ns)
    k.write("net.ipv6.conf.default.addr_gen_mode", "2", ns=ns)
    k.write("net.ipv6.conf.lo.stable_secret", "2001:db8::1", ns=ns)
    k.write("net.ipv6.conf.lo.addr_gen_mode", "2", ns=ns)
    assert k.read("net.ipv6.conf.lo.addr_gen_mode", ns=ns) == "2\n"


@pytest.mark.parametrize("profile", available_profiles())
def test_fs_binfmt_misc_is_an_empty_read_only_directory(profile: str) -> None:
    # A sysctl mount point (fs/binfmt_misc.c; kernel/sysctl.c fs_table before 6.x): 0555, empty.
    k = Kernel(profile)
    assert "binfmt_misc" in k.listdir("fs")
    assert k.listdir("fs/binfmt_misc") == []
    assert k.stat("fs/binfmt_misc").mode == 0o40555


def test_listdir_stat_is_listdir_with_each_names_stat_in_every_set_and_follows_devices(k: Kernel) -> None:
    child = k.unshare(k.init_ns, ipc=True, net=True, uts=True)
    owned = k.unshare(k.init_ns, user=True, net=True, ipc=True, owner_uid=1000, owner_gid=1000)
    for ns in (k.init_ns, child, owned):
        dirs = [""]
        while dirs:
            d = dirs.pop()
            listed = k.listdir_stat(d, ns)
            assert [name for name, _st in listed] == k.listdir(d, ns)
            for name, st in listed:
                path = f"{d}/{name}" if d else name
                assert st == k.stat(path, ns), path
                if st is not None and st.is_dir:
                    dirs.append(path)
    assert k.listdir_stat("net/ipv4/conf", child) == k.listdir_stat("net/ipv4/conf", child)  # remembered
    k.add_device(child, "veth0")
    assert "veth0" in [name for name, _st in k.listdir_stat("net/ipv4/conf", child)]
    assert "veth0" not in [name for name, _st in k.listdir_stat("net/ipv4/conf", k.init_ns)]
    assert_errno(errno.ENOTDIR, k.listdir_stat, "kernel/sem")
    assert_errno(errno.ENOENT, k.listdir_stat, "kernel/nosuch")
    k.reboot()
    assert [name for name, _st in k.listdir_stat("net/ipv4/conf", k.init_ns)] == k.listdir("net/ipv4/conf")
