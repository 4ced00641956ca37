"""Start CMD under a seccomp filter whose listener we hold, and answer its notifications.

The child (before exec): ``PR_SET_NO_NEW_PRIVS`` (unless it holds CAP_SYS_ADMIN),
``seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)``, the listener sent to
the parent over a socketpair, exec. The parent polls the listener and a pidfd of the child;
each notification goes to the handler registered for its syscall number, whose :class:`Reply`
becomes the ``seccomp_notif_resp`` (or was already given with ``SECCOMP_ADDFD_FLAG_SEND``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from fakeproc.backends.seccomp import _abi
from fakeproc.backends.seccomp._abi import (
    NR,
    SeccompNotif,
    SeccompNotifAddfd,
    SeccompNotifResp,
    ioctl,
    syscall,
)
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


CONTINUE = Reply(cont=True)
SENT = Reply(sent=True)


class Notification:
    """One notified syscall: the thread id, the syscall number and its six raw arguments."""

    __slots__ = ("args", "id", "nr", "pid")

    def __init__(self, notif: SeccompNotif) -> None:
        self.id = int(notif.id)
        self.pid = int(notif.pid)
        self.nr = int(notif.data.nr)
        self.args = tuple(int(a) for a in notif.data.args)


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


@contextlib.contextmanager
def acting_as(uid: int, gid: int, groups: tuple[int, ...]) -> Iterator[None]:
    """Make this thread's filesystem accesses use ``uid``/``gid``/``groups`` (root only; the raw
    syscalls change this thread alone, not the FUSE server's threads, unlike glibc's wrappers)."""
    if os.geteuid() != 0 or (uid == 0 and gid == 0):
        yield
        return
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

    def __init__(self, program: bytes, handlers: Mapping[int, Handler]) -> None:
        self.program = program
        self.handlers = dict(handlers)
        self.listener = -1
        self.send_flag = True  # SECCOMP_ADDFD_FLAG_SEND (5.14); cleared on the first EINVAL
        self._notif = SeccompNotif()
        self._resp = SeccompNotifResp()
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
        buf = ctypes.create_string_buffer(self.program, len(self.program))
        fprog = SockFprog(len(self.program) // 8, ctypes.addressof(buf))
        need_nnp = not has_cap_sys_admin()
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        libc = _abi.libc

        def install() -> None:  # runs in the child between fork and exec: no allocations of note
            libc.prctl(_abi.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if need_nnp and libc.prctl(_abi.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                child_sock.send(b"E%d nnp" % ctypes.get_errno())
                raise OSError(ctypes.get_errno(), "prctl")
            fd = libc.syscall(ctypes.c_long(NR["seccomp"]), ctypes.c_long(_abi.SECCOMP_SET_MODE_FILTER),
                              ctypes.c_long(_abi.SECCOMP_FILTER_FLAG_NEW_LISTENER), ctypes.byref(fprog))
            if fd < 0:
                child_sock.send(b"E%d seccomp" % ctypes.get_errno())
                raise OSError(ctypes.get_errno(), "seccomp")
            socket.send_fds(child_sock, [b"L"], [fd])
            os.close(fd)

        try:
            try:
                # The filter must be installed by the child itself, between fork and exec; install()
                # only makes ctypes calls and one sendmsg, so the usual preexec_fn hazards with
                # threads (locks held at fork) do not arise.
                proc = subprocess.Popen(list(argv), env=dict(env) if env is not None else None, cwd=cwd,
                                        preexec_fn=install,  # noqa: PLW1509
                                        pass_fds=tuple(pass_fds), close_fds=True)
            except FileNotFoundError as e:
                raise CommandNotFound(f"{argv[0]}: command not found") from e
            except subprocess.SubprocessError as e:
                msg = parent_sock.recv(64) if select.select([parent_sock], [], [], 0)[0] else b""
                raise UnavailableError(_install_error(msg)) from e
            child_sock.close()
            msg, fds, _flags, _addr = socket.recv_fds(parent_sock, 16, 1)
            if not fds:
                proc.kill()
                proc.wait()
                raise UnavailableError(_install_error(msg))
            self.listener = fds[0]
        finally:
            parent_sock.close()
            with contextlib.suppress(OSError):
                child_sock.close()
        with contextlib.suppress(OSError):
            ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                  ctypes.c_ulong(_abi.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP))
        try:
            self._serve(proc)
        finally:
            os.close(self.listener)
            self.listener = -1
        return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode

    def _serve(self, proc: subprocess.Popen[bytes]) -> None:
        import threading

        forward = _forward_signals(proc)
        if threading.current_thread() is not threading.main_thread():
            try:
                self._serve_polling(proc)
            finally:
                forward()
            return
        # Block in SECCOMP_IOCTL_NOTIF_RECV itself (with SYNC_WAKE_UP the kernel then hands the
        # notification over on the same CPU, several times faster than poll + recv). A waiter
        # thread interrupts it with SIGUSR1 once the command has exited.
        done = threading.Event()
        me = threading.get_ident()
        old = signal.signal(signal.SIGUSR1, lambda *_: None)
        signal.siginterrupt(signal.SIGUSR1, True)

        def waiter() -> None:
            proc.wait()
            done.set()
            while not stopped.wait(0.05):
                with contextlib.suppress(ProcessLookupError):
                    signal.pthread_kill(me, signal.SIGUSR1)

        stopped = threading.Event()
        t = threading.Thread(target=waiter, name="fakeproc-seccomp-wait", daemon=True)
        t.start()
        try:
            while not done.is_set():
                self._one()
        finally:
            stopped.set()
            t.join()
            signal.signal(signal.SIGUSR1, old)
            forward()

    def _serve_polling(self, proc: subprocess.Popen[bytes]) -> None:
        pidfd = syscall(NR["pidfd_open"], proc.pid, 0)
        poller = select.poll()
        poller.register(self.listener, select.POLLIN)
        poller.register(pidfd, select.POLLIN)
        try:
            while True:
                try:
                    events = poller.poll()
                except InterruptedError:
                    continue
                for fd, ev in events:
                    if fd == pidfd:
                        # Processes the command left behind get ENOSYS for notified syscalls
                        # once the listener closes (docs/mount.md).
                        proc.wait()
                        return
                    if ev & select.POLLIN:
                        self._one()
                    elif ev & (select.POLLHUP | select.POLLERR):
                        poller.unregister(self.listener)
        finally:
            os.close(pidfd)

    def _one(self) -> bool:
        notif = self._notif
        ctypes.memset(ctypes.byref(notif), 0, ctypes.sizeof(notif))
        try:
            ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_RECV, ctypes.byref(notif))
        except OSError as e:
            return e.errno in (errno.ENOENT, errno.EINTR)  # ENOENT: the caller went away meanwhile
        self.notifications += 1
        n = Notification(notif)
        handler = self.handlers.get(n.nr)
        try:
            reply = handler(n) if handler is not None else CONTINUE
        except OSError as e:
            reply = Reply(error=e.errno or errno.EIO)
        except Exception:  # a bug here must not let the syscall reach the real /proc/sys
            log.exception("fakeproc: internal error answering syscall %d of pid %d", n.nr, n.pid)
            reply = Reply(error=errno.EIO)
        if reply.sent:
            return True
        resp = self._resp
        resp.id = n.id
        if reply.cont:
            resp.val, resp.error, resp.flags = 0, 0, _abi.SECCOMP_USER_NOTIF_FLAG_CONTINUE
        else:
            resp.val, resp.error, resp.flags = reply.value, -reply.error if reply.error else 0, 0
        with contextlib.suppress(OSError):  # ENOENT: the caller was interrupted by a signal
            ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_SEND, ctypes.byref(resp))
        return True

    # ------------------------------------------------------------------ helpers for handlers

    def valid(self, n: Notification) -> bool:
        """Whether ``n``'s caller still waits (checked before writing its memory: the pid may
        otherwise have been reused)."""
        try:
            ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_ID_VALID, ctypes.byref(ctypes.c_uint64(n.id)))
        except OSError:
            return False
        return True

    def inject(self, n: Notification, fd: int, *, cloexec: bool, at: int | None = None) -> Reply:
        """Install our ``fd`` in the caller (at the lowest free number, or at ``at``) as the
        syscall's result."""
        addfd = SeccompNotifAddfd()
        addfd.id = n.id
        addfd.srcfd = fd
        addfd.newfd_flags = os.O_CLOEXEC if cloexec else 0
        flags = 0
        if at is not None:
            flags |= _abi.SECCOMP_ADDFD_FLAG_SETFD
            addfd.newfd = at
        if self.send_flag:
            addfd.flags = flags | _abi.SECCOMP_ADDFD_FLAG_SEND
            try:
                ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_ADDFD, ctypes.byref(addfd))
                return SENT
            except OSError as e:
                if e.errno != errno.EINVAL or at is not None and at < 0:
                    raise
                self.send_flag = False  # kernel < 5.14: add, then answer separately
        addfd.flags = flags
        newfd = ioctl(self.listener, _abi.SECCOMP_IOCTL_NOTIF_ADDFD, ctypes.byref(addfd))
        return Reply(value=newfd)


#: Searched after ``PATH`` when it lacks them: Debian's PATH for normal users has no sbin, where
#: sysctl lives (the sandbox layer's ``find_tool`` does the same for ``fakeproc run``).
SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def _find_command(name: str, path: str | None) -> str:
    """``name`` as given when ``path`` finds it (or it has a slash), else from the sbin directories."""
    if "/" in name or shutil.which(name, path=path) is not None:
        return name
    for directory in SBIN_DIRS:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return name


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _install_error(msg: bytes) -> str:
    text = msg.decode("ascii", "replace")
    if text.startswith("E"):
        code, _, what = text[1:].partition(" ")
        err = int(code) if code.isdigit() else errno.EPERM
        if what == "seccomp":
            return (f"fakeproc: a new seccomp filter is refused here ({os.strerror(err)}): a seccomp "
                    "policy (e.g. a container's profile) forbids seccomp(2); allow it, or use the "
                    "namespaces backend")
        return f"fakeproc: cannot set no_new_privs ({os.strerror(err)})"
    return "fakeproc: the command did not start under the seccomp filter"


def _forward_signals(proc: subprocess.Popen[bytes]) -> Callable[[], None]:
    """Forward SIGTERM and SIGHUP to the command (Ctrl-C reaches it through the terminal)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can only be set from the main thread
    old = {}

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        old[sig] = signal.signal(sig, forward)
    # Ctrl-C reaches the command through the terminal; the supervisor must outlive it, or the
    # command's notified syscalls would fail with ENOSYS.
    old[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def restore() -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    return restore
