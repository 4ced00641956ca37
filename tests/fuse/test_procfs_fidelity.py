"""Through the mount, files behave as procfs's do: attributes, open-time errors, offsets, errnos."""

from __future__ import annotations

import errno
import os
import stat
import subprocess

import pytest

from tests.fuse.support import requires_fuse, requires_root, requires_tool, sh
from tests.helpers import assert_errno

pytestmark = requires_fuse


def p(mount, rel: str) -> str:
    return os.path.join(mount.path, rel)


def test_file_stat_is_size_zero_one_link_root_owned(mount):
    st = os.stat(p(mount, "kernel/sem"))
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644
    assert (st.st_size, st.st_nlink, st.st_uid, st.st_gid, st.st_blocks) == (0, 1, 0, 0, 0)
    assert stat.S_IMODE(os.stat(p(mount, "kernel/ostype")).st_mode) == 0o444
    assert stat.S_IMODE(os.stat(p(mount, "vm/drop_caches")).st_mode) == 0o200


def test_directory_stat_is_0555_with_one_link(mount):
    for rel in ("", "kernel", "net/ipv4"):
        st = os.stat(p(mount, rel))
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o555
        assert (st.st_nlink, st.st_uid, st.st_gid) == (1, 0, 0)


@requires_tool("ls")
def test_readdir_yields_dot_and_dotdot_first_then_sorted_names(mount):
    for rel in ("", "kernel", "net/ipv4/conf"):
        names = subprocess.run(["ls", "-f", "-a", p(mount, rel)], capture_output=True, text=True, check=True)
        listed = names.stdout.split("\n")[:-1]
        assert listed[:2] == [".", ".."]
        assert listed[2:] == sorted(listed[2:], key=os.fsencode)
        assert listed[2:] == mount.kernel.listdir(rel)


def test_open_of_a_missing_key_is_enoent_also_with_o_creat(mount):
    for flags in (os.O_RDONLY, os.O_WRONLY, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, os.O_RDWR | os.O_CREAT):
        assert_errno(errno.ENOENT, os.open, p(mount, "kernel/no_such_key"), flags, 0o644)
    assert not os.path.exists(p(mount, "kernel/no_such_key"))


def test_open_of_0444_for_writing_is_eacces_at_open_even_for_root(mount):
    assert_errno(errno.EACCES, os.open, p(mount, "kernel/ostype"), os.O_WRONLY)
    assert_errno(errno.EACCES, os.open, p(mount, "kernel/ostype"), os.O_RDWR)
    fd = os.open(p(mount, "kernel/ostype"), os.O_RDONLY)
    os.close(fd)


def test_open_of_0200_for_reading_is_eacces_at_open(mount):
    assert_errno(errno.EACCES, os.open, p(mount, "vm/drop_caches"), os.O_RDONLY)
    fd = os.open(p(mount, "vm/drop_caches"), os.O_WRONLY)
    os.close(fd)


def test_read_of_a_directory_is_eisdir(mount):
    fd = os.open(p(mount, "kernel"), os.O_RDONLY)
    try:
        assert_errno(errno.EISDIR, os.read, fd, 100)
    finally:
        os.close(fd)
    assert_errno(errno.EISDIR, os.open, p(mount, "kernel"), os.O_WRONLY)


def test_chmod_and_chown_are_eperm(mount):
    assert_errno(errno.EPERM, os.chmod, p(mount, "kernel/sem"), 0o600)
    assert_errno(errno.EPERM, os.chown, p(mount, "kernel/sem"), 1, 1)
    assert_errno(errno.EPERM, os.chmod, p(mount, "kernel"), 0o755)


def test_creating_or_renaming_is_enoent_and_removing_is_eacces(mount):
    assert_errno(errno.ENOENT, os.mkdir, p(mount, "kernel/newdir"))
    assert_errno(errno.ENOENT, os.symlink, "x", p(mount, "kernel/newlink"))
    assert_errno(errno.EACCES, os.unlink, p(mount, "kernel/sem"))
    assert_errno(errno.EACCES, os.rmdir, p(mount, "kernel/random"))
    # rename() to a missing name inside /proc/sys is ENOENT on the real kernel (6.18: proc_sys_lookup
    # fails); between two existing names it is EACCES (may_delete on the 0555 directory).
    assert_errno(errno.ENOENT, os.rename, p(mount, "kernel/sem"), p(mount, "kernel/sem2"))
    assert_errno(errno.EACCES, os.rename, p(mount, "kernel/sem"), p(mount, "kernel/msgmax"))
    assert os.path.exists(p(mount, "kernel/sem"))


@pytest.mark.parametrize("rel", ["kernel", "kernel/ostype", "vm/swappiness"])
def test_listxattr_is_empty_and_getxattr_is_eopnotsupp_as_on_the_real_proc_sys(mount, rel):
    assert os.listxattr(p(mount, rel)) == os.listxattr(f"/proc/sys/{rel}") == []
    assert_errno(errno.EOPNOTSUPP, os.getxattr, p(mount, rel), "user.x")
    assert_errno(errno.EOPNOTSUPP, os.getxattr, f"/proc/sys/{rel}", "user.x")


def test_setxattr_on_a_directory_is_eacces_and_on_a_writable_file_eopnotsupp(mount):
    assert_errno(errno.EACCES, os.setxattr, p(mount, "kernel"), "user.x", b"1")
    assert_errno(errno.EOPNOTSUPP, os.setxattr, p(mount, "vm/swappiness"), "user.x", b"1")


def test_an_append_writes_at_offset_zero_as_procfs_files_have_size_zero(mount):
    done = mount.run(
        ["sh", "-c", ("echo 60 > /proc/sys/vm/swappiness; echo 5 >> /proc/sys/vm/swappiness; "
                      "cat /proc/sys/vm/swappiness")],
        capture_output=True, text=True, timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "5\n", "")
    assert mount.kernel.read("vm.swappiness") == "5\n"



def test_access_refuses_execute_on_files_and_write_on_0444(mount):
    assert os.access(p(mount, "kernel/sem"), os.R_OK | os.W_OK)
    assert not os.access(p(mount, "kernel/sem"), os.X_OK)
    assert not os.access(p(mount, "kernel/ostype"), os.W_OK)
    assert os.access(p(mount, "kernel"), os.R_OK | os.X_OK)
    assert not os.access(p(mount, "kernel"), os.W_OK)


def test_fsync_is_einval_as_on_procfs(mount):
    fd = os.open(p(mount, "kernel/sem"), os.O_RDONLY)
    try:
        assert_errno(errno.EINVAL, os.fsync, fd)
    finally:
        os.close(fd)


def test_reads_honour_the_file_offset(mount):
    fd = os.open(p(mount, "kernel/ostype"), os.O_RDONLY)
    try:
        assert os.pread(fd, 3, 2) == b"nux"
        assert os.pread(fd, 100, 2) == b"nux\n"
        assert os.pread(fd, 100, 6) == b""
        assert os.read(fd, 2) == b"Li"
        assert os.read(fd, 100) == b"nux\n"
        assert os.read(fd, 100) == b""
    finally:
        os.close(fd)


def test_values_match_the_model_byte_for_byte(mount):
    for key in (
        "kernel.sem",
        "net.ipv4.tcp_rmem",
        "kernel.printk",
        "net.ipv4.ip_local_port_range",
        "kernel.ostype",
    ):
        with open(p(mount, key.replace(".", "/")), "rb") as f:
            assert f.read() == mount.kernel.read(key).encode()


def test_a_write_is_visible_to_the_very_next_read_from_another_process(mount):
    path = p(mount, "kernel/domainname")
    for value in ("a-much-longer-domain-name-than-before", "x", "medium.example"):
        with open(path, "w") as f:
            f.write(value + "\n")
        out = subprocess.run(["cat", path], capture_output=True, text=True, check=True).stdout
        assert out == value + "\n"


def test_model_errnos_reach_the_caller_unchanged(mount):
    def write(rel: str, data: bytes) -> int:
        fd = os.open(p(mount, rel), os.O_WRONLY)
        try:
            return os.write(fd, data)
        finally:
            os.close(fd)

    assert_errno(errno.EINVAL, write, "vm/swappiness", b"abc\n")
    assert_errno(errno.EINVAL, write, "vm/swappiness", b"201\n")
    assert_errno(errno.ERANGE, write, "kernel/sem", b"1 2 3 99999999\n")
    assert mount.kernel.read("vm.swappiness") == "60\n"

    def read_secret() -> bytes:
        with open(p(mount, "net/ipv6/conf/lo/stable_secret"), "rb") as f:
            return f.read()

    assert_errno(errno.EIO, read_secret)


@requires_root
@requires_tool("setpriv")
def test_eperm_from_a_handler_reaches_an_unprivileged_writer(mount):
    done = sh(
        mount,
        "setpriv --reuid=65534 --regid=65534 --clear-groups "
        "sh -c 'echo 5 | dd of=/proc/sys/kernel/ns_last_pid' 2>&1; echo rc=$?",
    )
    assert "Operation not permitted" in done.stdout and "rc=1" in done.stdout
    # 0644 is read-only for others: the write is refused at open.
    done = sh(
        mount,
        "setpriv --reuid=65534 --regid=65534 --clear-groups "
        "sh -c 'echo 1 > /proc/sys/vm/swappiness' 2>&1; cat /proc/sys/vm/swappiness",
    )
    assert "Permission denied" in done.stdout and done.stdout.endswith("60\n")


def test_a_short_write_is_passed_on_as_short(mount):
    # proc_do_large_bitmap consumes at most PAGE_SIZE-1 bytes per write(2).
    data = ",".join(str(n) for n in range(1000, 9000, 2)).encode() + b"\n"
    assert len(data) > 4096
    fd = os.open(p(mount, "net/ipv4/ip_local_reserved_ports"), os.O_WRONLY)
    try:
        count = os.write(fd, data)
    finally:
        os.close(fd)
    assert 0 < count < len(data)
    assert count <= 4095


def test_truncate_is_accepted_and_ignored_but_needs_write_permission(mount):
    os.truncate(p(mount, "kernel/domainname"), 0)
    assert mount.kernel.read("kernel.domainname") == "(none)\n"
    assert_errno(errno.EACCES, os.truncate, p(mount, "kernel/ostype"), 0)


def test_writes_are_logged_with_the_real_writer_pid_and_comm(mount):
    done = sh(mount, "echo 42 > /proc/sys/vm/swappiness; echo $$")
    record = mount.kernel.write_log[-1]
    assert (record.key, record.data, record.pos, record.errno) == ("vm.swappiness", b"42\n", 0, 0)
    assert record.pid == int(done.stdout) and record.comm == "sh"


def test_flush_requests_are_not_sent_after_the_first(mount):
    for _ in range(5):
        with open(p(mount, "kernel/sem"), "rb") as f:
            f.read()
    assert mount.server.ops.counts.get("flush", 0) == 0
    assert mount.server.ops.counts["open"] >= 5


@pytest.mark.parametrize("rel", ["kernel/sem", "kernel"])
def test_utimens_is_accepted_for_root(mount, rel):
    os.utime(p(mount, rel), None)
