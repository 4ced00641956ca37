"""Every file syscall on /proc/sys answers as Linux 6.18 does, through every way in.

``_probe.py`` makes about 300 calls (open flags, offsets, vectors, seeks, locks, metadata, names,
stat/statx, directories) and prints each answer (``ok:<value>`` or ``err:<ERRNO>``). It runs once
per backend, from inside throwaway IPC, net, UTS and pid namespaces (so that its writes to
``kernel/msgmax``, ``kernel/sem`` and ``kernel/hostname`` land in namespaces the run owns, and the
calls the seccomp backend lets through reach only those namespaces' entries on the host):

* ``mount``: the FUSE mount bound over /proc/sys (``fakeproc.mounted().run``, what ``fakeproc run
  --backend namespaces`` does);
* ``seccomp``: ``fakeproc run --backend seccomp`` (``run_redirected`` over a mount of the kernel);
* ``emulated``: ``fakeproc run --backend emulated`` (``run_emulated``);
* ``mount-libfuse2``: the mount again, served over libfuse2 (``FAKEPROC_LIBFUSE=2``, in a process of
  its own); skipped where libfuse2 is not installed. It shares the mount's divergences.

:data:`REAL` is what the real kernel answered (6.18.44, the same probe in throwaway namespaces);
``test_the_table_is_what_this_kernel_answers`` measures it again where that is safe.
:data:`DIVERGES` lists where a backend answers otherwise: ``Documented`` divergences (FUSE or the
VFS decides before the server sees the call; docs/mount.md "Known differences") assert fakeproc's
documented answer, and ``Lead`` entries are open bugs in files this change does not own, marked
``xfail(strict=True)`` with the file and what decides the kernel's answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import pytest

from tests.fuse.support import FUSE_OK, FUSE_WHY

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_probe.py")
BACKENDS = ("mount", "seccomp", "emulated", "mount-libfuse2")
#: The FUSE mount served over libfuse2 (FAKEPROC_LIBFUSE=2, in a process of its own: one process
#: loads one libfuse). Its divergences are the mount's unless it has its own entry in DIVERGES.
LIBFUSE2 = "mount-libfuse2"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs root and unshare(1): the probe runs in throwaway namespaces and as uid 65534",
)


@dataclass(frozen=True)
class Documented:
    """fakeproc's answer where it cannot be the kernel's (see docs/mount.md)."""

    answer: str
    why: str


@dataclass(frozen=True)
class Lead:
    """An open divergence in a file owned elsewhere: the test is ``xfail(strict=True)``."""

    owner: str
    why: str


# The real kernel's answers (Linux 6.18.44, the probe in throwaway ipc/net/uts namespaces).
REAL = {
    'access_w_dir': 'ok:False',
    'access_w_plain_0644': 'ok:False',
    'access_x_dir_plain': 'ok:True',
    'access_x_file': 'ok:False',
    'chdir_into_and_read_relative': "ok:b'Linux\\n'",
    'chdir_into_file': 'err:ENOTDIR',
    'chdir_plain_into_directory': 'ok:None',
    'chmod_directory': 'err:EPERM',
    'chmod_plain_file': 'err:EPERM',
    'chmod_same_mode': 'err:EPERM',
    'chown_directory_minus_one': 'ok:None',
    'chown_directory_same_owner': 'err:EPERM',
    'chown_minus_one': 'ok:None',
    'chown_plain_minus_one': 'ok:None',
    'chown_plain_same_owner': 'err:EPERM',
    'chown_same_owner': 'err:EPERM',
    'copy_file_range_to_pipe_file': 'err:EXDEV',
    'dotdot_of_procsys_root': 'ok:([], True)',
    'dup_shares_offset': "ok:b'nux\\n'",
    'faccessat_eaccess_flag': 'ok:False',
    'faccessat_relative_to_dirfd': 'ok:True',
    'fallocate_directory': 'err:EBADF',
    'fallocate_rdonly': 'err:EBADF',
    'fallocate_wronly': 'err:ENOTSUP',
    'fchdir_into_dir': "ok:'kernel'",
    'fchmod_directory': 'err:EPERM',
    'fchmod_file': 'err:EPERM',
    'fchown_minus_one': 'ok:None',
    'fchown_same_owner': 'err:EPERM',
    'fcntl_get_seals': 'err:EINVAL',
    'fcntl_getfd_cloexec': 'ok:1',
    'fcntl_getfl_rdonly': "ok:'0x8000'",
    'fcntl_getfl_rdwr_append': "ok:'0x8402'",
    'fcntl_getlease': 'ok:2',
    'fcntl_getlk': 'ok:2',
    'fcntl_setfl_append_then_getfl': "ok:'0x8402'",
    'fcntl_setlease_read': 'err:EINVAL',
    'fcntl_setlk_rdlck_on_rdonly': 'ok:None',
    'fcntl_setlk_rdlck_on_wronly': 'err:EBADF',
    'fcntl_setlk_wrlck_on_rdonly': 'err:EBADF',
    'fcntl_setlk_wrlck_on_wronly': 'ok:None',
    'fdatasync_file': 'err:EINVAL',
    'fdinfo_pos_and_flags_after_read': "ok:('3', '02100000')",
    'flock_conflicts_between_two_opens': 'err:EAGAIN',
    'flock_ex_on_rdonly': 'ok:None',
    'flock_on_directory': 'ok:None',
    'fsetxattr_rdonly_fd': 'err:ENOTSUP',
    'fstat_fd': "ok:('0o100644', 1, 0, 0, 1024, 0)",
    'fstat_ino_is_stat_ino': 'ok:True',
    'fstatat_empty_path_on_directory_fd': "ok:'0o40555'",
    'fstatfs_type': "ok:'0x9fa0'",
    'fsync_directory': 'err:EINVAL',
    'fsync_file': 'err:EINVAL',
    'ftruncate_directory': 'err:EINVAL',
    'ftruncate_rdonly': 'err:EINVAL',
    'ftruncate_wronly': 'ok:None',
    'ftruncate_wronly_negative': 'err:EINVAL',
    'futimens_now': 'ok:None',
    'getcwd_after_chdir': "ok:'/proc/sys/kernel/random'",
    'getdents_after_end': 'ok:[]',
    'getdents_after_lseek_5': 'ok:True',
    'getdents_buffer_for_one': "ok:[('.', 4)]",
    'getdents_d_off_sequence': 'ok:[1, 2, 3, 4, 5]',
    'getdents_dir_position_after_two': 'ok:2',
    'getdents_dots_of_the_root': 'ok:(True, True)',
    'getdents_every_ino_is_stat_ino': 'ok:([], [], [])',
    'getdents_first_two_and_types': "ok:([('.', 4), ('..', 4)], [4, 8], [('msgmax', 8), ('random', 4)])",
    'getdents_ino_is_stat_ino': 'ok:True',
    'getdents_on_file': 'err:ENOTDIR',
    'getdents_resume_after_lseek_zero': 'ok:(True, True)',
    'getdents_tiny_buffer': 'err:EINVAL',
    'getxattr_directory': 'err:ENOTSUP',
    'getxattr_file': 'err:ENOTSUP',
    'getxattr_posix_acl': 'err:ENOTSUP',
    'getxattr_security_selinux': 'err:ENOTSUP',
    'inotify_events_of_open_write_close': "ok:['0x20', '0x2', '0x8']",
    'inotify_on_file': "ok:'wd'",
    'ioctl_fionread': 'ok:0',
    'ioctl_fs_getflags': 'err:ENOTTY',
    'ioctl_tcgets': 'err:ENOTTY',
    'link_directory': 'err:ENOENT',
    'link_existing': 'err:EEXIST',
    'link_new': 'err:ENOENT',
    'link_out_to_tmp': 'err:EXDEV',
    'link_plain_new': 'err:ENOENT',
    'listxattr_directory': 'ok:[]',
    'listxattr_file': 'ok:[]',
    'lseek_CUR_0': 'ok:0',
    'lseek_CUR_5': 'ok:5',
    'lseek_CUR_huge': 'ok:4611686018427387904',
    'lseek_CUR_minus1': 'err:EINVAL',
    'lseek_DATA_0': 'err:ENXIO',
    'lseek_DATA_5': 'err:ENXIO',
    'lseek_DATA_huge': 'err:ENXIO',
    'lseek_DATA_minus1': 'err:EINVAL',
    'lseek_END_0': 'ok:0',
    'lseek_END_5': 'ok:5',
    'lseek_END_huge': 'ok:4611686018427387904',
    'lseek_END_minus1': 'err:EINVAL',
    'lseek_HOLE_0': 'err:ENXIO',
    'lseek_HOLE_5': 'err:ENXIO',
    'lseek_HOLE_huge': 'err:ENXIO',
    'lseek_HOLE_minus1': 'ok:0',
    'lseek_SET_0': 'ok:0',
    'lseek_SET_5': 'ok:5',
    'lseek_SET_huge': 'ok:4611686018427387904',
    'lseek_SET_minus1': 'err:EINVAL',
    'lseek_directory_data': 'err:ENXIO',
    'lseek_directory_end': 'ok:0',
    'lseek_directory_set_5': 'ok:5',
    'lseek_whence_5': 'err:EINVAL',
    'lstat_file': "ok:'0o100644'",
    'mkdir_existing_dir': 'err:EEXIST',
    'mkdir_existing_file': 'err:EEXIST',
    'mkdir_new': 'err:ENOENT',
    'mkdir_plain_new': 'err:ENOENT',
    'mkfifo_new': 'err:ENOENT',
    'mknod_existing': 'err:EEXIST',
    'mknod_new': 'err:ENOENT',
    'mknod_plain_new': 'err:ENOENT',
    'mmap_private_read': 'err:ENODEV',
    'mmap_shared_read': 'err:ENODEV',
    'open_accmode_3': 'err:EBADF',
    'open_creat_directory': 'err:EISDIR',
    'open_creat_directory_flag': 'err:EINVAL',
    'open_creat_excl_existing': 'err:EEXIST',
    'open_creat_excl_missing': 'err:ENOENT',
    'open_creat_existing_then_read': "ok:b'8192\\n'",
    'open_creat_missing': 'err:ENOENT',
    'open_creat_plain_existing_0644': 'err:EACCES',
    'open_creat_plain_missing': 'err:ENOENT',
    'open_direct': 'err:EINVAL',
    'open_directory_flag_on_file': 'err:ENOTDIR',
    'open_dot_of_file': 'err:ENOTDIR',
    'open_dotdot_of_root_listing': 'ok:True',
    'open_noatime_plain': 'err:EPERM',
    'open_noatime_root': "ok:b'8192\\n'",
    'open_nofollow_file': "ok:b'8192\\n'",
    'open_path_0200_then_fstat': "ok:'0o100200'",
    'open_path_directory_then_openat': "ok:b'8192\\n'",
    'open_path_then_fstat': "ok:('0o100644', 0, 1)",
    'open_path_then_getfl': "ok:'0x200000'",
    'open_path_then_read': 'err:EBADF',
    'open_rdonly_trunc_0200': 'err:EACCES',
    'open_rdonly_trunc_0444': 'err:EACCES',
    'open_rdonly_trunc_0644': "ok:b'8192\\n'",
    'open_rdonly_trunc_directory': 'err:EISDIR',
    'open_rdwr_directory': 'err:EISDIR',
    'open_tmpfile_in_directory': 'err:EACCES',
    'open_tmpfile_on_file': 'err:ENOTDIR',
    'open_tmpfile_rdonly': 'err:EINVAL',
    'open_trailing_slash_on_file': 'err:ENOTDIR',
    'open_trunc_noatime_plain_0444': 'err:EACCES',
    'open_wronly_directory': 'err:EISDIR',
    'open_wronly_directory_flag_on_0444': 'err:ENOTDIR',
    'open_wronly_trunc_0444': 'err:EACCES',
    'openat2_BENEATH': "ok:b'8192\\n'",
    'openat2_BENEATH_absolute': 'err:EXDEV',
    'openat2_BENEATH_dotdot': 'err:EXDEV',
    'openat2_CACHED_twice': 'err:EAGAIN',
    'openat2_IN_ROOT': "ok:b'8192\\n'",
    'openat2_IN_ROOT_dotdot': "ok:b'8192\\n'",
    'openat2_NO_MAGICLINKS': "ok:b'8192\\n'",
    'openat2_NO_SYMLINKS': "ok:b'8192\\n'",
    'openat2_NO_XDEV': "ok:b'8192\\n'",
    'openat2_NO_XDEV_absolute': 'err:EXDEV',
    'openat2_NO_XDEV_dotdot_out': "ok:b'8192\\n'",
    'openat2_plain': "ok:b'8192\\n'",
    'openat2_unknown_resolve_bit': 'err:EINVAL',
    'openat_dirfd_is_a_file': 'err:ENOTDIR',
    'openat_dirfd_is_a_file_empty_name': 'err:ENOENT',
    'openat_relative_dot_slash': "ok:b'8192\\n'",
    'openat_relative_dotdot_back': "ok:b'8192\\n'",
    'path_255_component': 'err:ENOENT',
    'path_double_slash': "ok:b'8192\\n'",
    'path_file_then_dotdot': 'err:ENOTDIR',
    'path_long_component': 'err:ENOENT',
    'path_of_4095_bytes_at_page_offset_0': 'err:ENOENT',
    'path_of_4095_bytes_at_page_offset_100': 'err:ENOENT',
    'path_of_4095_bytes_at_page_offset_4000': 'err:ENOENT',
    'path_of_4096_bytes_at_page_offset_0': 'err:ENAMETOOLONG',
    'path_of_4096_bytes_at_page_offset_100': 'err:ENAMETOOLONG',
    'path_of_4096_bytes_at_page_offset_4000': 'err:ENAMETOOLONG',
    'path_of_4150_bytes_at_page_offset_0': 'err:ENAMETOOLONG',
    'path_of_4150_bytes_at_page_offset_100': 'err:ENAMETOOLONG',
    'path_of_4150_bytes_at_page_offset_4000': 'err:ENAMETOOLONG',
    'path_of_5041_bytes_at_page_offset_0': 'err:ENAMETOOLONG',
    'path_of_5041_bytes_at_page_offset_100': 'err:ENAMETOOLONG',
    'path_of_5041_bytes_at_page_offset_4000': 'err:ENAMETOOLONG',
    'path_through_sibling_dotdot': "ok:b'8192\\n'",
    'posix_fadvise_file': 'ok:None',
    'posix_lock_seen_by_another_process': "ok:'EAGAIN'",
    'pread_huge_offset': 'err:EINVAL',
    'pread_huge_offset_string': "ok:b''",
    'pread_int_middle': "ok:[b'250\\t32000\\t32\\t128\\n', b'', b'']",
    'pread_negative_offset': 'err:EINVAL',
    'pread_string_middle': "ok:[b'Li', b'in', b'nu', b'ux', b'x\\n', b'\\n', b'', b'']",
    'preadv2_nowait': 'err:ENOTSUP',
    'preadv_two_buffers': "ok:(5, [b'in', b'ux\\n\\x00\\x00\\x00\\x00\\x00\\x00\\x00'])",
    'pwrite_count_zero_at_5': "ok:(0, b'8192\\n')",
    'pwrite_negative_offset': 'err:EINVAL',
    'pwritev2_append': 'ok:(5, 5)',
    'pwritev2_hipri': 'ok:5',
    'pwritev2_unknown_flag': 'err:ENOTSUP',
    'pwritev_two_buffers': "ok:(5, b'4096\\n')",
    'read_advances_offset': "ok:(b'Linux\\n', 6, b'')",
    'read_after_dropping_to_plain_uid_of_0600': 'err:EPERM',
    'read_after_lseek_past_end': "ok:(b'', 100)",
    'read_count_zero': "ok:b''",
    'read_count_zero_stable_secret': 'err:EIO',
    'read_directory': 'err:EISDIR',
    'read_directory_zero': 'err:EISDIR',
    'read_in_pieces_int': "ok:[b'250', b'', b'', b'']",
    'read_large_buffer_int': "ok:b'8192\\n'",
    'read_on_wronly_fd': 'err:EBADF',
    'read_stable_secret': 'err:EIO',
    'readahead_file': 'ok:0',
    'readlink_file': 'err:EINVAL',
    'readlink_missing': 'err:ENOENT',
    'readlink_proc_self_fd': "ok:'/proc/sys/kernel/msgmax'",
    'readv_then_read': "ok:(5, [b'25', b'0\\t3'], b'')",
    'readv_tiny_iovecs': "ok:(4, [b'L', b'i', b'n', b'u'], 4)",
    'removexattr_directory': 'err:EACCES',
    'removexattr_file': 'err:ENOTSUP',
    'rename_directory_to_existing': 'err:EACCES',
    'rename_missing': 'err:ENOENT',
    'rename_plain_to_existing': 'err:EACCES',
    'rename_to_existing': 'err:EACCES',
    'rename_to_itself': 'ok:None',
    'rename_to_missing': 'err:ENOENT',
    'rmdir_directory': 'err:EACCES',
    'rmdir_dot': 'err:EINVAL',
    'rmdir_missing': 'err:ENOENT',
    'rmdir_plain_directory': 'err:EACCES',
    'setxattr_0444_file': 'err:EACCES',
    'setxattr_directory': 'err:EACCES',
    'setxattr_file': 'err:ENOTSUP',
    'setxattr_plain_file': 'err:EACCES',
    'setxattr_security_file': 'err:ENOTSUP',
    'setxattr_trusted_file': 'err:ENOTSUP',
    'stat_dir_dotdot_file': "ok:'0o100644'",
    'stat_directory': "ok:('0o40555', 1, 0, 0, 0, 1024, 0)",
    'stat_file': "ok:('0o100644', 1, 0, 0, 0, 1024, 0)",
    'stat_file_dot': 'err:ENOTDIR',
    'stat_file_slash': 'err:ENOTDIR',
    'stat_root': "ok:('0o40555', 1, 0, 0, 0, 1024, 0)",
    'statfs_type': "ok:'0x9fa0'",
    'statx_bad_sync_flags': 'err:EINVAL',
    'statx_directory_all': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o40555', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_dont_sync': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o100644', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_empty_path_on_fd': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o100644', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_file_all': "ok:{'mask': '0x47ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o100644', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_file_basic': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o100644', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_file_btime': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o100644', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_file_zero_mask': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o100644', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_force_sync': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o100644', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'statx_reserved_mask_bit': 'err:EINVAL',
    'statx_root_all': "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x0', 'nlink': 1, 'uid': 0, 'gid': 0, 'mode': '0o40555', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
    'symlink_existing': 'err:EEXIST',
    'symlink_new': 'err:ENOENT',
    'symlink_plain_new': 'err:ENOENT',
    'truncate_0444': 'err:EACCES',
    'truncate_directory': 'err:EISDIR',
    'truncate_negative': 'err:EINVAL',
    'truncate_plain_0644': 'err:EACCES',
    'truncate_plain_directory': 'err:EISDIR',
    'truncate_writable_to_5': 'ok:0',
    'truncate_writable_to_zero': "ok:(None, b'8192\\n')",
    'unlink_file': 'err:EACCES',
    'unlink_missing': 'err:ENOENT',
    'unlink_plain_file': 'err:EACCES',
    'utime_explicit_plain_0644': 'err:EPERM',
    'utime_explicit_plain_directory': 'err:EPERM',
    'utime_explicit_root': 'ok:None',
    'utime_explicit_root_directory': 'ok:None',
    'utime_now_plain_0444': 'err:EACCES',
    'utime_now_plain_0644': 'err:EACCES',
    'utime_now_plain_directory': 'err:EACCES',
    'utime_now_root': 'ok:None',
    'utime_then_stat_mtime_changes': 'ok:True',
    'utimensat_atime_now_mtime_omit_plain': 'err:EPERM',
    'utimensat_atime_now_mtime_omit_root': 'ok:None',
    'utimensat_both_now_plain': 'err:EACCES',
    'write_after_dropping_to_plain_uid': "ok:('err:EPERM', b'8192\\n')",
    'write_after_lseek_seek_end': "ok:(0, 3, b'55\\n')",
    'write_append_after_read': "ok:(b'8192\\n', 3, 8, b'8192\\n')",
    'write_append_hostname': "ok:((2, 2), b'de\\n')",
    'write_append_twice': "ok:((4, 4, 8), b'300\\n')",
    'write_at_offset_1_strict': "ok:(4, b'8192\\n')",
    'write_count_zero': "ok:(0, b'8192\\n')",
    'write_exactly_page_size_blanks_then_digit': 'err:EINVAL',
    'write_exactly_page_size_digits': 'err:EINVAL',
    'write_hostname_in_pieces': "ok:(3, 2, 1, b'aX\\n', 5)",
    'write_hostname_past_end': "ok:(2, b'ab\\n')",
    'write_on_directory_fd': 'err:EBADF',
    'write_on_rdonly_fd': 'err:EBADF',
    'write_page_size_plus_one': 'err:EINVAL',
    'write_zero_bytes_plain_ns_last_pid': 'err:EPERM',
    'writev_sem_iovecs': "ok:(17, b'250\\t32000\\t32\\t128\\n')",
    'writev_three_iovecs': "ok:(5, b'1234\\n', 5)",
}


_FUSE_TMPFILE = Documented(
    "err:ENOTSUP",
    "vfs_tmpfile asks inode_permission(dir, MAY_WRITE|MAY_EXEC), which procfs refuses (EACCES) and FUSE "
    "without default_permissions allows; FUSE_TMPFILE then reaches libfuse, whose high-level API (3.14, "
    "2.9) has no tmpfile operation: ENOSYS, which fuse_tmpfile turns into EOPNOTSUPP (docs/mount.md)",
)
_EMU_INOTIFY = ("documented stated limit of the emulated backend: inotify_add_watch under /proc/sys is "
                "EOPNOTSUPP, logged (the fake's files have no inode to raise events on)")

_FUSE_MMAP = Documented(
    "ok:'mapped'",
    "procfs sysctl files have no mmap (ENODEV). FUSE with FOPEN_DIRECT_IO maps MAP_PRIVATE with "
    "generic_file_mmap (fs/fuse/file.c fuse_file_mmap) without asking the server; the mapping "
    "is of a size-0 file, so touching it gives SIGBUS. MAP_SHARED is ENODEV as on procfs.",
)
_FUSE_WRITE0 = Documented(
    "ok:0",
    "FUSE sends no WRITE for a 0-byte write (fuse_direct_io loops while count): pid_ns_ctl_handler, "
    "which refuses an unprivileged writer whatever the count, is never asked.",
)
_FUSE_STATFS = Documented("ok:'0x65735546'", "statfs reports FUSE's f_type, not PROC_SUPER_MAGIC")
_FUSE_COUNT0 = Documented(
    "ok:b''",
    "FUSE sends no READ for a 0-byte read (fs/fuse/file.c fuse_direct_io loops while count): the handler, "
    "which refuses stable_secret reads with EIO whatever the count, is never asked.",
)
_FUSE_APPEND = (
    "O_APPEND through FUSE: the write's offset is FUSE's cached i_size (generic_write_checks), the session "
    "writes at 0, and the file position after it is i_size + count; procfs ignores IOCB_APPEND and writes "
    "at the file position (proc_sys_call_handler)."
)
_NO_TIMES = Documented(
    "ok:False",
    "utime(2) is accepted but the model keeps no timestamps: stat shows the serving session's start "
    "time; procfs keeps the times set in its in-memory inode (proc_sys_setattr -> setattr_copy) until "
    "the inode is evicted.",
)
_OPATH_EMU = Documented("err:ENOTSUP", "documented stated limit of the emulated backend (O_PATH: EOPNOTSUPP)")

DIVERGES: dict[str, dict[str, Documented | Lead]] = {
    # FUSE and the VFS decide these before the server sees the call (docs/mount.md).
    "link_directory": {"mount": Documented("err:EPERM", "vfs_link refuses a directory source with EPERM "
                                            "before the new name's lookup matters; procfs's lookup of the "
                                            "new name fails first (ENOENT)")},
    "open_trunc_noatime_plain_0444": {
        b: Documented("err:EPERM", "may_open checks O_NOATIME after inode_permission, which FUSE without "
                      "default_permissions allows; the server sees no OPEN") for b in ("mount", "seccomp")},
    "openat2_CACHED_twice": {"mount": Documented("ok:b'8192\\n'", "FUSE's d_revalidate works under RCU "
                                                  "within entry_timeout; procfs's never does"),
                             },
    "openat2_NO_XDEV_dotdot_out": {
        "mount": Documented("err:EXDEV", "/proc/sys is a bind mount inside fakeproc run: '..' from it crosses "
                            "a mount")},
    "read_count_zero_stable_secret": {"mount": _FUSE_COUNT0, "seccomp": _FUSE_COUNT0},
    "statx_root_all": {"mount": Documented(
        "ok:{'mask': '0x17ff', 'blksize': 1024, 'attributes': '0x2000', 'nlink': 1, 'uid': 0, 'gid': 0, "
        "'mode': '0o40555', 'size': 0, 'blocks': 0, 'attributes_mask': '0x203000'}",
        "the bind mount's root has STATX_ATTR_MOUNT_ROOT")},
    "write_append_twice": {b: Documented("ok:((4, 4, 13), b'400\\n')", _FUSE_APPEND) for b in ("mount", "seccomp")},
    "write_append_hostname": {b: Documented("ok:((2, 5), b'de\\n')", _FUSE_APPEND) for b in ("mount", "seccomp")},
    "write_append_after_read": {b: Documented("ok:(b'8192\\n', 3, 13, b'55\\n')", _FUSE_APPEND)
                                for b in ("mount", "seccomp")},
    "utime_then_stat_mtime_changes": {b: _NO_TIMES for b in BACKENDS},
    "fcntl_getfl_rdonly": {"seccomp": Documented("ok:'0xc000'", "the seccomp backend opens O_DIRECT (sendfile)")},
    "fcntl_getfl_rdwr_append": {"seccomp": Documented("ok:'0xc402'", "the seccomp backend opens O_DIRECT")},
    "mmap_private_read": {b: _FUSE_MMAP for b in ("mount", "seccomp")},
    "fstatfs_type": {"mount": _FUSE_STATFS, "seccomp": _FUSE_STATFS},
    "statfs_type": {"mount": _FUSE_STATFS},
    "pwritev2_append": {"mount": Documented("ok:(5, 10)", _FUSE_APPEND), "seccomp": Documented("ok:(5, 10)", _FUSE_APPEND)},
    "fdinfo_pos_and_flags_after_read": {"seccomp": Documented("ok:('3', '02140000')", "the seccomp backend "
                                                              "opens O_DIRECT (sendfile)")},
    "fcntl_setlease_read": {
        "mount": Documented("ok:0", "FUSE has no lease request: the kernel grants a read lease on a FUSE "
                            "file without asking the server; procfs refuses (EINVAL)"),
        "seccomp": Documented("ok:0", "the descriptor is the mount's (FUSE grants the lease)")},
    "inotify_on_file": {"emulated": Documented("ok:'ENOTSUP'", _EMU_INOTIFY)},
    "inotify_events_of_open_write_close": {"emulated": Documented("err:ENOTSUP", _EMU_INOTIFY)},
    "write_zero_bytes_plain_ns_last_pid": {"mount": _FUSE_WRITE0, "seccomp": _FUSE_WRITE0},
    "fcntl_setlk_rdlck_on_rdonly": {"emulated": Documented(
        "err:ENOLCK", "documented stated limit of the emulated backend: read locks (F_RDLCK) on a readable "
        "open need a readable descriptor; the placeholder is write-only, so that a copy the filter does not "
        "watch fails reads with EBADF instead of reading an empty file")},
    "fchdir_into_dir": {"emulated": Documented("err:ENOTDIR", "documented stated limit of the emulated backend")},
    "open_tmpfile_in_directory": {b: _FUSE_TMPFILE for b in ("mount", "seccomp")},
    **{name: {"emulated": _OPATH_EMU} for name in (
        "open_path_0200_then_fstat", "open_path_directory_then_openat", "open_path_then_fstat",
        "open_path_then_getfl", "open_path_then_read")},
}


def _host_ns() -> str:
    return " ".join(os.readlink(f"/proc/self/ns/{t}") for t in ("ipc", "net", "uts", "pid"))


def _argv() -> list[str]:
    # The probe refuses to run unless its ipc/net/uts/pid namespaces differ from PROBE_HOST_NS.
    return ["unshare", "--ipc", "--net", "--uts", "--pid", "--fork", sys.executable, "-S", PROBE, "/proc/sys"]


def _parse(text: str, where: str) -> dict[str, str]:
    answers = json.loads(text)
    assert "refused" not in answers, f"{where}: {answers}"
    return answers


# Serves a fresh 6.18 kernel over the libfuse FAKEPROC_LIBFUSE names and runs argv in the mount
# (as the "mount" backend does in the test's own process); prints the libfuse's major version,
# the probe's exit status, then its output.
_MOUNT_RUN = """
import sys, fakeproc
from fakeproc.backends.fuse._binding import libfuse_major
from fakeproc.sandbox import mounted
with mounted(fakeproc.Kernel("6.18")) as m:
    done = m.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
sys.stderr.write(done.stderr)
print(libfuse_major(), done.returncode)
print(done.stdout)
"""


def _probe_through_libfuse2(env: dict[str, str]) -> dict[str, str]:
    from fakeproc.backends.fuse._binding import loadable_libfuses

    if not FUSE_OK:
        pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
    if 2 not in loadable_libfuses():
        pytest.skip("libfuse2 (libfuse.so.2) is not installed here: the mount cannot be served over it")
    done = subprocess.run([sys.executable, "-c", _MOUNT_RUN, *_argv()], check=False, capture_output=True,
                          text=True, timeout=300, env=dict(env, FAKEPROC_LIBFUSE="2"))
    assert done.returncode == 0, done.stderr
    status, output = done.stdout.split("\n", 1)
    assert status == "2 0", done.stderr
    return _parse(output, LIBFUSE2)


def _divergence(case: str, backend: str) -> Documented | Lead | None:
    """The documented (or open) divergence of ``backend`` for ``case``: the mount over libfuse2
    shares the mount's unless it has an entry of its own."""
    entries = DIVERGES.get(case, {})
    if backend == LIBFUSE2 and backend not in entries:
        return entries.get("mount")
    return entries.get(backend)


def _probe_through(backend: str) -> dict[str, str]:
    """The probe's answers under ``backend``, serving a fresh 6.18 kernel."""
    import fakeproc

    env = dict(os.environ, PROBE_HOST_NS=_host_ns())
    if backend == LIBFUSE2:
        return _probe_through_libfuse2(env)
    kernel = fakeproc.Kernel("6.18")
    if backend == "mount":
        if not FUSE_OK:
            pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
        from fakeproc.sandbox import mounted

        with mounted(kernel) as m:
            done = m.run(_argv(), capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return _parse(done.stdout, backend)
    from fakeproc.backends.seccomp import available

    why = available()
    if why is not None:
        pytest.skip(why)
    fd, out = tempfile.mkstemp(prefix="fakeproc-probe-")
    os.close(fd)
    try:
        argv = ["sh", "-c", f'exec "$@" > {out}', "sh", *_argv()]
        if backend == "emulated":
            from fakeproc.backends.emulated import run_emulated

            status = run_emulated(argv, kernel=kernel, env=env)
        else:
            if not FUSE_OK:
                pytest.skip(f"FUSE is not usable here: {FUSE_WHY}")
            from fakeproc.backends.seccomp import run_redirected
            from fakeproc.sandbox import mounted

            with mounted(kernel) as m:
                resolver = m.session.resolver  # as `fakeproc run --backend seccomp` passes it
                status = run_redirected(argv, mountpoint=m.path, env=env,
                                        acting_for=resolver.acting_for if resolver is not None else None)
        assert status == 0
        with open(out) as f:
            return _parse(f.read(), backend)
    finally:
        os.unlink(out)


_ANSWERS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, str]]:
    """backend -> case -> answer; each backend is probed once, when a test first asks for it."""
    return _ANSWERS


def _params() -> list[object]:
    out = []
    for name in sorted(REAL):
        for backend in BACKENDS:
            d = _divergence(name, backend)
            marks = [pytest.mark.xfail(strict=True, reason=f"{d.owner}: {d.why}")] if isinstance(d, Lead) else []
            out.append(pytest.param(name, backend, marks=marks, id=f"{name}-{backend}"))
    return out


@pytest.mark.parametrize(("case", "backend"), _params())
def test_a_file_syscall_answers_as_linux_6_18(answers, case, backend):
    if backend not in answers:
        answers[backend] = _probe_through(backend)
    got = answers[backend][case]
    d = _divergence(case, backend)
    if isinstance(d, Documented):
        assert got == d.answer, f"documented divergence changed ({d.why}); the kernel answers {REAL[case]}"
    else:
        assert got == REAL[case]


def test_the_table_is_what_this_kernel_answers():
    """REAL again, from the running kernel, inside throwaway namespaces (read-only on global keys)."""
    if not os.uname().release.startswith("6.18"):
        pytest.skip(f"the table is Linux 6.18's; this kernel is {os.uname().release}")
    done = subprocess.run(_argv(), check=False, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PROBE_HOST_NS=_host_ns()))
    assert done.returncode == 0, done.stderr
    real = _parse(done.stdout, "real kernel")
    assert {k: (v, REAL.get(k)) for k, v in real.items() if v != REAL.get(k)} == {}
    assert set(real) == set(REAL)


def test_every_divergence_names_a_probed_case_and_backend():
    assert set(DIVERGES) <= set(REAL)
    assert all(set(d) <= set(BACKENDS) for d in DIVERGES.values())


def test_libfuse2_answers_as_the_libfuse3_mount_where_libfuse2_once_diverged():
    """The rows libfuse2 alone answered otherwise (a listing's d_ino; SEEK_DATA/SEEK_HOLE at -1,
    which the kernel answers itself once a server without FUSE_LSEEK says ENOSYS; utime "now" by a
    non-owner) have no divergence under libfuse2: the table asserts the kernel's answer there."""
    for case in ("getdents_ino_is_stat_ino", "getdents_every_ino_is_stat_ino", "getdents_dots_of_the_root",
                 "lseek_DATA_minus1", "lseek_HOLE_minus1", "utime_now_plain_0644", "utime_now_plain_0444",
                 "utime_now_plain_directory", "utimensat_atime_now_mtime_omit_plain"):
        assert _divergence(case, LIBFUSE2) is None, case
    assert (REAL["lseek_DATA_minus1"], REAL["lseek_HOLE_minus1"]) == ("err:EINVAL", "ok:0")
    assert REAL["utime_now_plain_0644"] == REAL["utime_now_plain_directory"] == "err:EACCES"
