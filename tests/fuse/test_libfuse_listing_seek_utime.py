"""Listings' inode numbers, SEEK_DATA/SEEK_HOLE and utime "now" answer as procfs under each libfuse.

These three once differed under libfuse2 (its high-level API gives readdir entries no inode
number without ``use_ino``, has no lseek operation, and turns "now" into explicit times without
``flag_utime_omit_ok``); libfuse3 listed '.' and '..' without a number until it had ``use_ino``
too. This file runs in the test process (libfuse3 where installed) and, through
``tests/fuse/test_libfuse.py``, once more with ``FAKEPROC_LIBFUSE=2``. The real kernel's answers
are in ``tests/fidelity/test_syscalls_backends.py`` (``REAL``, measured on 6.18 with its probe).
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

import pytest

from tests.fuse.support import requires_root

LIBC = ctypes.CDLL(None, use_errno=True)
NR_GETDENTS64 = 217  # x86_64
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
DIRECTORIES = ("kernel", "net/ipv4/conf/lo", "fs/inotify", "vm")


def listing(path: str) -> list[tuple[str, int]]:
    """``(name, d_ino)`` of every entry, from getdents64 itself (os.scandir hides '.' and '..')."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    entries = []
    try:
        buf = ctypes.create_string_buffer(65536)
        while (n := LIBC.syscall(NR_GETDENTS64, fd, buf, 65536)) > 0:
            offset = 0
            while offset < n:
                ino, _d_off, reclen, _d_type = struct.unpack_from("<QqHB", buf.raw, offset)
                entries.append((buf.raw[offset + 19 : offset + reclen].split(b"\0", 1)[0].decode(), ino))
                offset += reclen
        assert n == 0, os.strerror(ctypes.get_errno())
    finally:
        os.close(fd)
    return entries


@pytest.mark.parametrize("rel", DIRECTORIES)
def test_each_name_a_listing_gives_has_the_d_ino_its_stat_gives(mount, rel):
    where = os.path.join(mount.path, rel)
    names = listing(where)[2:]
    assert len(names) > 2
    assert {name: ino for name, ino in names} == {name: os.lstat(os.path.join(where, name)).st_ino for name, _ in names}
    # Listed before any lookup of the names too (a fresh directory of a fresh session).
    assert len({ino for _name, ino in names}) == len(names)


def test_the_listing_of_the_root_gives_each_name_its_st_ino_before_any_stat(mount):
    names = listing(mount.path)[2:]
    assert [name for name, _ino in names][:3] == ["abi", "debug", "dev"]
    assert [ino for _name, ino in names] == [os.lstat(os.path.join(mount.path, name)).st_ino for name, _ in names]


@pytest.mark.parametrize("rel", DIRECTORIES)
def test_dot_and_dotdot_list_the_directory_and_its_parent(mount, rel):
    where = os.path.join(mount.path, rel)
    # procfs: dir_emit_dots gives the directory's and its parent's inode numbers.
    assert listing(where)[:2] == [(".", os.stat(where).st_ino), ("..", os.stat(os.path.dirname(where)).st_ino)]


def test_the_root_is_inode_1_and_its_dotdot_lists_as_proc(mount):
    """The mount's root is inode 1 (FUSE_ROOT_ID); procfs's /proc, the '..' of /proc/sys, is 1 too
    (PROC_ROOT_INO), so '..' of the mount's root lists as /proc's number where it is bound there."""
    assert os.stat(mount.path).st_ino == 1
    assert listing(mount.path)[:2] == [(".", 1), ("..", 1)]


def test_inode_numbers_stay_for_the_session(mount):
    where = os.path.join(mount.path, "kernel")
    first = listing(where)
    assert [os.lstat(os.path.join(where, name)).st_ino for name, _ in first[2:]] == [ino for _, ino in first[2:]]
    assert listing(where)[2:] == first[2:]


# lseek(SEEK_DATA/SEEK_HOLE) on a sysctl file: procfs's default_llseek on a file of size 0.
SEEKS = [
    (os.SEEK_DATA, -1, errno.EINVAL),
    (os.SEEK_DATA, 0, errno.ENXIO),
    (os.SEEK_DATA, 5, errno.ENXIO),
    (os.SEEK_DATA, 1 << 62, errno.ENXIO),
    (os.SEEK_HOLE, -1, 0),
    (os.SEEK_HOLE, 0, errno.ENXIO),
    (os.SEEK_HOLE, 5, errno.ENXIO),
    (os.SEEK_HOLE, 1 << 62, errno.ENXIO),
]


def seek(fd: int, offset: int, whence: int) -> int:
    """The result, or the errno as a negative number (so both compare in one list)."""
    try:
        return os.lseek(fd, offset, whence)
    except OSError as e:
        return -e.errno


def test_seek_data_and_hole_answer_as_procfs_every_time(mount):
    fd = os.open(os.path.join(mount.path, "kernel/msgmax"), os.O_RDONLY)
    try:
        before = mount.server.ops.counts.get("lseek", 0)
        expected = [answer if whence == os.SEEK_HOLE and offset < 0 else -answer for whence, offset, answer in SEEKS]
        # Twice: a server without FUSE_LSEEK would make the kernel answer the second round itself.
        assert [seek(fd, offset, whence) for whence, offset, _ in SEEKS] == expected
        assert [seek(fd, offset, whence) for whence, offset, _ in SEEKS] == expected
        assert mount.server.ops.counts["lseek"] - before == 2 * len(SEEKS)  # the server answered each
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0  # SEEK_HOLE at -1 moved to the end: 0
    finally:
        os.close(fd)


def utimensat(path: str, atime_nsec: int, mtime_nsec: int) -> None:
    times = (ctypes.c_long * 4)(0, atime_nsec, 0, mtime_nsec)
    if LIBC.utimensat(-100, path.encode(), times, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


UTIMES = {
    # name: (path in the mount, how), answered by a caller who owns nothing (uid/gid 65534)
    "now_0644": ("kernel/msgmax", lambda path: os.utime(path, None)),
    "now_0444": ("kernel/ostype", lambda path: os.utime(path, None)),
    "now_directory": ("kernel", lambda path: os.utime(path, None)),
    "both_utime_now": ("kernel/msgmax", lambda path: utimensat(path, UTIME_NOW, UTIME_NOW)),
    "explicit_0644": ("kernel/msgmax", lambda path: os.utime(path, (1, 2))),
    "atime_now_mtime_omit": ("kernel/msgmax", lambda path: utimensat(path, UTIME_NOW, UTIME_OMIT)),
}


def as_nobody(mount, calls: dict) -> dict[str, str]:
    """Each call's errno name (or 'ok') in a child with uid and gid 65534 and no groups; its cwd is
    the mount's root, so the paths are relative and no directory above the mount is searched."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # only system calls in the child: it has no FUSE thread and must not wait on one
        answers = []
        try:
            os.close(r)
            os.chdir(mount.path)
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            for name, (rel, how) in calls.items():
                try:
                    how(rel)
                    answers.append(f"{name}=ok")
                except OSError as e:
                    answers.append(f"{name}={errno.errorcode[e.errno]}")
            os.write(w, " ".join(answers).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read().decode()
    os.waitpid(pid, 0)
    return dict(pair.split("=") for pair in data.split())


@requires_root
def test_utime_now_by_a_non_owner_asks_for_write_access_and_explicit_times_for_ownership(mount):
    assert as_nobody(mount, UTIMES) == {
        "now_0644": "EACCES",  # both "now": write permission (setattr_prepare, ATTR_TOUCH)
        "now_0444": "EACCES",
        "now_directory": "EACCES",
        "both_utime_now": "EACCES",  # do_utimes makes {UTIME_NOW, UTIME_NOW} a NULL times
        "explicit_0644": "EPERM",  # explicit times: the owner only (ATTR_TIMES_SET)
        "atime_now_mtime_omit": "EPERM",  # one "now": an explicit change too (vfs_utimes)
    }


def test_utime_by_root_is_accepted_however_given(mount):
    path = os.path.join(mount.path, "kernel/msgmax")
    os.utime(path, None)
    os.utime(path, (1, 2))
    utimensat(path, UTIME_NOW, UTIME_OMIT)
    utimensat(path, UTIME_OMIT, UTIME_NOW)
    utimensat(path, UTIME_NOW, UTIME_NOW)
