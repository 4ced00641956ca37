"""Run a FUSE session for :class:`SysctlOperations` in a thread, without fusepy's ``fuse_main``.

fusepy's ``FUSE()`` calls libfuse's ``fuse_main``, which installs process-wide
handlers for SIGTERM and SIGHUP (stealing them from Python) and cannot be told
to stop from outside. This module reuses fusepy's request marshalling but
drives libfuse2's lower-level calls itself: ``fuse_mount`` (which falls back
to the setuid ``fusermount`` for non-root users), ``fuse_new``, then
``fuse_loop`` in a daemon thread (under libfuse2 a loop of its own, :func:`_libfuse2_loop`,
which also answers FUSE_LSEEK). :meth:`FuseServer.stop` sets the exit flag and
unmounts lazily; the kernel then ends the session and the loop returns.

Mount options (see docs/mount.md for what each saves):

* ``fsname=fakeproc``, ``subtype=fakeproc``: ``/proc/mounts`` shows ``fuse.fakeproc``;
* ``allow_other`` when the server is root (procfs is world-readable; the model
  does the permission checks, so no ``default_permissions``);
* ``attr_timeout``/``entry_timeout`` 1 s (0 makes ``sysctl -a`` ~4x slower) and
  ``negative_timeout=0`` so a key that appears (new device) is seen at once;
* ``big_writes,max_write=131072``: a ``write(2)`` reaches the model whole (up to
  128 KiB) instead of in 4 KiB pieces;
* ``use_ino`` (libfuse3: in its ``fuse_config``): the inode numbers are the server's own
  (:class:`_Inodes`), given in ``getattr`` and in each ``readdir`` entry, so a listing's ``d_ino``
  is the ``st_ino`` of its name, '.' and '..' included.

>>> DEFAULT_OPTIONS["subtype"]
'fakeproc'
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import logging
import os
import select
import struct
import threading
import time
from stat import S_IFDIR
from typing import Any

from fakeproc._env import env_number
from fakeproc.backends.fuse._binding import FuseArgs, FuseBuf, load_binding
from fakeproc.backends.fuse._ops import SysctlOperations
from fakeproc.backends.fuse._umount import unmount
from fakeproc.errors import UnavailableError
from fakeproc.serve import LatencyHold, errno_of, serving_hold_ms

__all__ = ["DEFAULT_OPTIONS", "FSNAME", "FuseServer"]

log = logging.getLogger("fakeproc.backends.fuse")

FSNAME = "fakeproc"

# libfuse3's readdir flag (enum fuse_readdir_flags) and filler flag (enum fuse_fill_dir_flags).
_READDIR_PLUS = 1
_FILL_DIR_PLUS = 2

DEFAULT_OPTIONS: dict[str, str | bool] = {
    "fsname": FSNAME,
    "subtype": FSNAME,
    "attr_timeout": "1",
    "entry_timeout": "1",
    "negative_timeout": "0",
    # Divergence (6.18): the kernel's FUSE layer splits requests larger than max_write/max_read
    # into pieces, so the handlers never see a 4 MiB request (procfs's ENOMEM cannot happen).
    "big_writes": True,
    "max_write": "131072",
    "max_read": "131072",
    # The inode numbers are the server's (_Inodes): libfuse2 otherwise gives every readdir entry
    # d_ino FUSE_UNKNOWN_INO, libfuse3 its '.' and '..' (lib/fuse.c fill_dir, fill_dir_plus).
    "use_ino": True,
}

#: Options left out with libfuse3: it rejects big_writes and max_write (big writes are always on,
#: max_write is negotiated), and max_read must then also be set in init(); its default request
#: size (max_pages, 128 KiB on 6.x) is the same limit. use_ino is a field of libfuse3's
#: fuse_config, set at INIT (_build_ops).
_LIBFUSE2_ONLY = ("big_writes", "max_write", "max_read", "use_ino")


class FuseServer:
    """One FUSE mount served from a background thread.

    Args:
        ops: The operations object.
        mountpoint: An existing, empty directory.
        threaded: Use libfuse's multi-threaded loop (slower for Python: the GIL).
        options: Extra ``-o`` options (``None`` values remove a default).
        busy_poll_us: After each request, poll ``/dev/fuse`` without blocking for this many
            microseconds before sleeping (libfuse3, single-threaded only; 0: libfuse's own loop).
            Default ``$FAKEPROC_FUSE_BUSY_POLL_US`` or 0. It applies only when the serving thread
            may run on more than one CPU: pinned to one, it would take that CPU from its callers
            (see docs/mount.md for the measurements).
        latency_hold_ms: Keep a 0 µs CPU latency request (idle CPUs poll instead of halting,
            :class:`~fakeproc.serve.LatencyHold`) while requests come, and for this many
            milliseconds after the last (libfuse3, single-threaded, serving thread on more than
            one CPU, as the busy-poll). Default: :func:`~fakeproc.serve.serving_hold_ms`
            (``$FAKEPROC_CPU_LATENCY_HOLD_MS`` or 50) with a busy-poll, else 0. Nothing where the
            device cannot be opened (not root).

    Attributes:
        mountpoint: Absolute mountpoint.
        ops: The operations being served.
        error: An exception that ended the session, if any.
    """

    def __init__(
        self,
        ops: SysctlOperations,
        mountpoint: str,
        *,
        threaded: bool = False,
        options: dict[str, str | bool | None] | None = None,
        busy_poll_us: float | None = None,
        latency_hold_ms: float | None = None,
    ) -> None:
        self.ops = ops
        if busy_poll_us is None:
            busy_poll_us = env_number("FAKEPROC_FUSE_BUSY_POLL_US", 0.0)
        self.busy_poll_us = busy_poll_us
        if latency_hold_ms is None:
            hold = serving_hold_ms()  # read either way: a malformed value is an error either way
            latency_hold_ms = hold if busy_poll_us > 0 else 0.0
        self.latency_hold_ms = latency_hold_ms
        self.mountpoint = os.path.abspath(mountpoint)
        self.threaded = threaded
        opts: dict[str, str | bool | None] = dict(DEFAULT_OPTIONS)
        if os.geteuid() == 0:
            opts["allow_other"] = True
        opts.update(options or {})
        self._options = {k: v for k, v in opts.items() if v is not None and v is not False}
        self.error: BaseException | None = None
        self._fuse: int | None = None
        self._chan: int | None = None
        self._mounted = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._keep: list[Any] = []
        self._major = 2
        self._unmounted = False
        self._handle_lock = threading.Lock()  # guards self._fuse against use after fuse_destroy

    # ------------------------------------------------------------------ public

    def start(self, timeout: float = 15.0) -> None:
        """Mount and start serving; returns once the mount answers requests.

        Raises:
            UnavailableError: libfuse could not mount (no /dev/fuse access, no fusermount...).
        """
        fuse = load_binding()
        self._major = int(fuse.fuse_version_major)
        ops_struct = self._build_ops(fuse)
        self._thread = threading.Thread(
            target=self._main, args=(fuse, ops_struct), name=f"fakeproc-fuse:{self.mountpoint}", daemon=True
        )
        self._thread.start()
        if not self._mounted.wait(timeout) or self.error is not None:
            self._thread.join(1.0)
            raise self.error or UnavailableError(f"FUSE mount of {self.mountpoint} did not come up")
        # Wait for the kernel's INIT to be answered: a stat does it (and proves the mount works).
        try:
            os.stat(self.mountpoint)
        except OSError as e:
            self.stop()
            raise UnavailableError(
                f"the FUSE mount at {self.mountpoint} does not answer: {e.strerror}"
            ) from None

    @property
    def alive(self) -> bool:
        """Whether the loop is still running."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the session ends (unmounted from outside, or :meth:`stop`)."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """End the session: lazy unmount, then wait for the loop to return."""
        if self._thread is None:
            return
        with self._handle_lock:
            if self._fuse:
                load_binding()._libfuse.fuse_exit(self._fuse)
        if not self._done.is_set():
            # Set first: the loop can end (and look at it) as soon as the unmount lands, before
            # unmount() returns; libfuse would then try again and print "failed to unmount".
            self._unmounted = True
            try:
                unmount(self.mountpoint, lazy=True)
            except OSError as e:
                if e.errno not in (errno.EINVAL, errno.ENOENT):  # those: gone already (from outside)
                    self._unmounted = False
                    log.warning("unmount of %s failed: %s", self.mountpoint, e)
        if not self._done.wait(timeout):
            log.warning(
                "FUSE loop for %s did not end after unmount (a process still uses it?)", self.mountpoint
            )
        self._thread.join(0.5 if not self._done.is_set() else timeout)

    # ------------------------------------------------------------------ internals

    def _build_ops(self, fuse: Any) -> Any:
        """The binding's ``fuse_operations`` struct wired to ``self.ops`` (what ``FUSE.__init__`` does,
        without mounting): every request goes through :meth:`SysctlOperations.__call__` (counted,
        errors mapped), except the hot ones, which take :func:`_fast_callbacks`."""
        from functools import partial

        shim = object.__new__(fuse.FUSE)
        shim.operations = _Dispatch(self.ops)
        shim.raw_fi = True
        shim.encoding = "utf-8"
        shim.errors = "surrogateescape"
        shim.use_ns = True
        shim._FUSE__critical_exception = None
        # libfuse3 takes use_ino in its fuse_config, which mfusepy's INIT fills from this.
        shim._libfuse2_options_moved_into_libfuse3_config = {"use_ino": 1} if self._options.get("use_ino") else {}
        ops_struct = fuse.fuse_operations()
        major = fuse.fuse_version_major
        fast = _fast_callbacks(fuse, self.ops)
        for field in fuse.fuse_operations._fields_:
            name, prototype = field[:2]
            if not hasattr(prototype, "argtypes"):
                continue
            check = name[1:] if name in ("ftruncate", "fgetattr") else name
            if getattr(self.ops, check, None) is None:
                continue
            if name in _BY_ADDRESS and name in fast:
                # Pointers as plain addresses: no ctypes pointer/struct objects made per request.
                argtypes = [
                    ctypes.c_void_p if t is ctypes.c_char_p or hasattr(t, "contents") else t
                    for t in prototype._argtypes_
                ]
                raw = ctypes.CFUNCTYPE(prototype._restype_, *argtypes)(fast[name])
                self._keep.append(raw)
                callback = ctypes.cast(raw, prototype)
            elif name in fast:
                callback = prototype(fast[name])
            else:
                method = getattr(shim, f"{name}_fuse_{major}", None) or getattr(shim, name)
                callback = prototype(partial(shim._wrapper, method))
            self._keep.append(callback)
            setattr(ops_struct, name, callback)
        if major == 2:
            # libfuse2 otherwise turns the kernel's FATTR_ATIME_NOW/FATTR_MTIME_NOW ("now",
            # utime(path, NULL)) into explicit times before calling utimens, and asks nothing when
            # only one time is set (lib/fuse.c fuse_lib_setattr, 2.9): with the flag, "now" comes as
            # UTIME_NOW and a time left alone as UTIME_OMIT, as libfuse3 always gives them.
            ops_struct.flag_utime_omit_ok = 1
        self._keep.extend([shim, ops_struct])
        return ops_struct

    def _args(self) -> tuple[FuseArgs, Any]:
        options = dict(self._options)
        if self._major == 3:
            for name in _LIBFUSE2_ONLY:
                options.pop(name, None)
        opts = ",".join(k if v is True else f"{k}={v}" for k, v in options.items())
        argv_list = [b"fakeproc", b"-o", opts.encode()]
        argv = (ctypes.c_char_p * len(argv_list))(*argv_list)
        return FuseArgs(len(argv_list), argv, 0), argv

    def _main(self, fuse: Any, ops_struct: Any) -> None:
        lib = fuse._libfuse
        args, argv = self._args()
        mnt = self.mountpoint.encode()
        size = ctypes.sizeof(ops_struct)
        try:
            if self._major == 2:
                chan = lib.fuse_mount(mnt, ctypes.byref(args))
                if not chan:
                    self.error = UnavailableError(_mount_failure_hint(self.mountpoint))
                    return
                handle = fuse.fakeproc_fuse_new(chan, ctypes.byref(args), ctypes.byref(ops_struct), size, None)
                if not handle:
                    lib.fuse_unmount(mnt, chan)
                    self.error = UnavailableError(f"libfuse refused the options {self._options}")
                    return
            else:
                chan = None
                handle = fuse.fakeproc_fuse_new(ctypes.byref(args), ctypes.byref(ops_struct), size, None)
                if not handle:
                    self.error = UnavailableError(f"libfuse refused the options {self._options}")
                    return
                if lib.fuse_mount(handle, mnt) != 0:
                    lib.fuse_destroy(handle)
                    self.error = UnavailableError(_mount_failure_hint(self.mountpoint))
                    return
            self._fuse = handle
            self._mounted.set()
            if self.threaded:
                fuse.fakeproc_fuse_loop_mt(handle)
            elif (self.busy_poll_us > 0 or self.latency_hold_ms > 0) and self._major == 3 and len(
                os.sched_getaffinity(0)
            ) > 1:
                hold = LatencyHold.open(self.latency_hold_ms)
                try:
                    _polling_loop(lib, handle, self.busy_poll_us / 1e6, hold)
                finally:
                    if hold is not None:
                        hold.close()
            elif self._major == 2:
                _libfuse2_loop(lib, handle, self.ops)
            else:
                lib.fuse_loop(handle)
            with self._handle_lock:
                self._fuse = None
            getattr(self.ops, "close_polls", lambda: None)()  # no fuse_notify_poll on a destroyed session
            if self._major == 2:
                # Unmounted already (stop() or from outside): libfuse must not try again and print
                # "failed to unmount"; closing the channel is all that is left.
                lib.fuse_unmount(None if self._unmounted else mnt, chan)
            elif not self._unmounted:
                lib.fuse_unmount(handle)
            lib.fuse_destroy(handle)
        except BaseException as e:  # noqa: BLE001 - reported through start()/error
            self.error = e
        finally:
            lib.fuse_opt_free_args(ctypes.byref(args))
            del argv
            self._mounted.set()
            self._done.set()


def _polling_loop(lib: Any, handle: int, spin: float, hold: LatencyHold | None = None) -> None:
    """``fuse_session_loop`` with a busy-poll: after each request, keep reading ``/dev/fuse``
    without blocking for ``spin`` seconds before sleeping in ``poll``, so that a caller's next
    request, when it comes at once, finds the server awake (no wake-up of a halted vCPU).

    With ``hold``, the first request after a quiet spell turns the CPU latency request on, so that
    the caller's vCPU, idle while it waits for each answer, polls instead of halting; it goes off
    after ``hold.hold`` seconds without a request."""
    session = lib.fuse_get_session(handle)
    fd = lib.fuse_session_fd(session)
    receive, process, exited = lib.fuse_session_receive_buf, lib.fuse_session_process_buf, lib.fuse_session_exited
    buf = FuseBuf()
    ref = ctypes.byref(buf)
    again, interrupted = -errno.EAGAIN, -errno.EINTR
    clock = time.perf_counter
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    os.set_blocking(fd, False)
    try:
        while not exited(session):
            result = receive(session, ref)
            if result == again:
                deadline = clock() + spin
                while result == again and clock() < deadline:
                    result = receive(session, ref)
                if result == again:
                    if hold is not None and hold.held:
                        if not poller.poll(hold.hold * 1e3):
                            hold.release()
                        continue
                    poller.poll(1000)  # also wakes at unmount (POLLERR); the timeout rechecks exited()
                    continue
            if result > 0:
                if hold is not None and not hold.held:
                    hold.acquire()
                process(session, ref)
            elif result != interrupted:
                break  # 0: exited; -ENODEV: unmounted
    finally:
        ctypes.CDLL(None).free(ctypes.c_void_p(buf.mem))


#: FUSE_LSEEK (include/uapi/linux/fuse.h), which libfuse2 does not know (it answers ENOSYS).
_FUSE_LSEEK = 46
_IN_HEADER = struct.Struct("=IIQQIIIHH")  # struct fuse_in_header
_LSEEK_IN = struct.Struct("=QqI")  # struct fuse_lseek_in: fh, offset (the loff_t, signed), whence
_OUT_HEADER = struct.Struct("=IiQ")  # struct fuse_out_header: len, error, unique
_LSEEK_OUT = struct.Struct("=q")  # struct fuse_lseek_out


def _libfuse2_loop(lib: Any, handle: int, ops: SysctlOperations) -> None:
    """libfuse2's ``fuse_session_loop`` (lib/fuse_loop.c, 2.9), answering FUSE_LSEEK itself.

    libfuse2 has no lseek operation: it answers FUSE_LSEEK with ENOSYS, after which the kernel
    stops asking and answers that ``SEEK_DATA``/``SEEK_HOLE`` and every later one itself with
    ``generic_file_llseek``, which takes a negative offset as unsigned (ENXIO where procfs's
    ``default_llseek`` gives EINVAL for ``SEEK_DATA`` and 0 for ``SEEK_HOLE``; fs/fuse/file.c
    ``fuse_lseek``). This loop answers
    FUSE_LSEEK as :meth:`SysctlOperations.lseek` does under libfuse3 (the reply written to
    ``/dev/fuse`` as libfuse's ``fuse_reply_lseek`` would) and hands every other request to libfuse.
    """
    session = lib.fuse_get_session(handle)
    chan = lib.fuse_session_next_chan(session, None)
    fd = lib.fuse_chan_fd(chan)
    size = lib.fuse_chan_bufsize(chan)
    memory = ctypes.create_string_buffer(size)
    address = ctypes.addressof(memory)
    buf = FuseBuf(mem=address)
    current = ctypes.c_void_p(chan)  # the channel libfuse read from (there is one)
    # Pointers as plain addresses (the prototypes take void *): no ctypes objects made per request.
    buf_address, current_address = ctypes.addressof(buf), ctypes.addressof(current)
    receive, process = lib.fuse_session_receive_buf, lib.fuse_session_process_buf
    # exited only reads a flag: called with the GIL kept (PyDLL), which costs less than letting
    # it go and taking it back. (process must let it go: a caller in this process, woken by the
    # reply it writes, needs the GIL to return from its system call.)
    exited = ctypes.PyDLL(None, handle=lib._handle).fuse_session_exited
    exited.argtypes, exited.restype = [ctypes.c_void_p], ctypes.c_int
    interrupted = -errno.EINTR
    opcode_at = ctypes.c_uint32.from_address(address + 4)  # fuse_in_header.opcode
    seek, session_count = ops.session.seek_data_or_hole, ops.session.count
    while not exited(session):
        buf.size = size  # libfuse2 reads into mem, up to size, and sets size to what it read
        result = receive(session, buf_address, current_address)
        if result <= 0:
            if result == interrupted:
                continue
            break  # 0: exited; below: the device is gone (unmounted)
        if opcode_at.value != _FUSE_LSEEK or buf.flags:
            process(session, buf_address, current)
            if buf.flags:  # spliced (FUSE_BUF_IS_FD; only with -o splice_read): read into memory again
                buf.mem, buf.flags = address, 0
            continue
        session_count("lseek")
        unique = _IN_HEADER.unpack_from(memory)[2]
        _fh, offset, whence = _LSEEK_IN.unpack_from(memory, _IN_HEADER.size)
        try:
            reply, error = _LSEEK_OUT.pack(seek(offset, whence)), 0
        except BaseException as e:  # noqa: BLE001 - answered with an errno, as every request
            reply, error = b"", -errno_of(e)
        try:
            os.write(fd, _OUT_HEADER.pack(_OUT_HEADER.size + len(reply), error, unique) + reply)
        except OSError as e:  # ENOENT: the caller was interrupted meanwhile; ENODEV: unmounted
            log.debug("FUSE_LSEEK reply not delivered: %s", e)
    lib.fuse_session_reset(session)


#: Requests whose fast callback takes its pointers (path, buffer, fuse_file_info) as addresses.
_BY_ADDRESS = frozenset({"read", "release", "lseek"})


class _Dispatch:
    """What the binding's request wrappers see as the operations object: every FUSE operation of
    :class:`SysctlOperations` routed through its ``__call__`` (counting, one errno mapping)."""

    use_ns = True

    def __init__(self, ops: SysctlOperations) -> None:
        self._ops = ops

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or getattr(self._ops, name, None) is None:
            raise AttributeError(name)
        ops = self._ops

        def request(*args: Any) -> Any:
            return ops(name, *args)

        request.__name__ = name
        self.__dict__[name] = request  # made once: later lookups find it without __getattr__
        return request


def _fast_callbacks(fuse: Any, ops: SysctlOperations) -> dict[str, Any]:
    """Direct ctypes callbacks for the requests every access makes (LOOKUP/GETATTR, OPEN, READ,
    WRITE, RELEASE) and for directory listings (OPENDIR, READDIR, RELEASEDIR), skipping fusepy's
    per-call wrapper chain and its dict-to-struct copy.

    They call the same :class:`SysctlOperations` methods and turn ``OSError`` into the same
    errno as :meth:`SysctlOperations.__call__`; anything else is logged and becomes EIO.
    """
    c_stat = fuse.c_stat
    template = c_stat()
    template.st_blksize = 1024
    session = ops.session
    sec, nsec = divmod(session.mount_time_ns, 10**9)
    for name in ("st_atimespec", "st_mtimespec", "st_ctimespec"):
        stamp = getattr(template, name, None)
        if stamp is not None:
            stamp.tv_sec, stamp.tv_nsec = sec, nsec
    template_address = ctypes.addressof(template)
    stat_size = ctypes.sizeof(c_stat)
    memmove = ctypes.memmove
    string_at = ctypes.string_at
    files = session.open_files
    ends = session.read_ends
    count = session.count
    counting = session.counts is not None  # fixed for the session's life; skips a call per request
    context = fuse.fuse_get_context
    stat = session.stat
    opendir = session.opendir
    handle_at = ctypes.c_uint64.from_address  # fuse_file_info.fh, read in place
    fh_offset = fuse.fuse_file_info.fh.offset
    # open directory handle -> its names and their attributes (filled c_stats; None: gone meanwhile)
    listings: dict[int, tuple[tuple[bytes, ...], tuple[Any, ...]]] = {}
    dir_handles = itertools.count(1)
    no_stat = c_stat()  # an entry gone since the listing was made: DT_UNKNOWN
    dir_mode = S_IFDIR | 0o555  # '.' and '..': DT_DIR, as procfs's dir_emit_dots gives them (fs/readdir.h)
    major = int(fuse.fuse_version_major)
    session_open = session.open
    session_write = session.write
    append = os.O_APPEND
    # The caller of the request being served: the raw uid, gid and pid of libfuse's struct
    # fuse_context (after its struct fuse pointer), compared as bytes with the handle's last
    # checked caller (Session.check), so a read by its opener costs little more than the comparison.
    # libfuse keeps one context per thread for the thread's life (pthread_getspecific, refilled at
    # each request), so each thread makes its view of it once; threading.local dies with the
    # thread's Python state (a libfuse worker thread that is not Python's gets a fresh one per
    # callback, so the view is never older than the thread's context).
    raw_context = ctypes.CFUNCTYPE(ctypes.c_void_p)(("fuse_get_context", fuse._libfuse))
    ids_offset = ctypes.sizeof(ctypes.c_void_p)
    ids_view = ctypes.c_char * 12
    per_thread = threading.local()
    checked = session.checked
    recheck = session.recheck
    unpack_ids = struct.Struct("=IIi").unpack

    def who() -> bytes:
        try:
            view = per_thread.view
        except AttributeError:
            view = per_thread.view = ids_view.from_address(raw_context() + ids_offset)
        return view.raw  # type: ignore[no-any-return]

    def failed(op: str, exc: BaseException) -> int:
        return -errno_of(exc)

    inode_of = _Inodes().of

    def getattr_cb(path: bytes, buf: Any, fip: Any = None, _keep_alive: Any = template) -> int:
        # use_ino: the attributes carry the path's own inode number (_Inodes).
        try:
            if counting:
                count("getattr")
            st = stat(context(), path.decode("utf-8", "surrogateescape"))
            memmove(buf, template_address, stat_size)
            out = buf.contents
            out.st_ino = inode_of(path)
            out.st_mode = st.mode
            out.st_nlink = st.nlink
            out.st_uid = st.uid
            out.st_gid = st.gid
            return 0
        except BaseException as e:  # noqa: BLE001 - a callback must return an errno, never raise
            return failed("getattr", e)

    def open_cb(path: bytes, fip: Any) -> int:
        try:
            if counting:
                count("open")
            fi = fip.contents
            ids = who()
            fh = fi.fh = session_open(unpack_ids(ids), path.decode("utf-8", "surrogateescape"), fi.flags)
            checked[fh] = (ids, 3)  # the opener passed may_open for what it opened
            fi.direct_io = 1
            fi.keep_cache = 0
            return 0
        except BaseException as e:  # noqa: BLE001
            return failed("open", e)

    def read_cb(path: int | None, buf: int, size: int, offset: int, fip: int) -> int:
        try:
            if counting:
                count("read")
            fh = handle_at(fip + fh_offset).value
            ids = who()
            last = checked.get(fh)
            if last is None or last[0] != ids or not last[1] & 1:
                recheck(fh, ids, write=False)  # sysctl_perm for this reader (EPERM)
            end = ends.get(fh)
            if end is not None and offset >= end:
                return 0  # EOF of an output read whole already (Session.read)
            data = files[fh].read(size, offset)
            n = len(data)
            if offset == 0 and n < size:
                ends[fh] = n
            if n:
                memmove(buf, data, n)
            return n
        except BaseException as e:  # noqa: BLE001
            return failed("read", e)

    def write_cb(path: bytes, buf: Any, size: int, offset: int, fip: Any) -> int:
        try:
            if counting:
                count("write")
            fi = fip.contents
            count_written: int = session_write(fi.fh, string_at(buf, size), offset, append=bool(fi.flags & append),
                                               ctx=who())
            return count_written
        except BaseException as e:  # noqa: BLE001
            return failed("write", e)

    def release_cb(path: int | None, fip: int) -> int:
        if counting:
            count("release")
        fh = handle_at(fip + fh_offset).value
        files.pop(fh, None)
        ends.pop(fh, None)
        checked.pop(fh, None)
        return 0

    def opendir_cb(path: bytes, fip: Any) -> int:
        try:
            if counting:
                count("opendir")
            opendir(context(), path.decode("utf-8", "surrogateescape"))
            fip.contents.fh = next(dir_handles)
            return 0
        except BaseException as e:  # noqa: BLE001
            return failed("opendir", e)

    # (inode, mode, nlink, uid, gid) -> a filled c_stat, kept for later listings of the same entry
    attributes: dict[tuple[int, int, int, int, int], Any] = {}
    listdir_stat = session.listdir_stat

    def attributes_of(ino: int, mode: int, nlink: int = 1, uid: int = 0, gid: int = 0) -> Any:
        key = (ino, mode, nlink, uid, gid)
        filled = attributes.get(key)
        if filled is None:
            if len(attributes) > 65536:
                attributes.clear()  # listings made before keep their own references
            filled = attributes[key] = c_stat()
            memmove(ctypes.addressof(filled), template_address, stat_size)
            filled.st_ino, filled.st_mode, filled.st_nlink, filled.st_uid, filled.st_gid = key
        return filled

    def readdir_cb(path: bytes, buf: Any, filler: Any, offset: int, fip: Any, flags: int = 0) -> int:
        try:
            if counting:
                count("readdir")
            if major == 2:
                return readdir2(path, buf, filler, offset, fip.contents.fh)
            # libfuse3: offsets (each entry's is its index + 1), so that libfuse passes READDIRPLUS
            # attributes on (it ignores them for a listing filled without offsets). With
            # READDIRPLUS each entry carries its attributes (FUSE_FILL_DIR_PLUS) and the kernel
            # makes its dentry now instead of sending a LOOKUP per name (one per file in sysctl -a).
            # One listing per open directory, made at its first READDIR: the later ones (the next
            # buffer, then the empty one at the end) continue it, as libfuse's own buffer did.
            # Its attributes are the lister's, taken with the names (Session.listdir_stat); every
            # entry, plus or not, carries its type and (use_ino) its inode number, '.' and '..'
            # the directory's and its parent's, as procfs's dir_emit_dots.
            handle = fip.contents.fh
            listing = listings.get(handle) if offset else None
            if listing is None:
                listing = listings[handle] = listing_of(path)
            encoded, filled = listing
            plus = _FILL_DIR_PLUS if flags & _READDIR_PLUS else 0
            for index in range(offset, len(encoded)):
                attrs = filled[index]
                if attrs is None:  # gone meanwhile: the kernel's LOOKUP will say
                    if filler(buf, encoded[index], no_stat, index + 1, 0):
                        break
                elif filler(buf, encoded[index], attrs, index + 1, plus if index > 1 else 0):
                    break
            return 0
        except BaseException as e:  # noqa: BLE001
            return failed("readdir", e)

    built: dict[bytes, tuple[Any, tuple[tuple[bytes, ...], tuple[Any, ...]]]] = {}

    def listing_of(path: bytes) -> tuple[tuple[bytes, ...], tuple[Any, ...]]:
        # Names and filled attributes of the directory ``path`` for its lister: each entry's type
        # and (use_ino) inode number, '.' and '..' the directory's and its parent's, as procfs's
        # dir_emit_dots; the same c_stats serve later listings of the same entries. The model
        # gives the very same listing object while nothing in it changed (Kernel.listdir_stat's
        # memo), and then the listing made from it last time is the answer again.
        listed = listdir_stat(context(), path.decode("utf-8", "surrogateescape"))
        memo = built.get(path)
        if memo is not None and memo[0] is listed:
            return memo[1]
        prefix = path.rstrip(b"/") + b"/"
        names = [name.encode("utf-8", "surrogateescape") for name, _st in listed]
        listing = (
            (b".", b"..", *names),
            (
                attributes_of(inode_of(path), dir_mode),
                attributes_of(inode_of(path.rpartition(b"/")[0] or b"/"), dir_mode),
                *[None if st is None else attributes_of(inode_of(prefix + name), st.mode, st.nlink, st.uid, st.gid)
                  for name, (_n, st) in zip(names, listed)],
            ),
        )
        if len(built) > 4096:
            built.clear()
        built[path] = (listed, listing)
        return listing

    def readdir2(path: bytes, buf: Any, filler: Any, offset: int, handle: int) -> int:
        # libfuse2 has no READDIRPLUS; its filler takes each entry's d_type from the stat given
        # (procfs gives DT_DIR/DT_REG) and, with use_ino, its d_ino; with offsets (index + 1, as
        # procfs's f_pos counts entries) the kernel's d_off and seekdir positions are procfs's.
        listing = listings.get(handle) if offset else None
        if listing is None:
            listing = listings[handle] = listing_of(path)
        encoded, filled = listing
        for index in range(offset, len(encoded)):
            if filler(buf, encoded[index], filled[index] or no_stat, index + 1):
                break
        return 0

    seek_data_or_hole = session.seek_data_or_hole

    def lseek_cb(path: int | None, offset: int, whence: int, fip: int) -> int:
        try:
            if counting:
                count("lseek")
            return seek_data_or_hole(offset, whence)
        except BaseException as e:  # noqa: BLE001
            return failed("lseek", e)

    def releasedir_cb(path: bytes, fip: Any) -> int:
        if counting:
            count("releasedir")
        listings.pop(fip.contents.fh, None)
        return 0

    return {
        "opendir": opendir_cb,
        "readdir": readdir_cb,
        "releasedir": releasedir_cb,
        "getattr": getattr_cb,
        "fgetattr": getattr_cb,
        "open": open_cb,
        "read": read_cb,
        "write": write_cb,
        "release": release_cb,
        "lseek": lseek_cb,
    }


class _Inodes:
    """The inode numbers the mount shows (``use_ino``): one per path, for the
    session's life, so ``stat``'s ``st_ino`` and a listing's ``d_ino`` agree for every name, as on
    procfs (each sysctl inode has its own number, ``proc_sys_make_inode`` -> ``get_next_ino``).

    The root is 1: the kernel makes the root inode with ``FUSE_ROOT_ID`` as its number before any
    GETATTR and keeps it (fs/fuse/inode.c ``fuse_get_root_inode``); procfs's ``/proc`` is 1 too, so
    ``..`` of ``/proc/sys`` lists as 1 on both. Other paths take the next number when first seen
    and keep it (a path seen once costs its entry until the session ends, also where its device
    is gone; procfs would give a device that comes back a new number, this table the old one).

    >>> inodes = _Inodes()
    >>> inodes.of(b"/"), inodes.of(b"/kernel"), inodes.of(b"/vm"), inodes.of(b"/kernel")
    (1, 2, 3, 2)
    """

    def __init__(self) -> None:
        self._numbers: dict[bytes, int] = {b"/": 1}
        self._next = itertools.count(2)

    def of(self, path: bytes) -> int:
        """The inode number of ``path`` (as libfuse gives paths: absolute in the mount)."""
        number = self._numbers.get(path)
        if number is None:
            # setdefault: of two threads that see a path first, both get the number that was kept.
            number = self._numbers.setdefault(path, next(self._next))
        return number


def _mount_failure_hint(mountpoint: str) -> str:
    return f"libfuse could not mount {mountpoint} (see its message above)"


