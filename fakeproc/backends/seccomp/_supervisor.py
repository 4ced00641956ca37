"""Start CMD under a seccomp filter whose listener we hold, and answer its notifications.

A launching thread of the supervisor sets ``PR_SET_NO_NEW_PRIVS`` (unless it holds
CAP_SYS_ADMIN) and ``seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)`` on
itself alone, hands the listener to the serving thread and starts CMD, which inherits the
filter (:class:`_Launch`). The serving thread receives each notification, gives it to the
handler registered for its syscall number, and sends the handler's :class:`Reply` as the
``seccomp_notif_resp`` (unless it was already given with ``SECCOMP_ADDFD_FLAG_SEND``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import select
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from fakeproc.backends.seccomp import _abi
from fakeproc.backends.seccomp._abi import NOTIF, NOTIF_ADDFD, NOTIF_RESP, NR, syscall
from fakeproc.backends.seccomp._memory import Memory
from fakeproc.errors import CommandNotFound, UnavailableError

__all__ = ["CONTINUE", "Notification", "Reply", "SockFprog", "Supervisor", "caller_creds", "has_cap_sys_admin", "log"]

log = logging.getLogger("fakeproc.backends.seccomp")


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer: continue the syscall, or return ``value``, or fail with ``error``;
    ``sent`` when the answer was already given (ADDFD with SEND)."""

    value: int = 0
    error: int = 0
    cont: bool = False
    sent: bool = False


_ZEROS = bytes(NOTIF.size)
_SEND = _abi.SECCOMP_IOCTL_NOTIF_SEND
_RECV = _abi.SECCOMP_IOCTL_NOTIF_RECV
_CONTINUE_FLAG = _abi.SECCOMP_USER_NOTIF_FLAG_CONTINUE
_pack_resp = NOTIF_RESP.pack
_unpack = NOTIF.unpack
CONTINUE = Reply(cont=True)
SENT = Reply(sent=True)


class Notification:
    """One notified syscall: the thread id, the syscall number and its six raw arguments."""

    __slots__ = ("args", "id", "nr", "pid")

    def __init__(self, id: int, pid: int, nr: int, args: tuple[int, ...]) -> None:
        self.id = id
        self.pid = pid
        self.nr = nr
        self.args = args


Handler = Callable[[Notification], Reply]


@dataclass(frozen=True, slots=True)
class Creds:
    """A thread's ids from ``/proc/PID/status``: real, effective and filesystem uid/gid, groups."""

    ruid: int
    euid: int
    fsuid: int
    rgid: int
    egid: int
    fsgid: int
    groups: tuple[int, ...]
    comm: str


_ROOT_CREDS = Creds(0, 0, 0, 0, 0, 0, (), "")


def caller_creds(pid: int) -> Creds:
    """The credentials of thread ``pid``.

    Raises:
        OSError(ESRCH/ENOENT): the thread is gone.
    """
    if os.geteuid() != 0:
        # Unprivileged supervisor: we act as ourselves, and so does CMD (same user, no_new_privs).
        return _ROOT_CREDS
    st = os.stat(f"/proc/{pid}")  # owner = effective ids (of a dumpable task); root is the common case
    if st.st_uid == 0 and st.st_gid == 0:
        return _ROOT_CREDS
    uid = gid = [0, 0, 0, 0]
    groups: tuple[int, ...] = ()
    comm = ""
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"Name:"):
                comm = line[5:].strip().decode("utf-8", "replace")
            elif line.startswith(b"Uid:"):
                uid = [int(x) for x in line.split()[1:5]]
            elif line.startswith(b"Gid:"):
                gid = [int(x) for x in line.split()[1:5]]
            elif line.startswith(b"Groups:"):
                groups = tuple(int(x) for x in line.split()[1:])
                break
    return Creds(uid[0], uid[1], uid[3], gid[0], gid[1], gid[3], groups, comm)


_SETGROUPS, _SETFSUID, _SETFSGID = 116, 122, 123


_UNCHANGED = contextlib.nullcontext()


def acting_as(uid: int, gid: int, groups: tuple[int, ...]) -> contextlib.AbstractContextManager[None]:
    """Make this thread's filesystem accesses use ``uid``/``gid``/``groups`` (root only; the raw
    syscalls change this thread alone, not the FUSE server's threads, unlike glibc's wrappers).
    Root's own ids (the common case) change nothing and cost nothing."""
    if (uid == 0 and gid == 0) or os.geteuid() != 0:
        return _UNCHANGED
    return _acting_as(uid, gid, groups)


@contextlib.contextmanager
def _acting_as(uid: int, gid: int, groups: tuple[int, ...]) -> Iterator[None]:
    saved = os.getgroups()
    arr = (ctypes.c_uint32 * max(1, len(groups)))(*groups)
    syscall(_SETGROUPS, len(groups), arr)
    syscall(_SETFSGID, gid)
    syscall(_SETFSUID, uid)
    try:
        yield
    finally:
        syscall(_SETFSUID, 0)
        syscall(_SETFSGID, 0)
        syscall(_SETGROUPS, len(saved), (ctypes.c_uint32 * max(1, len(saved)))(*saved))


def has_cap_sys_admin() -> bool:
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"CapEff:"):
                return bool(int(line.split()[1], 16) & (1 << 21))
    return False


class Supervisor:
    """A filter plus the handlers that answer it.

    Args:
        program: The BPF filter (``struct sock_filter[]`` bytes, see :func:`_abi.bpf_program`).
        handlers: Syscall number -> handler; a notified syscall without one continues.
    """

    def __init__(self, program: bytes, handlers: Mapping[int, Handler], *, watch_from: int | None = None) -> None:
        self.program = program
        self.handlers = dict(handlers)
        self.watch_from = watch_from
        """The lowest descriptor number whose calls the filter notifies (the emulated backend), if any."""
        self.listener = -1
        self.send_flag = True  # SECCOMP_ADDFD_FLAG_SEND (5.14); cleared on the first EINVAL
        self.sync_wake_up = False
        """Whether the kernel hands notifications over on the caller's CPU (6.6+, see :meth:`run`)."""
        self.mem = Memory()
        """The callers' memory, for the handlers (used from the serving thread only)."""
        self._recv = bytearray(NOTIF.size)
        self.notifications = 0

    # ------------------------------------------------------------------ launch

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None,
            pass_fds: Sequence[int] = ()) -> int:
        """Run ``argv`` under the filter and serve it until it exits; returns its exit status
        (128+N when killed by signal N).

        Raises:
            UnavailableError: the filter could not be installed (the message says why).
            CommandNotFound: ``argv[0]`` does not exist.
        """
        argv = [_find_command(argv[0], (os.environ if env is None else env).get("PATH")), *argv[1:]] if argv else []
        launch = _Launch(self.program, list(argv), env, cwd, tuple(pass_fds), self.watch_from)
        launch.start()
        launch.ready.wait()
        if launch.error is not None:
            launch.stopped.set()
            launch.join()
            raise launch.error
        self.listener = launch.listener
        # Linux 6.6+: wake the supervisor on the caller's CPU and switch to it directly
        # (kernel/seccomp.c, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP). Without it each notification
        # pays a cross-CPU wake-up, several times the cost of answering it. Older kernels: EINVAL.
        try:
            fcntl.ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_SET_FLAGS, _abi.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
            self.sync_wake_up = True
        except OSError as e:
            log.debug("fakeproc: no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP here (%s)", os.strerror(e.errno or 0))
        try:
            self._serve(launch)
        finally:
            os.close(self.listener)
            self.listener = -1
        if launch.error is not None:
            raise launch.error
        assert launch.proc is not None
        code = launch.proc.returncode
        return code if code >= 0 else 128 - code

    def _serve(self, launch: _Launch) -> None:
        forward = _forward_signals(launch)
        try:
            if threading.current_thread() is threading.main_thread():
                self._serve_blocking(launch)
            else:
                self._serve_polling(launch)
        finally:
            launch.stopped.set()
            launch.join()
            forward()

    def _serve_blocking(self, launch: _Launch) -> None:
        # Block in SECCOMP_IOCTL_NOTIF_RECV itself (with SYNC_WAKE_UP the kernel then hands the
        # notification over on the same CPU, several times faster than poll + recv). It returns
        # at once when no process uses the filter any more (_one: False); while processes the
        # command left behind still use it, the launching thread interrupts it with SIGUSR1
        # once the command has exited.
        old = signal.signal(signal.SIGUSR1, lambda *_: None)
        signal.siginterrupt(signal.SIGUSR1, True)
        launch.interrupt = threading.get_ident()
        try:
            while not launch.done.is_set():
                if not self._one():
                    launch.done.wait()  # the command is gone; its exit status is the launcher's to collect
        finally:
            # The launcher sends SIGUSR1 until stopped: stop it before SIGUSR1's old (possibly
            # default, fatal) action comes back.
            launch.stopped.set()
            launch.join()
            signal.signal(signal.SIGUSR1, old)

    def _serve_polling(self, launch: _Launch) -> None:
        """Serve from a thread other than the main one (no signals here): poll the listener and
        the launcher's end-of-command pipe."""
        poller = select.poll()
        poller.register(self.listener, select.POLLIN)
        poller.register(launch.done_r, select.POLLIN)
        while not launch.done.is_set():
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            for fd, ev in events:
                if fd == launch.done_r:
                    # Processes the command left behind get ENOSYS for notified syscalls
                    # once the listener closes (docs/mount.md).
                    return
                if ev & select.POLLIN:
                    self._one()
                elif ev & (select.POLLHUP | select.POLLERR):
                    poller.unregister(self.listener)

    def _one(self) -> bool:
        """Receive one notification and answer it; False when the listener failed for good."""
        buf = self._recv
        buf[:] = _ZEROS  # SECCOMP_IOCTL_NOTIF_RECV wants a zeroed struct
        try:
            fcntl.ioctl(self.listener, _RECV, buf, True)
        except OSError as e:
            if e.errno == errno.ENOENT:  # the caller went away meanwhile, or every process did
                return not self._hung_up()
            return e.errno == errno.EINTR
        self.notifications += 1
        fields = _unpack(buf)  # id, pid, flags, nr, arch, ip, then the six arguments
        nid, nr = fields[0], fields[3]
        handler = self.handlers.get(nr)
        if handler is None:
            self._send(nid, 0, 0, _CONTINUE_FLAG)
            return True
        pid = fields[1]
        n = Notification(nid, pid, nr, fields[6:])
        try:
            reply = handler(n)
        except OSError as e:
            reply = Reply(error=e.errno or errno.EIO)
        except Exception:  # a bug here must not let the syscall reach the real /proc/sys
            log.exception("fakeproc: internal error answering syscall %d of pid %d", nr, pid)
            reply = Reply(error=errno.EIO)
        if reply.sent:
            return True
        if reply.cont:
            self._send(nid, 0, 0, _CONTINUE_FLAG)
        else:
            self._send(nid, reply.value, -reply.error if reply.error else 0, 0)
        return True

    def _hung_up(self) -> bool:
        """Whether no process uses the filter any more (the listener polls POLLHUP)."""
        p = select.poll()
        p.register(self.listener, select.POLLIN)
        return any(ev & select.POLLHUP for _fd, ev in p.poll(0))

    def _send(self, nid: int, value: int, error: int, flags: int) -> None:
        try:
            fcntl.ioctl(self.listener, _SEND, _pack_resp(nid, value, error, flags))
        except OSError:  # ENOENT: the caller was interrupted by a signal
            pass

    # ------------------------------------------------------------------ helpers for handlers

    def valid(self, n: Notification) -> bool:
        """Whether ``n``'s caller still waits (checked before writing its memory: the pid may
        otherwise have been reused)."""
        try:
            fcntl.ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_ID_VALID, n.id.to_bytes(8, "little"))
        except OSError:
            return False
        return True

    def inject(self, n: Notification, fd: int, *, cloexec: bool, at: int | None = None, send: bool = True) -> Reply:
        """Install our ``fd`` in the caller (at the lowest free number, or at ``at``) as the
        syscall's result; with ``send=False`` the answer is left to the returned :class:`Reply`
        (so that the caller may close ``fd`` before the syscall returns)."""
        flags = 0 if at is None else _abi.SECCOMP_ADDFD_FLAG_SETFD
        newfd_flags = os.O_CLOEXEC if cloexec else 0
        if self.send_flag and send:
            try:
                self._addfd(n.id, flags | _abi.SECCOMP_ADDFD_FLAG_SEND, fd, at or 0, newfd_flags)
                return SENT
            except OSError as e:
                if e.errno != errno.EINVAL or at is not None and at < 0:
                    raise
                self.send_flag = False  # kernel < 5.14: add, then answer separately
        return Reply(value=self._addfd(n.id, flags, fd, at or 0, newfd_flags))

    def _addfd(self, nid: int, flags: int, srcfd: int, newfd: int, newfd_flags: int) -> int:
        arg = bytearray(NOTIF_ADDFD.pack(nid, flags, srcfd, newfd & 0xFFFFFFFF, newfd_flags))
        return int(fcntl.ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_ADDFD, arg, True))


#: Searched after ``PATH`` when it lacks them: Debian's PATH for normal users has no sbin, where
#: sysctl lives (the sandbox layer's ``find_tool`` does the same for ``fakeproc run``).
SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def _find_command(name: str, path: str | None) -> str:
    """``name`` as given when ``path`` finds it (or it has a slash), else from the sbin directories."""
    if "/" in name or shutil.which(name, path=path) is not None:
        return name
    return shutil.which(name, path=os.pathsep.join(SBIN_DIRS)) or name


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _install_error(err: int, what: str) -> str:
    if what == "seccomp":
        return (f"fakeproc: a new seccomp filter is refused here ({os.strerror(err)}): a seccomp "
                "policy (e.g. a container's profile) forbids seccomp(2); allow it, or use the "
                "namespaces backend")
    return f"fakeproc: cannot set no_new_privs ({os.strerror(err)})"


class _Launch(threading.Thread):
    """The thread that starts the command and then waits for it.

    It installs the filter on itself alone (``no_new_privs`` and seccomp filters belong to one
    thread; the supervisor's other threads stay unfiltered), hands the listener over through
    :attr:`ready`, then starts the command with ``subprocess`` without ``preexec_fn``: the child
    inherits the filter, and Python can use vfork instead of copying a large supervisor's page
    tables and running Python code in the child (about 2 ms a command). While it starts the
    command, its own notified syscalls (and the vfork child's, before exec) are answered by the
    serving thread. It then reaps the command, sets :attr:`done`, and interrupts the serving
    thread's blocking receive (SIGUSR1 to :attr:`interrupt`) until :attr:`stopped`.
    """

    def __init__(self, program: bytes, argv: list[str], env: Mapping[str, str] | None, cwd: str | None,
                 pass_fds: tuple[int, ...], watch_from: int | None = None) -> None:
        super().__init__(name="fakeproc-seccomp-launch", daemon=True)
        self.program = program
        self.argv = argv
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.pass_fds = pass_fds
        self.watch_from = watch_from
        self.listener = -1
        self.proc: subprocess.Popen[bytes] | None = None
        self.error: Exception | None = None
        self.ready = threading.Event()
        self.done = threading.Event()
        self.stopped = threading.Event()
        self.interrupt: int | None = None
        self.done_r, self._done_w = os.pipe2(os.O_CLOEXEC)

    def run(self) -> None:
        try:
            self._launch()
        finally:
            self.ready.set()
            self.done.set()
            os.close(self._done_w)
            while self.interrupt is not None and not self.stopped.is_set():
                with contextlib.suppress(ProcessLookupError):
                    signal.pthread_kill(self.interrupt, signal.SIGUSR1)
                self.stopped.wait(0.05)
            self.stopped.wait()
            os.close(self.done_r)

    def _fds_unwatched(self) -> bool:
        """Whether the descriptors the child handles before exec are below the watched ones."""
        if self.watch_from is None:
            return True
        if any(fd >= self.watch_from for fd in self.pass_fds):
            return False
        probe = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)  # the next pipe lands about here
        os.close(probe)
        return probe < self.watch_from - 16

    def _launch(self) -> None:
        # With vfork this thread holds the GIL until the child execs, so the child must make no
        # notified syscall before exec: the serving thread could not answer it. It makes one for
        # a cwd (chdir), where close_range(2) is refused (CPython then lists /proc/self/fd), and
        # under a filter watching descriptors (the emulated backend) when the ones it handles
        # (passed descriptors, its error pipe) may be watched. There the child is forked instead
        # (a Python preexec_fn forces fork), and then also gets the parent-death signal.
        vfork = self.cwd is None and _close_range_works() and self._fds_unwatched()
        libc = _abi.libc
        buf = ctypes.create_string_buffer(self.program, len(self.program))
        fprog = SockFprog(len(self.program) // 8, ctypes.addressof(buf))
        if not has_cap_sys_admin() and libc.prctl(_abi.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            self.error = UnavailableError(_install_error(ctypes.get_errno(), "nnp"))
            return
        fd = libc.syscall(ctypes.c_long(NR["seccomp"]), ctypes.c_long(_abi.SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(_abi.SECCOMP_FILTER_FLAG_NEW_LISTENER), ctypes.byref(fprog))
        if fd < 0:
            self.error = UnavailableError(_install_error(ctypes.get_errno(), "seccomp"))
            return
        self.listener = fd
        self.ready.set()
        try:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, pass_fds=self.pass_fds,
                                         close_fds=True, preexec_fn=None if vfork else _die_with_parent)  # noqa: PLW1509
        except FileNotFoundError as e:
            self.error = CommandNotFound(f"{self.argv[0]}: command not found")
            self.error.__cause__ = e
            return
        except Exception as e:  # noqa: BLE001 - handed to the serving thread, which raises it
            self.error = e
            return
        self.proc.wait()


def _die_with_parent() -> None:
    """In a forked child: SIGKILL when the launching thread ends (it outlives the command)."""
    _abi.libc.prctl(_abi.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_CLOSE_RANGE = 436  # arch/x86/entry/syscalls/syscall_64.tbl
_close_range_ok: bool | None = None


def _close_range_works() -> bool:
    """Whether close_range(2) works here (Linux 5.9; a seccomp profile may refuse it)."""
    global _close_range_ok
    if _close_range_ok is None:
        unused = ctypes.c_uint(0xFFFFFFFE)  # no such descriptor: closing it changes nothing
        _close_range_ok = _abi.libc.syscall(ctypes.c_long(_CLOSE_RANGE), unused, unused, ctypes.c_uint(0)) == 0
    return _close_range_ok


def _forward_signals(launch: _Launch) -> Callable[[], None]:
    """Forward SIGTERM and SIGHUP to the command (Ctrl-C reaches it through the terminal)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can only be set from the main thread
    old = {}

    def forward(signum: int, _frame: object) -> None:
        if launch.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                launch.proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        old[sig] = signal.signal(sig, forward)
    # Ctrl-C reaches the command through the terminal; the supervisor must outlive it, or the
    # command's notified syscalls would fail with ENOSYS.
    old[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def restore() -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    return restore
