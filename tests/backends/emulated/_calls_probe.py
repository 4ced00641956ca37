"""Descriptor calls on /proc/sys files beyond tests/fidelity/_probe.py: prints each answer as JSON.

Run as ``_calls_probe.py ROOT [NAMES...]`` inside a throwaway IPC namespace (it opens
kernel/msgmax for writing, and writes nothing to it).
"""
import ctypes
import errno
import fcntl
import os
import struct
import sys

libc = ctypes.CDLL(None, use_errno=True)
R = "/proc/sys/"
def run(f):
    try:
        return repr(f())
    except OSError as e:
        return "err:" + errno.errorcode[e.errno]
def sc(nr, *a):
    r = libc.syscall(nr, *a)
    if r == -1:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
    return r
def op(rel, flags, fn):
    fd = os.open(R + rel, flags)
    try:
        return fn(fd)
    finally:
        os.close(fd)
def ioc(fd, req, arg=b"\0" * 8):
    return fcntl.ioctl(fd, req, arg)
out = {}


def openat2_at(base, path, resolve, flags=os.O_RDONLY, cwd=None):
    """openat2 of ``path`` from the /proc/sys directory ``base`` (None: the cwd, ``cwd`` if given)."""
    old = os.getcwd()
    dfd = -100 if base is None else os.open(R + base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if cwd:
            os.chdir(cwd)
        how = ctypes.create_string_buffer(struct.pack("<QQQ", flags, 0, resolve))
        fd = sc(437, ctypes.c_int(dfd), ctypes.c_char_p(path.encode()), how, ctypes.c_size_t(24))
        try:
            return os.read(fd, 100)
        finally:
            os.close(fd)
    finally:
        os.chdir(old)
        if dfd >= 0:
            os.close(dfd)
C = {
 "fionbio_getfl": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: (fcntl.ioctl(fd, 0x5421, struct.pack("i", 1)), hex(fcntl.fcntl(fd, fcntl.F_GETFL)))),
 "fioasync_on": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: ioc(fd, 0x5452, struct.pack("i", 1))),
 "fionread_after_3": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: (os.read(fd, 3), struct.unpack("i", ioc(fd, 0x541B, b"\0"*4)))),
 "fionread_dir": lambda: op("kernel", os.O_RDONLY, lambda fd: ioc(fd, 0x541B, b"\0"*4)),
 "figetbsz": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: struct.unpack("i", ioc(fd, 2, b"\0"*4))),
 "fioqsize": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: ioc(fd, 0x5460)),
 "fiemap": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: ioc(fd, 0xC020660B, b"\0"*32)),
 "fibmap": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: ioc(fd, 1, b"\0"*4)),
 "fsgetxattr": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: ioc(fd, 0x801c581f, b"\0"*28)),
 "fallocate_punch_nokeep_rdonly": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: sc(285, fd, 2, ctypes.c_long(0), ctypes.c_long(1))),
 "fallocate_len0": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: sc(285, fd, 0, ctypes.c_long(0), ctypes.c_long(0))),
 "fallocate_wronly_keep": lambda: op("kernel/msgmax", os.O_WRONLY, lambda fd: sc(285, fd, 1, ctypes.c_long(0), ctypes.c_long(1))),
 "fallocate_wronly_punch_keep": lambda: op("kernel/msgmax", os.O_WRONLY, lambda fd: sc(285, fd, 3, ctypes.c_long(0), ctypes.c_long(1))),
 "fgetxattr_user": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.getxattr(fd, "user.x")),
 "fgetxattr_trusted": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.getxattr(fd, "trusted.x")),
 "fgetxattr_security": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.getxattr(fd, "security.selinux")),
 "fgetxattr_wronly_0644": lambda: op("kernel/msgmax", os.O_WRONLY, lambda fd: os.getxattr(fd, "user.x")),
 "fgetxattr_dir": lambda: op("kernel", os.O_RDONLY, lambda fd: os.getxattr(fd, "user.x")),
 "flistxattr_dir": lambda: op("kernel", os.O_RDONLY, lambda fd: os.listxattr(fd)),
 "fsetxattr_0444": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.setxattr(fd, "user.x", b"1")),
 "fsetxattr_0644": lambda: op("kernel/msgmax", os.O_RDONLY, lambda fd: os.setxattr(fd, "user.x", b"1")),
 "fsetxattr_badflags": lambda: op("kernel/msgmax", os.O_RDONLY, lambda fd: os.setxattr(fd, "user.x", b"1", 4)),
 "fsetxattr_trusted": lambda: op("kernel/msgmax", os.O_RDONLY, lambda fd: os.setxattr(fd, "trusted.x", b"1")),
 "fsetxattr_dir": lambda: op("kernel", os.O_RDONLY, lambda fd: os.setxattr(fd, "user.x", b"1")),
 "fremovexattr_0644": lambda: op("kernel/msgmax", os.O_RDONLY, lambda fd: os.removexattr(fd, "user.x")),
 "fremovexattr_0444": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.removexattr(fd, "user.x")),
 "fchown_uid_only": lambda: op("kernel/msgmax", os.O_RDONLY, lambda fd: os.fchown(fd, 0, -1)),
 "fchown_dir_m1": lambda: op("kernel", os.O_RDONLY, lambda fd: os.fchown(fd, -1, -1)),
 "readahead_wronly": lambda: op("kernel/msgmax", os.O_WRONLY, lambda fd: sc(187, fd, ctypes.c_long(0), ctypes.c_size_t(10))),
 "readahead_dir": lambda: op("kernel", os.O_RDONLY, lambda fd: sc(187, fd, ctypes.c_long(0), ctypes.c_size_t(10))),
 "wrlck_then_flock_other": lambda: op("kernel/msgmax", os.O_WRONLY, lambda a: op("kernel/msgmax", os.O_WRONLY, lambda b: (fcntl.flock(a, fcntl.LOCK_SH | fcntl.LOCK_NB), fcntl.flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB)))),
 "flock_release_on_close": lambda: (op("kernel/msgmax", os.O_RDONLY, lambda a: fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB)), op("kernel/msgmax", os.O_RDONLY, lambda b: fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB))),
 "flock_two_files_no_conflict": lambda: op("kernel/msgmax", os.O_RDONLY, lambda a: op("kernel/msgmnb", os.O_RDONLY, lambda b: (fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB), fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)))),
 "getlk_sees_wrlck_same_process": lambda: op("kernel/msgmax", os.O_WRONLY, lambda a: (fcntl.lockf(a, fcntl.LOCK_EX | fcntl.LOCK_NB), struct.unpack("hhqqi", fcntl.fcntl(a, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)))[0])),
 "setfl_direct": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: fcntl.fcntl(fd, fcntl.F_SETFL, os.O_DIRECT)),
 "setfl_nonblock_getfl": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: (fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK), hex(fcntl.fcntl(fd, fcntl.F_GETFL)))),
 "ftruncate_big_wronly": lambda: op("kernel/msgmax", os.O_WRONLY, lambda fd: os.ftruncate(fd, 1 << 40)),
 "preadv2_dsync": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.preadv(fd, [bytearray(10)], 0, os.RWF_DSYNC)),
 "preadv2_append_noappend": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.preadv(fd, [bytearray(10)], 0, 0x30)),
 "preadv2_atomic": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.preadv(fd, [bytearray(10)], 0, 0x40)),
 "preadv_empty": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: os.preadv(fd, [bytearray(0)], 0)),
 "preadv_wronly": lambda: op("kernel/msgmax", os.O_WRONLY, lambda fd: os.preadv(fd, [bytearray(4)], 0)),
 "preadv_dir": lambda: op("kernel", os.O_RDONLY, lambda fd: os.preadv(fd, [bytearray(4)], 0)),
 "preadv2_pos_minus1": lambda: op("kernel/ostype", os.O_RDONLY, lambda fd: (os.preadv(fd, [bytearray(2)], -1, 0), os.lseek(fd, 0, 1))),
 "readv_stable_secret_empty": lambda: op("net/ipv6/conf/lo/stable_secret", os.O_RDONLY, lambda fd: os.readv(fd, [bytearray(0)])),
 "openat2_in_root_absolute": lambda: openat2_at("", "/kernel/ostype", 0x10),
 "openat2_no_xdev_relative_from_root": lambda: openat2_at(None, "proc/sys/kernel/ostype", 0x01, cwd="/"),
 "openat2_beneath_from_proc_cwd": lambda: openat2_at(None, "sys/kernel/ostype", 0x08, cwd="/proc"),
 "openat2_beneath_dotdot_inside": lambda: openat2_at("kernel", "../kernel/ostype", 0x08),
 "openat2_cached_creat": lambda: openat2_at("", "kernel/ostype", 0x20, flags=os.O_RDONLY | os.O_CREAT),
 "openat2_beneath_in_root": lambda: openat2_at("", "kernel/ostype", 0x18),
}
if __name__ == "__main__":
    import json

    R = sys.argv[1]
    for k in sys.argv[2:] or list(C):
        out[k] = run(C[k])
    print(json.dumps(out, indent=0, sort_keys=True))
