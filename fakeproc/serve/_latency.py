"""Keep idle CPUs quick to wake while a server answers requests: a CPU latency QoS request.

Every request to a FUSE server (or a seccomp supervisor) puts the caller to sleep until the
answer comes. On a VM whose idle CPUs halt, that answer has to wake a halted vCPU: an IPI that
leaves the guest and the host scheduling the vCPU's thread again, which costs more than
answering the request. A CPU latency QoS request of 0 µs (``/dev/cpu_dma_latency``,
Documentation/power/pm_qos_interface.rst; what cyclictest and tuned's latency-performance
profile ask for) makes the cpuidle governor keep idle CPUs in the POLL state instead, so a
wake-up is a flag the idle loop sees at once.

The request is the kernel's per open file: the process's own, dropped when the file closes
(also when the process dies), and made machine-wide only while it lasts. :class:`LatencyHold`
asks for 0 µs while requests keep coming and goes back to the default (``-1``,
``PM_QOS_DEFAULT_VALUE``) after ``hold`` seconds without one, so an idle mount costs nothing.
"""

from __future__ import annotations

import logging
import os
import struct

from fakeproc._env import env_number

__all__ = ["DEVICE", "SERVING_HOLD_MS", "LatencyHold", "serving_hold_ms"]

log = logging.getLogger("fakeproc.serve")

#: The kernel's CPU latency QoS device (root only: mode 0600).
DEVICE = "/dev/cpu_dma_latency"

#: How long (ms) a busy-polling server keeps idle CPUs polling after its last request.
SERVING_HOLD_MS = 50.0

_ZERO = struct.pack("=i", 0)
_DEFAULT = struct.pack("=i", -1)  # PM_QOS_DEFAULT_VALUE: the request's default, no constraint


def serving_hold_ms() -> float:
    """The hold of a busy-polling server: ``$FAKEPROC_CPU_LATENCY_HOLD_MS`` when set (0 turns it
    off), else :data:`SERVING_HOLD_MS`."""
    return env_number("FAKEPROC_CPU_LATENCY_HOLD_MS", SERVING_HOLD_MS)


class LatencyHold:
    """A 0 µs CPU latency request, on while requests come and off ``hold`` seconds after the last.

    Args:
        hold: Seconds to keep the request after the last :meth:`acquire` (the server's wait
            timeout while held).
        device: The QoS device (default :data:`DEVICE`; a test gives a plain file).

    Attributes:
        held: Whether the 0 µs request is on now.
        hold: As given.
    """

    def __init__(self, hold: float, device: str | None = None) -> None:
        self.hold = hold
        self.held = False
        self._fd = os.open(device or DEVICE, os.O_WRONLY | os.O_CLOEXEC)

    @classmethod
    def open(cls, hold_ms: float, device: str | None = None) -> LatencyHold | None:
        """A hold of ``hold_ms``, or None when it is 0 or the device cannot be opened (not root)."""
        if hold_ms <= 0:
            return None
        device = device or DEVICE
        try:
            return cls(hold_ms / 1e3, device)
        except OSError as e:
            log.debug("no CPU latency request (%s: %s): idle CPUs may halt between requests", device, e.strerror)
            return None

    def acquire(self) -> None:
        """Ask for 0 µs (idle CPUs poll) until :meth:`release`."""
        if not self.held and self._fd >= 0:
            self.held = self._write(_ZERO)

    def release(self) -> None:
        """Withdraw the request (back to the default)."""
        if self.held:
            self._write(_DEFAULT)
            self.held = False

    def _write(self, value: bytes) -> bool:
        try:
            os.write(self._fd, value)
        except OSError as e:  # the device refused: serve on without it
            log.debug("CPU latency request refused: %s", e.strerror)
            self.close()
            return False
        return True

    def close(self) -> None:
        """Drop the request for good (closing the file removes it in the kernel)."""
        self.held = False
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
