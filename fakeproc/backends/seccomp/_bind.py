"""The mount's root as a descriptor that sits where the caller expects it: at ``/proc/sys``.

Every descriptor the supervisor injects is opened below its root descriptor, and a descriptor
carries its mount with it. Opened at the mountpoint (``/run/fakeproc/mnt-*``), ``..`` from the
mount's root reaches the runtime directory that holds the mountpoints, and
``readlink(/proc/self/fd/N)`` (``d_path``) names the private mountpoint. Opened instead in a
mount namespace of the supervisor's own, where the fake is bound over ``/proc/sys`` (a copy of
the caller's tree, slave to it, so nothing propagates back), the same descriptor walks ``..`` to
that namespace's ``/proc`` (the caller's procfs: the same superblock, the same inode) and its
path reads ``/proc/sys/...`` (fs/d_path.c prepend_path writes the path up to that namespace's
root whether or not it is the reader's root).

Only one short-lived thread enters that namespace (``unshare(CLONE_NEWNS | CLONE_FS)`` is per
thread); a descriptor of the namespace keeps it, and so its mounts, alive until :func:`close`.
Making it needs ``CAP_SYS_ADMIN``: without it (a setuid ``fusermount`` mount, an unprivileged
supervisor) the root is opened at the mountpoint, as before, and one log line says what differs.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading

from fakeproc.backends.seccomp._abi import CLONE_NEWNS, NR, libc

__all__ = ["BoundRoot", "bound_root"]

log = logging.getLogger("fakeproc.backends.seccomp")

CLONE_FS = 0x00000200  # include/uapi/linux/sched.h
MS_BIND = 0x1000  # include/uapi/linux/mount.h
MS_REC = 0x4000
MS_SLAVE = 1 << 19
_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC

_mount = libc["mount"]
_mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
_mount.restype = ctypes.c_int
_unshare = libc["unshare"]
_unshare.argtypes = [ctypes.c_int]
_unshare.restype = ctypes.c_int


class BoundRoot:
    """The mount's root descriptor and, when it is bound at ``/proc/sys``, its namespace's.

    Attributes:
        fd: The root of the fake, to open, stat and read links below.
        at_proc_sys: Whether ``fd`` sits at ``/proc/sys`` of a namespace of our own.
    """

    def __init__(self, fd: int, nsfd: int | None) -> None:
        self.fd = fd
        self._nsfd = nsfd
        self.at_proc_sys = nsfd is not None

    def close(self) -> None:
        """Close the root and let the namespace (and its bind mount) go."""
        os.close(self.fd)
        if self._nsfd is not None:
            os.close(self._nsfd)
            self._nsfd = None


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _in_own_namespace(mountpoint: str, out: list[object]) -> None:
    """Thread body: a mount namespace of this thread's own, the fake bound over /proc/sys there."""
    try:
        _check(_unshare(CLONE_NEWNS | CLONE_FS), "unshare")
        # Slave first: a bind made in a copy of shared mounts would propagate to their peers,
        # the caller's namespace among them.
        _check(_mount(None, b"/", None, MS_REC | MS_SLAVE, None), "mount --make-rslave /")
        _check(_mount(os.fsencode(mountpoint), b"/proc/sys", None, MS_BIND, None), "bind over /proc/sys")
        root = os.open("/proc/sys", _O_DIR)
        try:
            ns = os.open("/proc/thread-self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            os.close(root)
            raise
        out.append((root, ns))
    except OSError as e:
        out.append(e)


def bound_root(mountpoint: str) -> BoundRoot:
    """The root of the fake mounted at ``mountpoint``, bound at ``/proc/sys`` where we may."""
    out: list[object] = []
    if NR.get("unshare") is not None and os.path.isdir("/proc/sys"):
        t = threading.Thread(target=_in_own_namespace, args=(mountpoint, out), name="fakeproc-bind")
        t.start()
        t.join()
    if out and isinstance(out[0], tuple):
        root, ns = out[0]
        return BoundRoot(root, ns)
    why = out[0] if out else "no /proc/sys here"
    log.info("fakeproc: the fake's descriptors stay at %s (%s): '..' from /proc/sys reaches its "
             "parent directory and /proc/PID/fd links name it", mountpoint, why)
    return BoundRoot(os.open(mountpoint, _O_DIR), None)
