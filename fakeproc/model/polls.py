"""What ``poll(2)`` reports on a ``/proc/sys`` file: the kernel's ``ctl_table_poll``.

A sysctl entry with a ``.poll`` (fs/proc/proc_sysctl.c, include/linux/sysctl.h) has one event
counter, shared by every namespace that shows the entry (the ``ctl_table_poll`` hangs off the one
static ``uts_kern_table``, kernel/utsname_sysctl.c). The counter goes up at every
``proc_sys_poll_notify``: a write through the file (``proc_do_uts_string`` notifies after any
write, even one of zero bytes or of the same value) and ``sethostname(2)``/``setdomainname(2)``
(kernel/sys.c ``uts_proc_notify``). An open file takes the counter's value at open
(``proc_sys_open``); ``proc_sys_poll`` reports ``EPOLLIN|EPOLLRDNORM|EPOLLERR|EPOLLPRI`` when
it differs and takes the new value at once, so the next poll without a new change reports
``DEFAULT_POLLMASK`` again. Entries without ``.poll`` and directories always report
``DEFAULT_POLLMASK``; a file whose entry is gone (a removed device) reports
``EPOLLERR|EPOLLHUP``.

>>> events = PollEvents()
>>> seen = events.event("kernel.hostname")
>>> events.notify("kernel.hostname")
>>> events.mask("kernel.hostname", seen) == (CHANGED_POLLMASK, seen + 1)
True
>>> events.mask("kernel.hostname", seen + 1) == (DEFAULT_POLLMASK, seen + 1)
True
>>> events.event("vm.swappiness") is None
True
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable

__all__ = ["CHANGED_POLLMASK", "DEFAULT_POLLMASK", "GONE_POLLMASK", "POLLABLE", "PollEvents", "PollListener"]

#: The entries that have a ``.poll`` (kernel/utsname_sysctl.c: ``hostname_poll``,
#: ``domainname_poll``; no other table of 4.15-6.18 has one).
POLLABLE = frozenset({"kernel.hostname", "kernel.domainname"})

#: ``DEFAULT_POLLMASK`` (include/linux/poll.h): what a file without a change (or without ``.poll``) reports.
DEFAULT_POLLMASK = select.POLLIN | select.POLLOUT | select.POLLRDNORM | select.POLLWRNORM
#: ``proc_sys_poll`` after a change: no POLLOUT/POLLWRNORM.
CHANGED_POLLMASK = select.POLLIN | select.POLLRDNORM | select.POLLERR | select.POLLPRI
#: ``proc_sys_poll`` on a file whose entry was unregistered since it was opened.
GONE_POLLMASK = select.POLLERR | select.POLLHUP

#: Called with the key after each notification (outside the model's lock).
PollListener = Callable[[str], None]


class PollEvents:
    """The event counter of each pollable entry, and who to wake when one goes up.

    Backends that cannot call back into a waiting ``poll(2)`` themselves (a FUSE server's
    ``fuse_notify_poll``, the emulated backend's placeholder sockets) subscribe a listener.
    """

    def __init__(self, pollable: frozenset[str] = POLLABLE) -> None:
        #: Entry -> its counter (read it, never write it: :meth:`notify` does).
        self.counts = dict.fromkeys(pollable, 0)
        self._listeners: list[PollListener] = []
        self._sources: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def event(self, key: str) -> int | None:
        """The entry's counter now (what an open takes), or None for an entry without ``.poll``."""
        return self.counts.get(key)

    def notify(self, key: str) -> None:
        """``proc_sys_poll_notify``: one more event for ``key`` (nothing for an entry without
        ``.poll``), then every listener is called."""
        with self._lock:
            if key not in self.counts:
                return
            self.counts[key] += 1
            listeners = list(self._listeners)
        for listener in listeners:
            listener(key)

    def mask(self, key: str, seen: int | None) -> tuple[int, int | None]:
        """``proc_sys_poll`` for a file of ``key`` that last saw event ``seen``: (the mask, what the
        file has seen now)."""
        if seen is not None:
            for source in list(self._sources):
                source()
        current = self.counts.get(key)
        if current is None or seen is None or current == seen:
            return DEFAULT_POLLMASK, seen
        return CHANGED_POLLMASK, current

    def add_source(self, source: Callable[[], None]) -> Callable[[], None]:
        """Call ``source()`` before each :meth:`mask` of a pollable file, so that changes made
        outside the model (a real UTS namespace it mirrors) are notified before the answer;
        returns the function that removes it."""
        with self._lock:
            self._sources.append(source)

        def remove() -> None:
            with self._lock:
                if source in self._sources:
                    self._sources.remove(source)

        return remove

    def subscribe(self, listener: PollListener) -> Callable[[], None]:
        """Call ``listener(key)`` after each notification; returns the function that stops it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe
