"""Which model namespaces a caller lives in (the LXCFS technique), for every backend.

A backend knows the pid of the calling thread (FUSE puts it in every request; a seccomp
notification carries it too). Its real namespaces are the inodes of ``/proc/PID/ns/<type>``
for each namespace type the spec layer defines. The resolver maps each real namespace
inode to one model :class:`~fakeproc.model.Namespace`:

* The server's own namespaces (or those of a chosen reference process) map to
  the *base* set: the kernel's initial namespaces, or a labelled set.
* A real namespace seen for the first time gets a new model namespace, made
  with the kernel's creation rule for its type (``Kernel.unshare``). Its parent:
  for the hierarchical types (pid, user), the real parent the kernel names
  (``ioctl(NS_GET_PARENT)`` on ``/proc/PID/ns/<type>``, include/uapi/linux/nsfs.h),
  or its nearest known ancestor; a pid namespace between them that no caller
  has shown yet is made too, so the chain of ``vm.memfd_noexec`` stays whole.
  Otherwise (other types, or the ioctl refused) the model namespace of the
  caller's nearest ancestor process that lives in a different namespace of that
  type (where ``unshare(1)`` or ``clone(2)`` ran), else the base one. The user
  namespace is resolved first: a new namespace of any other type is owned by
  the caller's (model) user namespace.
* With UTS mirroring on (:meth:`NamespaceResolver.adopt_uts`, ``fakeproc run``'s
  namespace backend), the command's private real UTS namespace is part of the
  base, and every model UTS namespace made for a real one keeps its hostname and
  domainname in that real namespace (:class:`~fakeproc.serve._uts.UtsValues`),
  so that ``uname(2)`` and the fake agree in both directions.
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
('ipc', 'net', 'uts', 'user', 'pid')
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakeproc.serve._host import (
    CLK_TCK,
    NAMESPACE_TYPES,
    Ancestor,
    Inodes,
    ancestry,
    boottime,
    live_inodes,
    ns_inodes,
    owner_ids,
    parent_inodes,
    stat_fields,
    topmost,
)
from fakeproc.serve._proxies import SharedProxies
from fakeproc.serve._uts import RealUts, RealUtsEvents, UtsValues
from fakeproc.spec import NamespaceType

if TYPE_CHECKING:
    from fakeproc.model import Kernel, Namespace, NamespaceSet

__all__ = ["NS_TYPES", "CallerInfo", "NamespaceResolver", "make_set"]

log = logging.getLogger("fakeproc.serve")

#: The names of the namespace types that hold sysctl values (``/proc/PID/ns`` link names).
NS_TYPES = tuple(t.value for t in NAMESPACE_TYPES)

#: Where the inode starts in a ``/proc/PID/ns/<type>`` link's text ("ipc:[4026531839]").
_SKIP = tuple(len(name) + 2 for name in NS_TYPES)
_SWEEP_INTERVAL = 5.0
_PID_CACHE_MAX = 4096
_LOG_LIMIT = 50
#: A process whose start is this close to the namespace's last use is not trusted (clock tick jitter).
_START_MARGIN = 0.05
#: Resolution order: the user namespace first, as it owns the others.
_ORDER = tuple(sorted(range(len(NAMESPACE_TYPES)), key=lambda i: NAMESPACE_TYPES[i] is not NamespaceType.USER))
#: Types whose namespaces name their parent (``ns->ops->get_parent``: pidns_get_parent, userns_get_parent).
_HIERARCHICAL = frozenset({NamespaceType.PID, NamespaceType.USER})
#: Types whose missing intermediate namespaces are made (a user namespace needs its creator's ids).
_FILL_IN = frozenset({NamespaceType.PID})
_UTS = NAMESPACE_TYPES.index(NamespaceType.UTS)


def _own_start() -> int:
    fields = stat_fields(os.getpid())
    return fields[1] if fields is not None else 0


def make_set(members: dict[NamespaceType, Namespace]) -> NamespaceSet:
    """A model namespace set from one member per type of the spec layer."""
    from fakeproc.model import NamespaceSet

    return NamespaceSet(**{t.value: ns for t, ns in members.items()})


@dataclass
class _Entry:
    """One real namespace (by inode) and its model namespace."""

    ns: Namespace
    anchor_pid: int
    anchor_start: int
    last_seen: float
    #: The real UTS namespace the model one keeps its names in (UTS mirroring only).
    real: RealUts | None = None


@dataclass(frozen=True)
class CallerInfo:
    """What the resolver learnt about one caller: its namespaces' inodes (None if unknown)."""

    pid: int
    inodes: Inodes | None


class NamespaceResolver:
    """Maps callers (pids) to model namespace sets.

    Args:
        kernel: The model.
        base: The model set the reference namespaces map to (default: ``kernel.init_ns``).
        reference_pid: The process whose real namespaces are the base ones
            (default: the server's own process).
        owner_ids: Maps the outside (uid, gid) that owns a new real user namespace to the
            model's kernel ids (the serving session's identity mapping; default: unchanged).

    Attributes:
        kernel: The model.
        base: The base model set.
        base_inodes: The reference process's namespace inodes (one per type, spec order).
    """

    def __init__(
        self,
        kernel: Kernel,
        base: NamespaceSet | None = None,
        reference_pid: int | None = None,
        *,
        owner_ids: Callable[[int, int], tuple[int, int]] | None = None,
    ) -> None:
        self.kernel = kernel
        self.base = base if base is not None else kernel.init_ns
        self.base_inodes: Inodes = ns_inodes(reference_pid if reference_pid is not None else "self")
        self._map_owner = owner_ids or (lambda uid, gid: (uid, gid))
        self._known: tuple[dict[int, _Entry], ...] = tuple({} for _ in NAMESPACE_TYPES)
        self._sets: dict[Inodes, NamespaceSet] = {self.base_inodes: self.base}
        self._pids: dict[int, tuple[Inodes, NamespaceSet]] = {}
        self._recent: dict[int, tuple[float, NamespaceSet]] = {}
        self._mutex = threading.RLock()
        self._next_sweep = 0.0
        self._logged = 0
        self._mirror_uts: RealUts | None = None
        self._uts_events: RealUtsEvents | None = None  # while mirroring: real changes wake the fake's pollers
        self.proxies: dict[int, int] | SharedProxies = {}
        """Thread id -> the pid it opens or stats files for (see :meth:`acting_for`,
        :meth:`share_proxies`)."""

    # ------------------------------------------------------------------ public

    @contextmanager
    def acting_for(self, pid: int) -> Iterator[None]:
        """Attribute this thread's requests to ``pid`` while the block runs.

        The seccomp backend's supervisor opens and stats files in the mount on behalf of the
        process it answers; the open is where a file's namespaces are bound, so the request must
        count as that process's, not the supervisor's.
        """
        tid = threading.get_native_id()
        self.proxies[tid] = pid
        try:
            yield
        finally:
            self.proxies.pop(tid, None)

    def share_proxies(self, table: SharedProxies | None = None) -> SharedProxies:
        """Let supervisors in other processes act for callers too: ``table`` (default: a new
        one) becomes :attr:`proxies`, read for every request (see :mod:`fakeproc.serve._proxies`)."""
        if not isinstance(self.proxies, SharedProxies):
            shared = table or SharedProxies()
            for tid, pid in self.proxies.items():
                shared[tid] = pid
            self.proxies = shared
        return self.proxies

    def resolve(self, pid: int, *, max_age: float = 0.0) -> NamespaceSet:
        """The model namespaces of the thread ``pid`` (the base set if it cannot be attributed).

        Args:
            pid: The calling thread, as the backend reports it.
            max_age: Reuse this pid's answer if it was worked out at most this many seconds
                ago instead of reading its ``/proc/PID/ns`` links again. Only for requests whose
                answers the kernel caches for as long anyway (attributes: ``attr_timeout``).
        """
        if self.proxies:
            pid = self.proxies.get(pid, pid)
        if pid <= 0:
            self._log_unattributed(pid, "no pid (the server is in a child pid namespace?)")
            return self.base
        if max_age:
            recent = self._recent.get(pid)
            if recent is not None and time.monotonic() - recent[0] <= max_age:
                return recent[1]
        try:
            inodes = ns_inodes(pid)
        except OSError as e:
            self._log_unattributed(pid, e.strerror or str(e))
            return self.base
        if inodes == self.base_inodes:
            nsset = self.base
            if len(self._pids) >= _PID_CACHE_MAX:
                self._pids.clear()
            self._pids[pid] = (inodes, nsset)
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

    def resolve_for(self, pid: int, needed: tuple[int, ...]) -> NamespaceSet:
        """Like :meth:`resolve`, for a request that looks only at the namespace types ``needed``
        (indices into :data:`NS_TYPES`): with an earlier answer for ``pid``, only those links are
        read again (one ``readlink`` each, not one per type).

        The guard: when one of them changed (``unshare``/``setns``, or a new process under a reused
        pid), the full :meth:`resolve` runs. The answer's other members may be stale then; the
        request does not look at them (the next request that does re-reads its own links).
        """
        if self.proxies:
            pid = self.proxies.get(pid, pid)
        cached = self._pids.get(pid)
        if cached is None or pid <= 0:
            return self.resolve(pid)
        inodes, nsset = cached
        base = f"/proc/{pid}/ns/"
        try:
            for index in needed:
                if int(os.readlink(base + NS_TYPES[index])[_SKIP[index]:-1]) != inodes[index]:
                    return self.resolve(pid)
        except OSError:
            return self.resolve(pid)
        if nsset is not self.base:
            now = boottime()  # keeps the namespaces "in use" (see _still_valid)
            for index in needed:
                entry = self._known[index].get(inodes[index])
                if entry is not None:
                    entry.last_seen = now
        return nsset

    def adopt_uts(self, real: RealUts) -> None:
        """Make ``real`` (a private UTS namespace the command is about to start in) the base UTS
        namespace, kept in step with the base model one, and mirror every real UTS namespace
        met from now on into its model namespace.

        ``real`` must already hold the base namespace's names (see :func:`start_in_new_uts`).
        Callers still in the old base UTS namespace keep mapping to the base one.
        """
        with self._mutex:
            t = NamespaceType.UTS
            member = self._base_member(t)
            old = self.base_inodes[_UTS]
            if old != real.inode:
                self._known[_UTS][old] = _Entry(member, os.getpid(), _own_start(), boottime())
            self.base_inodes = tuple(real.inode if i == _UTS else ino for i, ino in enumerate(self.base_inodes))
            self._sets[self.base_inodes] = self.base
            self._pids.clear()
            self._recent.clear()
            member.values = UtsValues(member.values, real, real.names())
            self._mirror_uts = real
            if self._uts_events is None:
                self._uts_events = RealUtsEvents(self.kernel.polls.notify, self.kernel.polls.add_source)

    def release_uts(self) -> None:
        """Stop mirroring (after a last look at the real names) and close the real namespaces.

        The model keeps the names the real namespaces had, so a state file saved afterwards
        holds what ``hostname NAME`` set inside the command.
        """
        with self._mutex:
            real = self._mirror_uts
            if real is None:
                return
            self._mirror_uts = None
            if self._uts_events is not None:
                self._uts_events.stop()
                self._uts_events = None
            member = self._base_member(NamespaceType.UTS)
            if isinstance(member.values, UtsValues):
                member.values = member.values.plain()
            real.close()
            for entry in self._known[_UTS].values():
                self._unmirror(entry)

    def known_namespaces(self) -> dict[str, dict[int, Namespace]]:
        """Real inode -> model namespace, per type name (the base ones excluded)."""
        with self._mutex:
            return {
                t.value: {ino: e.ns for ino, e in known.items()}
                for t, known in zip(NAMESPACE_TYPES, self._known)
            }

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
            if not any(self._known):
                return 0
            live = live_inodes()
            dropped = 0
            for index, known in enumerate(self._known):
                for ino, entry in list(known.items()):
                    if ino in live[index]:
                        continue
                    self._forget(index, ino, entry)
                    dropped += 1
            return dropped

    # ------------------------------------------------------------------ internals

    def _touch(self, inodes: Inodes) -> None:
        now = boottime()
        for index, ino in enumerate(inodes):
            if ino != self.base_inodes[index]:
                entry = self._known[index].get(ino)
                if entry is not None:
                    entry.last_seen = now

    def _log_unattributed(self, pid: int, why: str) -> None:
        if self._logged < _LOG_LIMIT:
            self._logged += 1
            log.warning("caller pid %d cannot be attributed (%s); it gets the initial namespaces", pid, why)

    def _resolve_slow(self, pid: int, inodes: Inodes) -> NamespaceSet:
        now = boottime()
        members: dict[NamespaceType, Namespace] = {}
        chain: list[Ancestor] | None = None
        for index in _ORDER:
            t = NAMESPACE_TYPES[index]
            ino = inodes[index]
            if ino == self.base_inodes[index]:
                members[t] = self._base_member(t)
                continue
            entry = self._known[index].get(ino)
            if chain is None:
                chain = ancestry(pid)
            if entry is not None and not self._still_valid(entry, index, ino, chain):
                log.info("%s namespace inode %d was reused; its old model namespace is dropped", t.value, ino)
                self._forget(index, ino, entry)
                entry = None
            if entry is None:
                entry = self._create(index, ino, chain, members)
                self._known[index][ino] = entry
            entry.last_seen = now
            members[t] = entry.ns
        nsset = self._sets.get(inodes)
        if nsset is None or any(nsset.get(t) is not members[t] for t in NAMESPACE_TYPES):
            nsset = make_set(members)
            self._sets[inodes] = nsset
        return nsset

    def _base_member(self, t: NamespaceType) -> Namespace:
        member = self.base.get(t)
        assert member is not None
        return member

    def _still_valid(self, entry: _Entry, index: int, ino: int, chain: list[Ancestor]) -> bool:
        anchor = stat_fields(entry.anchor_pid)
        if anchor is not None and anchor[1] == entry.anchor_start:
            try:
                if ns_inodes(entry.anchor_pid)[index] == ino:
                    return True
            except OSError:
                pass
        top_pid, top_start = topmost(chain, index, ino)
        if top_start / CLK_TCK < entry.last_seen - _START_MARGIN:
            entry.anchor_pid, entry.anchor_start = top_pid, top_start
            return True
        return False

    def _parent_by_ancestry(self, index: int, ino: int, chain: list[Ancestor]) -> Namespace:
        """The model namespace of the nearest ancestor process in another known namespace of the type."""
        for _pid, anc_inodes, _start in chain[1:]:
            if anc_inodes is None:
                break
            anc_ino = anc_inodes[index]
            if anc_ino == ino:
                continue
            if anc_ino == self.base_inodes[index]:
                break
            known = self._known[index].get(anc_ino)
            if known is not None:
                return known.ns
        return self._base_member(NAMESPACE_TYPES[index])

    def _parent_by_kernel(
        self, index: int, chain: list[Ancestor], members: dict[NamespaceType, Namespace]
    ) -> Namespace | None:
        """The model parent of the caller's namespace of a hierarchical type, as the kernel names
        it (``NS_GET_PARENT``); None when the kernel does not say (then the ancestry decides)."""
        t = NAMESPACE_TYPES[index]
        parents = parent_inodes(chain[0][0], t.value)
        missing: list[int] = []
        for pino in parents:
            if pino == self.base_inodes[index]:
                found = self._base_member(t)
            else:
                entry = self._known[index].get(pino)
                if entry is None:
                    missing.append(pino)
                    continue
                found = entry.ns
            if missing and t in _FILL_IN:
                for gap in reversed(missing):  # make the unseen ones between, outermost first
                    entry = self._create(index, gap, chain, members, parent_member=found)
                    self._known[index][gap] = entry
                    found = entry.ns
            return found
        return None

    def _create(
        self,
        index: int,
        ino: int,
        chain: list[Ancestor],
        members: dict[NamespaceType, Namespace],
        *,
        parent_member: Namespace | None = None,
    ) -> _Entry:
        t = NAMESPACE_TYPES[index]
        if parent_member is None and t in _HIERARCHICAL:
            parent_member = self._parent_by_kernel(index, chain, members)
        if parent_member is None:
            parent_member = self._parent_by_ancestry(index, ino, chain)
        parent = {u: self._base_member(u) for u in NAMESPACE_TYPES}
        parent[t] = parent_member
        if t is not NamespaceType.USER:
            parent[NamespaceType.USER] = members.get(NamespaceType.USER, parent[NamespaceType.USER])
        parent_set = make_set(parent)
        if t is NamespaceType.USER:
            uid, gid = self._map_owner(*owner_ids(chain[0][0]))
            created = self.kernel.unshare(parent_set, user=True, owner_uid=uid, owner_gid=gid)
        else:
            created = self.kernel.unshare(parent_set, **{t.value: True})  # type: ignore[arg-type]
        inside = next((i for i, a in enumerate(chain) if a[1] is not None and a[1][index] == ino), 0)
        top_pid, top_start = topmost(chain[inside:], index, ino)  # a filled-in parent: its process, if any
        member = created.get(t)
        assert member is not None
        log.info("new %s namespace inode %d (pid %d) -> model namespace %s", t.value, ino, chain[0][0], member)
        entry = _Entry(member, top_pid, top_start, boottime())
        if t is NamespaceType.UTS and self._mirror_uts is not None:
            self._mirror(entry, ino, chain)
        return entry

    def _mirror(self, entry: _Entry, ino: int, chain: list[Ancestor]) -> None:
        """Keep a new model UTS namespace's names in its real namespace (opened through the caller)."""
        try:
            real = RealUts.of(chain[0][0])
        except OSError as e:
            log.info("real UTS namespace inode %d cannot be opened (%s); not mirrored", ino, e.strerror)
            return
        if real.inode != ino:  # the caller moved on since its links were read
            real.close()
            return
        entry.real = real
        entry.ns.values = UtsValues(entry.ns.values, real)

    @staticmethod
    def _unmirror(entry: _Entry) -> None:
        if entry.real is not None:
            if isinstance(entry.ns.values, UtsValues):
                entry.ns.values = entry.ns.values.plain()
            entry.real.close()
            entry.real = None

    def _forget(self, index: int, ino: int, entry: _Entry) -> None:
        t = NAMESPACE_TYPES[index]
        self._known[index].pop(ino, None)
        self._unmirror(entry)
        init = self.kernel.init_ns
        if entry.ns is not init.get(t) and entry.ns is not self.base.get(t):
            members = {u: self._init_member(u) for u in NAMESPACE_TYPES}
            members[t] = entry.ns
            self.kernel.drop_namespaces(make_set(members))
        for key in [k for k in self._sets if k[index] == ino]:
            del self._sets[key]
        for pid in [p for p, (inos, _s) in self._pids.items() if inos[index] == ino]:
            del self._pids[pid]
        self._recent.clear()

    def _init_member(self, t: NamespaceType) -> Namespace:
        member = self.kernel.init_ns.get(t)
        assert member is not None
        return member
