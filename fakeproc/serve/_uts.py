"""Model UTS namespaces whose hostname and domainname live in real UTS namespaces.

Under ``fakeproc run``'s namespace backend, ``uname(2)`` in the command must say what the fake's
``kernel.hostname`` and ``kernel.domainname`` say, and ``hostname NAME`` (``sethostname(2)``)
must show in the fake, as both are one ``uts_ns->name`` in the kernel
(kernel/utsname_sysctl.c). The command therefore runs in a private real UTS namespace, and
the model namespace it maps to keeps those two keys in the real one:

* :class:`RealUts` is one real UTS namespace, held by a descriptor. Reading or setting its
  names enters it from the calling thread only (``setns(2)`` of a UTS namespace is per thread,
  also in a multi-threaded process) and returns to the thread's own namespace at once.
* :class:`UtsValues` is the ``values`` store of such a model namespace: a write stored there
  also sets the real name, and a lookup of either key first takes up a name the real
  namespace gained by ``sethostname``/``setdomainname`` since the last look.
* :func:`start_in_new_uts` makes a new real UTS namespace from a helper thread, names it, and
  starts the command from that thread, so the command is born inside it.

Only the two keys ``sethostname``/``setdomainname`` can change are kept in step; the other
UTS keys (``osrelease``, ``version``...) are read-only in both.
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

from fakeproc.handlers import Value

__all__ = ["UTS_KEYS", "RealUts", "RealUtsEvents", "UtsValues", "start_in_new_uts"]

log = logging.getLogger("fakeproc.serve")

#: ``CLONE_NEWUTS`` (include/uapi/linux/sched.h).
CLONE_NEWUTS = 0x04000000

#: The keys kept in a real UTS namespace, with the ``uname`` field each one is.
UTS_KEYS = {"kernel.hostname": "nodename", "kernel.domainname": "domainname"}

_libc = ctypes.CDLL(None, use_errno=True)
_T = TypeVar("_T")
#: Each thread's own UTS namespace (its nsfs descriptor), to return to after entering another one.
_thread_home = threading.local()


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _set_name(key: str, value: bytes) -> None:
    """``sethostname``/``setdomainname`` in the calling thread's UTS namespace."""
    setter = _libc.sethostname if key == "kernel.hostname" else _libc.setdomainname
    _check(setter(value, len(value)), setter.__name__)


def _names_here() -> dict[str, bytes]:
    """The calling thread's hostname (``uname(2)``) and domainname (``getdomainname``)."""
    buf = ctypes.create_string_buffer(65)
    _check(_libc.getdomainname(buf, 65), "getdomainname")
    return {"kernel.hostname": os.fsencode(os.uname().nodename), "kernel.domainname": buf.value}


class RealUts:
    """One real UTS namespace, held open (so it outlives the processes in it).

    Args:
        fd: A descriptor of its nsfs file (``/proc/PID/ns/uts``); the object owns it.

    Attributes:
        fd: The descriptor.
        inode: The namespace's inode number (the one ``/proc/PID/ns/uts`` links name).
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.inode = os.fstat(fd).st_ino
        self._lock = threading.Lock()

    @classmethod
    def of(cls, pid: int | str) -> RealUts:
        """The UTS namespace of process (or ``"thread-self"``, ``"TGID/task/TID"``) ``pid``.

        Raises:
            OSError: the process is gone or its namespace cannot be opened.
        """
        return cls(os.open(f"/proc/{pid}/ns/uts", os.O_RDONLY | os.O_CLOEXEC))

    def _enter(self) -> int | None:
        """Move the calling thread into this namespace; the descriptor of the one it left (None:
        there is no way back, see :meth:`_leave`).

        Raises:
            OSError: ``setns`` refused (then the thread is where it was).
        """
        home: int | None = getattr(_thread_home, "fd", None)
        if home is None:
            home = _thread_home.fd = os.open("/proc/thread-self/ns/uts", os.O_RDONLY | os.O_CLOEXEC)
        _check(_libc.setns(self.fd, CLONE_NEWUTS), "setns(CLONE_NEWUTS)")
        return home

    @staticmethod
    def _leave(home: int | None) -> None:
        # Refused (EPERM) only where the thread's own namespace belongs to a user namespace above
        # this process's (a normal user's server in its user namespace): the thread then stays,
        # which changes nothing this server looks at.
        if home is not None:
            _libc.setns(home, CLONE_NEWUTS)

    def names(self) -> dict[str, bytes]:
        """``{"kernel.hostname": nodename, "kernel.domainname": domainname}`` of this namespace."""
        with self._lock:
            home = self._enter()
            try:
                return _names_here()
            finally:
                self._leave(home)

    def set(self, key: str, value: bytes) -> None:
        """Set one of :data:`UTS_KEYS` in this namespace (``value``: at most 64 bytes)."""
        with self._lock:
            home = self._enter()
            try:
                _set_name(key, value)
            finally:
                self._leave(home)

    def close(self) -> None:
        """Let go of the namespace (idempotent)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __repr__(self) -> str:
        return f"<RealUts uts:[{self.inode}]>"


class _ChangeWatch:
    """Whether any UTS name may have changed, as cheaply as a ``poll(2)``.

    procfs's ``kernel.hostname`` and ``kernel.domainname`` files signal ``POLLPRI`` after every
    ``sethostname``/``setdomainname`` and every write, in any UTS namespace (one event counter
    per table entry: ``uts_proc_notify``, ``proc_sys_poll``; kernel/utsname_sysctl.c,
    fs/proc/proc_sysctl.c). So a lookup needs to enter a real namespace only after such an
    event. Where ``/proc/sys`` is not procfs (``fakeproc run`` inside ``fakeproc run``), every
    lookup counts as a change.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._poll: select.poll | None = None
        self._fds: list[int] = []
        self._always = False
        self._generation = 0

    def _open(self) -> None:
        self._poll = select.poll()
        try:
            proc_dev = os.stat("/proc").st_dev
            for key in UTS_KEYS:
                fd = os.open("/proc/sys/" + key.replace(".", "/"), os.O_RDONLY | os.O_CLOEXEC)
                self._fds.append(fd)
                if os.fstat(fd).st_dev != proc_dev:
                    self._always = True
                self._poll.register(fd, select.POLLPRI)
        except OSError:
            self._always = True

    def generation(self) -> int:
        """A number that changes after every UTS name change since the previous call."""
        with self._lock:
            if self._poll is None:
                self._open()
            assert self._poll is not None
            if self._always or self._poll.poll(0):
                self._generation += 1
            return self._generation


_WATCH = _ChangeWatch()

#: Per key, how many real notifications this process caused itself (:meth:`UtsValues.__setitem__`
#: mirroring a write the model has notified already); :class:`RealUtsEvents` skips those.
_OWN_SETS = dict.fromkeys(UTS_KEYS, 0)
_OWN_LOCK = threading.Lock()


class RealUtsEvents:
    """Forwards the real kernel's hostname/domainname poll events to the model's counters.

    While UTS namespaces are mirrored, ``hostname NAME`` inside the command changes a real
    namespace, which the model learns only at its next lookup; a poller of the fake's
    ``kernel/hostname`` must be woken at once. A thread sleeps in ``poll(2)`` on this process's
    (real procfs) ``kernel/hostname`` and ``kernel/domainname`` for ``POLLPRI`` and, for each
    event, notifies ``notify(key)`` (``Kernel.polls.notify``), as the kernel's one counter per
    entry is shared by every UTS namespace. Events this process caused by mirroring a write
    (already notified by the model) are skipped; one that coincides with such a write is taken
    for it (a stated limit). Where ``/proc/sys`` is not procfs nothing is forwarded.

    The model also asks before it answers a poll (``add_source``), so a poll made right after
    ``sethostname`` returned sees the change, as on the real kernel.

    Args:
        notify: ``Kernel.polls.notify``.
        add_source: ``Kernel.polls.add_source``.
    """

    def __init__(self, notify: Callable[[str], None],
                 add_source: Callable[[Callable[[], None]], Callable[[], None]]) -> None:
        self._notify = notify
        self._lock = threading.Lock()
        self._check = select.poll()
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC)
        self._fds: dict[int, str] = {}
        try:
            proc_dev = os.stat("/proc").st_dev
            # Two files per key: one the thread sleeps on, one check() looks at; each open file
            # takes an event up at its own poll (proc_sys_poll), so both see every event.
            for key in (*UTS_KEYS, *UTS_KEYS):
                fd = os.open("/proc/sys/" + key.replace(".", "/"), os.O_RDONLY | os.O_CLOEXEC)
                self._fds[fd] = key
                if os.fstat(fd).st_dev != proc_dev:
                    raise OSError("/proc/sys is not procfs")
        except OSError as e:
            log.info("real UTS name changes are not forwarded to pollers of the fake (%s)", e)
            self._close_fds()
        fds = list(self._fds)
        self._wake_fds = fds[len(UTS_KEYS):]
        for fd in fds[:len(UTS_KEYS)]:
            self._check.register(fd, select.POLLPRI)
        self._remove_source = add_source(self.check)
        self._thread = threading.Thread(target=self._run, name="fakeproc-uts-events", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Forward the events the real files report now (each real poll takes its event up)."""
        with self._lock:
            if not self._fds:
                return
            ready = self._check.poll(0)
            for fd, _mask in ready:
                key = self._fds[fd]
                with _OWN_LOCK:
                    own, _OWN_SETS[key] = _OWN_SETS[key], 0
                if not own:
                    self._notify(key)

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._stop_r, select.POLLIN)
        for fd in self._wake_fds:
            poller.register(fd, select.POLLPRI)
        while True:
            ready = poller.poll()
            if any(fd == self._stop_r for fd, _ in ready):
                return
            self.check()

    def _close_fds(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()

    def stop(self) -> None:
        """End the thread and close the descriptors (idempotent)."""
        if self._stop_w >= 0:
            self._remove_source()
            os.write(self._stop_w, b"x")
            self._thread.join(5)
            os.close(self._stop_w)
            os.close(self._stop_r)
            self._stop_w = -1
            with self._lock:
                self._close_fds()


def _shown(value: bytes) -> bytes:
    """What ``uname`` shows of a name set to ``value``: up to the first NUL (``utsname`` is a C string)."""
    return value.split(b"\0", 1)[0]


class UtsValues(dict[str, Value]):
    """The ``values`` of a model UTS namespace whose hostname and domainname live in ``real``.

    A value stored for one of :data:`UTS_KEYS` is set in ``real`` too; a lookup of one of them
    first takes up what ``real`` holds when that changed since the last look (a
    ``sethostname(2)`` by a process inside). Other keys are a plain dict's.

    Limit: ``Kernel.reboot()`` while mirrored clears the model's names but leaves the real ones
    until the next write or ``sethostname`` (the store does not know the profile's defaults).

    Args:
        values: The namespace's values so far.
        real: The real namespace.
        synced: The names ``real`` had when it last agreed with the model (empty: take up
            ``real``'s names at the first lookup).
    """

    def __init__(self, values: Mapping[str, Value], real: RealUts, synced: Mapping[str, bytes] | None = None) -> None:
        super().__init__(values)
        self.real = real
        self._synced = dict(synced or {})
        self._failed = False
        # The change generation last looked at; -1: look at the first lookup whatever it says.
        self._seen = _WATCH.generation() if synced else -1

    def get(self, key: str, default: Value | None = None) -> Value | None:  # type: ignore[override]
        """``dict.get``, after taking up a name the real namespace gained (for :data:`UTS_KEYS`)."""
        if key in UTS_KEYS:
            generation = _WATCH.generation()
            if generation != self._seen:
                self._seen = generation
                self.pull()
        return super().get(key, default)

    def pull(self) -> None:
        """Take up the real namespace's names where they changed since the last sync."""
        try:
            current = self.real.names()
        except OSError as e:
            self._log_failure("read", e)
            return
        for key, name in current.items():
            if self._synced.get(key) != name:
                self._synced[key] = name
                super().__setitem__(key, name)

    def __setitem__(self, key: str, value: Value) -> None:
        super().__setitem__(key, value)
        if key in UTS_KEYS and isinstance(value, bytes):
            with _OWN_LOCK:
                _OWN_SETS[key] += 1  # the real kernel's poll event of this set is ours (RealUtsEvents)
            try:
                self.real.set(key, value)
            except OSError as e:
                self._log_failure("set", e)
                return
            self._synced[key] = _shown(value)

    def _log_failure(self, what: str, e: OSError) -> None:
        if not self._failed:
            self._failed = True
            log.warning("cannot %s the names of real UTS namespace %s (%s); the fake keeps its own",
                        what, self.real, e.strerror or e)

    def plain(self) -> dict[str, Value]:
        """A plain dict of the values, after a last :meth:`pull`."""
        self.pull()
        return dict(self.items())


def start_in_new_uts(names: Mapping[str, bytes], start: Callable[[RealUts], _T]) -> tuple[RealUts, _T]:
    """Make a new real UTS namespace named ``names`` and call ``start(real)`` inside it.

    A helper thread unshares it (``unshare(CLONE_NEWUTS)`` moves only the calling thread), sets
    the names and runs ``start`` there, so a process ``start`` launches is born in it; this
    process's other threads keep their namespace.

    Raises:
        OSError: the kernel refused the namespace or a name (nothing was started then).
        BaseException: whatever ``start`` raised.
    """
    outcome: list[tuple[RealUts, _T]] = []
    failure: list[BaseException] = []

    def body() -> None:
        try:
            _check(_libc.unshare(CLONE_NEWUTS), "unshare(CLONE_NEWUTS)")
            for key, value in names.items():
                _set_name(key, value)
            real = RealUts.of("thread-self")
            try:
                outcome.append((real, start(real)))
            except BaseException:
                real.close()
                raise
        except BaseException as e:  # noqa: BLE001 - handed to the calling thread
            failure.append(e)

    thread = threading.Thread(target=body, name="fakeproc-uts", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
