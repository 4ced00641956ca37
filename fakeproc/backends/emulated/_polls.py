"""The pollable placeholders of the emulated backend (``kernel.hostname``, ``kernel.domainname``):
a change the model notifies is shown on CMD's descriptors of the entry
(:class:`PollPlaceholder`), and taken back when CMD uses the file description (a read, write,
seek or stat of it, ``epoll_ctl`` adding it, ``uname(2)``), as procfs's first poll takes it up."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from fakeproc.backends.emulated._caller_fds import getfd
from fakeproc.backends.emulated._files import OpenFiles
from fakeproc.backends.emulated._placeholders import WATCH_FROM, OpenFile, PollPlaceholder
from fakeproc.backends.seccomp._paths import signed32
from fakeproc.backends.seccomp._supervisor import CONTINUE, Notification, Reply, log

__all__ = ["Polls"]

_EPOLL_CTL_ADD, _EPOLL_CTL_MOD = 1, 3


class Polls:
    """The poll placeholders CMD holds, kept in step with the model's poll events.

    Args:
        files: The table the placeholders' sockets are found in.
        kernel: The model, whose ``polls`` notify changes.
    """

    def __init__(self, files: OpenFiles, kernel: Any) -> None:
        self._files = files
        self._lookup = files.lookup
        self._polled: dict[int, OpenFile] = {}  # socket inode -> file, for the pollable entries
        self.lock = threading.RLock()  # a model poll inside may notify (PollEvents sources)
        self._logged = False  # the stated limit, logged once per run
        self.writing: OpenFile | None = None  # the file a write goes through, while it does
        self._unsubscribe = kernel.polls.subscribe(self._changed)

    def unsubscribe(self) -> None:
        """Stop following the kernel's poll events."""
        self._unsubscribe()

    def close(self) -> None:
        """Close the placeholders' peers (after the run)."""
        with self.lock:
            for f in self._polled.values():
                if f.poll is not None:
                    f.poll.peer.close()
            self._polled.clear()

    def register(self, fd: int, opened: OpenFile) -> None:
        """``opened`` is the file of the new poll placeholder ``fd`` (CMD's end, ours until injected)."""
        ino = os.fstat(fd).st_ino
        self._files.sockets[ino] = opened
        with self.lock:
            self._polled[ino] = opened

    def _changed(self, key: str) -> None:
        """The model notified ``key`` (a write, ``sethostname``): signal its placeholders.

        The stated limit is logged (once per run) when a change is shown on a descriptor other
        than the one written through, i.e. when a watcher may poll it: a plain ``sysctl -a`` or
        ``echo NAME > /proc/sys/kernel/hostname`` logs nothing."""
        with self.lock:
            gone = []
            for ino, f in self._polled.items():
                if f.file.key != key or f.poll is None:
                    continue
                try:
                    if not f.poll.signal():
                        gone.append(ino)
                    elif f is not self.writing and not self._logged:
                        self._logged = True
                        log.warning("fakeproc: poll/select/epoll on emulated /proc/sys/%s report a change "
                                    "until the descriptor is read, written, seeked, stat'ed or added to an epoll "
                                    "set or uname(2) is called, not once per poll as procfs", f.rel)
                except OSError as e:
                    log.warning("fakeproc: a change of %s cannot be shown on its poll placeholder (%s)",
                                key, e.strerror)
            for ino in gone:
                self._forget(ino)

    def _forget(self, ino: int) -> None:
        f = self._polled.pop(ino)
        self._files.sockets.pop(ino, None)
        if f.poll is not None:
            f.poll.peer.close()

    def take_change(self, n: Notification, fd: int, f: OpenFile) -> None:
        """CMD used the file description (``fd`` of ``n.pid``): the change it was shown is taken up."""
        if f.poll is None or not f.poll.pending:
            return
        try:
            own = socket.socket(fileno=getfd(n.pid, fd))
        except OSError:
            return
        with own, self.lock:
            try:
                f.poll.take(own)
            except OSError as e:
                log.warning("fakeproc: the poll placeholder of /proc/sys/%s cannot be reset (%s): "
                            "polls keep reporting a change", f.rel, e.strerror)
            f.file.poll()  # the model's file takes the change up too

    def take_changes_of(self, n: Notification) -> None:
        """``uname(2)``: the caller has looked at the names; take up the changes shown on the
        pollable descriptors it holds."""
        if not any(f.poll is not None and f.poll.pending for f in list(self._polled.values())):
            return
        try:
            fds = [int(x) for x in os.listdir(f"/proc/{n.pid}/fd")]
        except OSError:
            return
        for fd in fds:
            if fd >= WATCH_FROM or fd < 3:
                f = self._lookup(n.pid, fd)
                if f is not None:
                    self.take_change(n, fd, f)

    def new(self, rel: str) -> tuple[int, PollPlaceholder]:
        """CMD's end of a new placeholder socketpair (ours to close after injecting) and the
        supervisor's side (:class:`PollPlaceholder`)."""
        cmd_end, poll = PollPlaceholder.make()
        if self._files.socket_dev is None:
            self._files.socket_dev = os.fstat(cmd_end.fileno()).st_dev
        return cmd_end.detach(), poll

    def sweep(self) -> None:
        """Close the peers of placeholders CMD has closed (keeps the supervisor's descriptors bounded)."""
        with self.lock:
            for ino in [ino for ino, f in self._polled.items() if f.poll is not None and f.poll.closed()]:
                self._forget(ino)

    def epoll_ctl(self, n: Notification) -> Reply:
        """EPOLL_CTL_ADD/MOD poll the file once (fs/eventpoll.c ``ep_insert``/``ep_modify`` call
        ``ep_item_poll``), which takes a change up on procfs: take it back here, and the call
        goes on against the placeholder at rest."""
        if signed32(n.args[1]) in (_EPOLL_CTL_ADD, _EPOLL_CTL_MOD):
            fd = signed32(n.args[2])
            f = self._lookup(n.pid, fd)
            if f is not None and f.poll is not None:
                self.take_change(n, fd, f)
        return CONTINUE
