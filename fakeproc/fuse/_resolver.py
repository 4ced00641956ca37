"""Which model namespaces a FUSE caller lives in (the LXCFS technique).

FUSE tells the server the pid of the calling thread. Its real namespaces are
the inodes of ``/proc/PID/ns/{ipc,net,uts,user}``. The resolver maps each real
namespace inode to one model :class:`~fakeproc.model.Namespace`:

* The server's own namespaces (or those of a chosen reference process) map to
  the *base* set: the kernel's initial namespaces, or a labelled set.
* A real namespace seen for the first time gets a new model namespace, made
  with the kernel's creation rule for its type (``Kernel.unshare``). Its parent
  is the model namespace of the caller's nearest ancestor process that lives
  in a different namespace of that type (where ``unshare(1)`` or ``clone(2)``
  ran), else the base one. A new IPC, net or UTS namespace is owned by the
  caller's (model) user namespace.
* Namespace inode numbers are reused by the kernel once a namespace dies. Each
  model namespace keeps an *anchor* process (the topmost ancestor of its first
  caller still inside it). A new process presenting a known inode is trusted
  when the anchor is alive in it, or when its own topmost same-namespace
  ancestor started before the namespace was last used; otherwise the old
  model namespace is dropped and a fresh one made.
* Callers that cannot be attributed (pid 0 because the server sits in a child
  pid namespace, ``/proc/PID/ns`` unreadable) get the base set, and one log line.
* Every few seconds, model namespaces whose real namespace no longer has a
  process in it are reclaimed with ``Kernel.drop_namespaces``.

Divergence: a real namespace kept alive only by a bind mount of its ns file or
an open ns fd (no process inside) is treated as gone; its values are dropped.

>>> NS_TYPES
('ipc', 'net', 'uts', 'user')
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakeproc.model import Kernel, Namespace, NamespaceSet

__all__ = ["NS_TYPES", "CallerInfo", "NamespaceResolver"]

log = logging.getLogger("fakeproc.fuse")

#: The namespace types that hold sysctl values, in ``NamespaceSet`` field order.
NS_TYPES = ("ipc", "net", "uts", "user")

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_SWEEP_INTERVAL = 5.0
_PID_CACHE_MAX = 4096
_LOG_LIMIT = 50
#: A process whose start is this close to the namespace's last use is not trusted (clock tick jitter).
_START_MARGIN = 0.05


@dataclass
class _Entry:
    """One real namespace (by inode) and its model namespace."""

    ns: Namespace
    anchor_pid: int
    anchor_start: int
    last_seen: float


@dataclass(frozen=True)
class CallerInfo:
    """What the resolver learnt about one caller: its namespaces' inodes (None if unknown)."""

    pid: int
    inodes: tuple[int, int, int, int] | None


def _boottime() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def _ns_inodes(pid: int | str) -> tuple[int, int, int, int]:
    """The (ipc, net, uts, user) namespace inode numbers of ``pid`` (``readlink`` is about twice
    as fast as ``stat`` on these links: it does not have to open the nsfs inode)."""
    base = f"/proc/{pid}/ns/"
    rl = os.readlink
    # "ipc:[4026531839]" -> 4026531839
    return (
        int(rl(base + "ipc")[5:-1]),
        int(rl(base + "net")[5:-1]),
        int(rl(base + "uts")[5:-1]),
        int(rl(base + "user")[6:-1]),
    )


def _stat_fields(pid: int) -> tuple[int, int] | None:
    """(ppid, starttime in clock ticks) of ``pid``, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[1]), int(fields[19])


class NamespaceResolver:
    """Maps FUSE callers (pids) to model namespace sets.

    Args:
        kernel: The model.
        base: The model set the reference namespaces map to (default: ``kernel.init_ns``).
        reference_pid: The process whose real namespaces are the base ones
            (default: the server's own process).

    Attributes:
        kernel: The model.
        base: The base model set.
        base_inodes: The reference process's namespace inodes (ipc, net, uts, user).
    """

    def __init__(
        self, kernel: Kernel, base: NamespaceSet | None = None, reference_pid: int | None = None
    ) -> None:
        self.kernel = kernel
        self.base = base if base is not None else kernel.init_ns
        self.base_inodes = _ns_inodes(reference_pid if reference_pid is not None else "self")
        self._known: dict[str, dict[int, _Entry]] = {t: {} for t in NS_TYPES}
        self._sets: dict[tuple[int, int, int, int], NamespaceSet] = {self.base_inodes: self.base}
        self._pids: dict[int, tuple[tuple[int, int, int, int], NamespaceSet]] = {}
        self._recent: dict[int, tuple[float, NamespaceSet]] = {}
        self._mutex = threading.RLock()
        self._next_sweep = 0.0
        self._logged = 0

    # ------------------------------------------------------------------ public

    def resolve(self, pid: int, *, max_age: float = 0.0) -> NamespaceSet:
        """The model namespaces of the thread ``pid`` (the base set if it cannot be attributed).

        Args:
            pid: The calling thread, as FUSE reports it.
            max_age: Reuse this pid's answer if it was worked out at most this many seconds
                ago instead of reading its ``/proc/PID/ns`` links again. Only for requests whose
                answers the kernel caches for as long anyway (attributes: ``attr_timeout``).
        """
        if pid <= 0:
            self._log_unattributed(pid, "no pid (the server is in a child pid namespace?)")
            return self.base
        if max_age:
            recent = self._recent.get(pid)
            if recent is not None and time.monotonic() - recent[0] <= max_age:
                return recent[1]
        try:
            inodes = _ns_inodes(pid)
        except OSError as e:
            self._log_unattributed(pid, e.strerror or str(e))
            return self.base
        if inodes == self.base_inodes:
            nsset = self.base
        else:
            cached = self._pids.get(pid)
            if cached is not None and cached[0] == inodes:
                self._touch(inodes)
                nsset = cached[1]
            else:
                with self._mutex:
                    nsset = self._resolve_slow(pid, inodes)
                    if len(self._pids) >= _PID_CACHE_MAX:
                        self._pids.clear()
                    self._pids[pid] = (inodes, nsset)
                self.maybe_sweep()
        if len(self._recent) >= _PID_CACHE_MAX:
            self._recent.clear()
        self._recent[pid] = (time.monotonic(), nsset)
        return nsset

    def known_namespaces(self) -> dict[str, dict[int, Namespace]]:
        """Real inode -> model namespace, per type (the base ones excluded)."""
        with self._mutex:
            return {t: {ino: e.ns for ino, e in self._known[t].items()} for t in NS_TYPES}

    def maybe_sweep(self, *, force: bool = False) -> int:
        """Reclaim model namespaces whose real namespace is gone (at most every few seconds).

        Returns:
            How many model namespaces were dropped.
        """
        now = time.monotonic()
        if not force and now < self._next_sweep:
            return 0
        self._next_sweep = now + _SWEEP_INTERVAL
        with self._mutex:
            if not any(self._known.values()):
                return 0
            live = _live_inodes()
            dropped = 0
            for index, t in enumerate(NS_TYPES):
                for ino, entry in list(self._known[t].items()):
                    if ino in live[index]:
                        continue
                    self._forget(t, ino, entry)
                    dropped += 1
            return dropped

    # ------------------------------------------------------------------ internals

    def _touch(self, inodes: tuple[int, int, int, int]) -> None:
        now = _boottime()
        for index, t in enumerate(NS_TYPES):
            if inodes[index] != self.base_inodes[index]:
                entry = self._known[t].get(inodes[index])
                if entry is not None:
                    entry.last_seen = now

    def _log_unattributed(self, pid: int, why: str) -> None:
        if self._logged < _LOG_LIMIT:
            self._logged += 1
            log.warning("caller pid %d cannot be attributed (%s); it gets the initial namespaces", pid, why)

    def _resolve_slow(self, pid: int, inodes: tuple[int, int, int, int]) -> NamespaceSet:
        from fakeproc.model import NamespaceSet

        now = _boottime()
        members: dict[str, Namespace] = {}
        chain: list[tuple[int, tuple[int, int, int, int] | None, int]] | None = None
        # The user namespace first: it owns the others.
        for t in ("user", "ipc", "net", "uts"):
            index = NS_TYPES.index(t)
            ino = inodes[index]
            if ino == self.base_inodes[index]:
                members[t] = getattr(self.base, t)
                continue
            entry = self._known[t].get(ino)
            if chain is None:
                chain = _ancestry(pid)
            if entry is not None and not self._still_valid(entry, index, ino, chain):
                log.info("%s namespace inode %d was reused; its old model namespace is dropped", t, ino)
                self._forget(t, ino, entry)
                entry = None
            if entry is None:
                entry = self._create(t, index, ino, chain, members)
                self._known[t][ino] = entry
            entry.last_seen = now
            members[t] = entry.ns
        nsset = self._sets.get(inodes)
        if nsset is None or any(getattr(nsset, t) is not members[t] for t in NS_TYPES):
            nsset = NamespaceSet(
                ipc=members["ipc"], net=members["net"], uts=members["uts"], user=members["user"]
            )
            self._sets[inodes] = nsset
        return nsset

    def _still_valid(
        self,
        entry: _Entry,
        index: int,
        ino: int,
        chain: list[tuple[int, tuple[int, int, int, int] | None, int]],
    ) -> bool:
        anchor = _stat_fields(entry.anchor_pid)
        if anchor is not None and anchor[1] == entry.anchor_start:
            try:
                if _ns_inodes(entry.anchor_pid)[index] == ino:
                    return True
            except OSError:
                pass
        top_pid, top_start = _topmost(chain, index, ino)
        if top_start / _CLK_TCK < entry.last_seen - _START_MARGIN:
            entry.anchor_pid, entry.anchor_start = top_pid, top_start
            return True
        return False

    def _create(
        self,
        t: str,
        index: int,
        ino: int,
        chain: list[tuple[int, tuple[int, int, int, int] | None, int]],
        members: dict[str, Namespace],
    ) -> _Entry:
        from fakeproc.model import NamespaceSet

        parent_member = getattr(self.base, t)
        for _pid, anc_inodes, _start in chain[1:]:
            if anc_inodes is None:
                break
            anc_ino = anc_inodes[index]
            if anc_ino == ino:
                continue
            if anc_ino == self.base_inodes[index]:
                break
            known = self._known[t].get(anc_ino)
            if known is not None:
                parent_member = known.ns
                break
        parent = {f: getattr(self.base, f) for f in NS_TYPES}
        parent[t] = parent_member
        if t != "user":
            parent["user"] = members.get("user", self.base.user)
        parent_set = NamespaceSet(**parent)
        if t == "user":
            owner_uid, owner_gid = _owner_ids(chain[0][0])
            created = self.kernel.unshare(parent_set, user=True, owner_uid=owner_uid, owner_gid=owner_gid)
        else:
            created = self.kernel.unshare(parent_set, ipc=t == "ipc", net=t == "net", uts=t == "uts")
        top_pid, top_start = _topmost(chain, index, ino)
        log.info(
            "new %s namespace inode %d (pid %d) -> model namespace %s",
            t,
            ino,
            chain[0][0],
            getattr(created, t),
        )
        return _Entry(getattr(created, t), top_pid, top_start, _boottime())

    def _forget(self, t: str, ino: int, entry: _Entry) -> None:
        from fakeproc.model import NamespaceSet

        self._known[t].pop(ino, None)
        init = self.kernel.init_ns
        members = {f: getattr(init, f) for f in NS_TYPES}
        members[t] = entry.ns
        if entry.ns is not getattr(init, t) and entry.ns is not getattr(self.base, t):
            self.kernel.drop_namespaces(NamespaceSet(**members))
        index = NS_TYPES.index(t)
        for key in [k for k in self._sets if k[index] == ino]:
            del self._sets[key]
        for pid in [p for p, (inos, _s) in self._pids.items() if inos[index] == ino]:
            del self._pids[pid]
        self._recent.clear()


def _ancestry(pid: int, limit: int = 64) -> list[tuple[int, tuple[int, int, int, int] | None, int]]:
    """``[(pid, inodes, starttime), (ppid, ...), ...]`` up to init or ``limit`` steps."""
    chain: list[tuple[int, tuple[int, int, int, int] | None, int]] = []
    current = pid
    while current > 0 and len(chain) < limit:
        fields = _stat_fields(current)
        if fields is None:
            break
        try:
            inodes: tuple[int, int, int, int] | None = _ns_inodes(current)
        except OSError:
            inodes = None
        chain.append((current, inodes, fields[1]))
        if inodes is None:
            break
        current = fields[0]
    if not chain:
        chain.append((pid, None, 0))
    return chain


def _topmost(
    chain: list[tuple[int, tuple[int, int, int, int] | None, int]], index: int, ino: int
) -> tuple[int, int]:
    """The highest ancestor (pid, starttime) in ``chain`` still in namespace ``ino``."""
    top = chain[0][0], chain[0][2]
    for pid, inodes, start in chain:
        if inodes is None or inodes[index] != ino:
            break
        top = pid, start
    return top


def _owner_ids(pid: int) -> tuple[int, int]:
    """The outside ids mapped to root in ``pid``'s user namespace (0, 0 if not mapped yet)."""
    ids = []
    for name in ("uid_map", "gid_map"):
        value = 0
        try:
            with open(f"/proc/{pid}/{name}") as f:
                for line in f:
                    inside, outside, _count = (int(x) for x in line.split())
                    if inside == 0:
                        value = outside
                        break
        except (OSError, ValueError):
            pass
        ids.append(value)
    return ids[0], ids[1]


def _live_inodes() -> tuple[set[int], set[int], set[int], set[int]]:
    """Namespace inodes (per type) that some live task is in."""
    live: tuple[set[int], set[int], set[int], set[int]] = (set(), set(), set(), set())
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return live
    for p in pids:
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                inodes = _ns_inodes(f"{p}/task/{tid}")
            except OSError:
                continue
            for index in range(4):
                live[index].add(inodes[index])
    return live
