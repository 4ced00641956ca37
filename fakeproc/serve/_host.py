"""What the host's ``/proc`` says about a calling process: its namespaces, ancestry and credentials.

Everything here reads ``/proc/PID/...`` only; nothing is FUSE-specific, so every backend
(FUSE, seccomp) attributes callers the same way. The namespace types come from the spec
layer (:class:`~fakeproc.spec.NamespaceType`): a type added there is followed here through
its ``/proc/PID/ns/<type>`` link without further changes.

>>> [t.value for t in NAMESPACE_TYPES]
['ipc', 'net', 'uts', 'user', 'pid']
>>> ns_inodes("self") == ns_inodes(os.getpid())
True
"""

from __future__ import annotations

import fcntl
import os
import time

from fakeproc.spec import NamespaceType

__all__ = [
    "CLK_TCK",
    "NAMESPACE_TYPES",
    "Ancestor",
    "Inodes",
    "ancestry",
    "boottime",
    "comm",
    "groups",
    "live_inodes",
    "ns_inodes",
    "owner_ids",
    "parent_inodes",
    "stat_fields",
    "topmost",
]

#: The namespace types that hold sysctl values, in spec order (every type but GLOBAL).
NAMESPACE_TYPES: tuple[NamespaceType, ...] = tuple(t for t in NamespaceType if t is not NamespaceType.GLOBAL)

#: One inode number per type of :data:`NAMESPACE_TYPES`, in that order.
Inodes = tuple[int, ...]

#: ``(pid, inodes or None if unreadable, starttime in clock ticks)``.
Ancestor = tuple[int, "Inodes | None", int]

CLK_TCK = os.sysconf("SC_CLK_TCK")

# "ipc:[4026531839]" -> 4026531839: the link text is "<type>:[<inode>]".
_PREFIX = tuple(len(t.value) + 2 for t in NAMESPACE_TYPES)
_NAMES = tuple(t.value for t in NAMESPACE_TYPES)


def boottime() -> float:
    """Seconds since boot (the clock ``/proc/PID/stat``'s starttime counts in)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def ns_inodes(pid: int | str) -> Inodes:
    """The namespace inode numbers of ``pid`` per type of :data:`NAMESPACE_TYPES`.

    ``readlink`` is about twice as fast as ``stat`` on these links: it does not open the nsfs inode.

    Raises:
        OSError: the process is gone or its links are unreadable.
    """
    base = f"/proc/{pid}/ns/"
    rl = os.readlink
    return tuple(int(rl(base + name)[skip:-1]) for name, skip in zip(_NAMES, _PREFIX))


#: ``NS_GET_PARENT`` = ``_IO(NSIO, 0x2)`` with ``NSIO`` 0xb7 (include/uapi/linux/nsfs.h).
NS_GET_PARENT = (0xB7 << 8) | 0x2


def parent_inodes(pid: int, type_name: str, limit: int = 33) -> list[int]:
    """The inodes of the parent, grandparent, ... of ``pid``'s namespace of type ``type_name``
    (pid and user namespaces: ``ioctl(NS_GET_PARENT)``), nearest first.

    The list ends where the kernel stops answering: at the initial namespace, at one outside
    this process's own (EPERM), for a type without parents (EINVAL), or after ``limit`` steps
    (pid namespaces nest at most 32 deep, ``MAX_PID_NS_LEVEL``). Empty if none is known.
    """
    found: list[int] = []
    try:
        fd = os.open(f"/proc/{pid}/ns/{type_name}", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return found
    try:
        while len(found) < limit:
            try:
                parent = fcntl.ioctl(fd, NS_GET_PARENT)
            except OSError:
                break
            os.close(fd)
            fd = parent
            found.append(os.fstat(fd).st_ino)
    finally:
        os.close(fd)
    return found


def stat_fields(pid: int) -> tuple[int, int] | None:
    """(ppid, starttime in clock ticks) of ``pid``, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def ancestry(pid: int, limit: int = 64) -> list[Ancestor]:
    """``[(pid, inodes, starttime), (ppid, ...), ...]`` up to init or ``limit`` steps."""
    chain: list[Ancestor] = []
    current = pid
    while current > 0 and len(chain) < limit:
        fields = stat_fields(current)
        if fields is None:
            break
        try:
            inodes: Inodes | None = ns_inodes(current)
        except OSError:
            inodes = None
        chain.append((current, inodes, fields[1]))
        if inodes is None:
            break
        current = fields[0]
    if not chain:
        chain.append((pid, None, 0))
    return chain


def topmost(chain: list[Ancestor], index: int, ino: int) -> tuple[int, int]:
    """The highest ancestor (pid, starttime) in ``chain`` still in namespace ``ino`` of type ``index``."""
    top = chain[0][0], chain[0][2]
    for pid, inodes, start in chain:
        if inodes is None or inodes[index] != ino:
            break
        top = pid, start
    return top


def owner_ids(pid: int) -> tuple[int, int]:
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


def live_inodes() -> tuple[set[int], ...]:
    """Namespace inodes (one set per type of :data:`NAMESPACE_TYPES`) that some live task is in."""
    live: tuple[set[int], ...] = tuple(set() for _ in NAMESPACE_TYPES)
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
                inodes = ns_inodes(f"{p}/task/{tid}")
            except OSError:
                continue
            for seen, ino in zip(live, inodes):
                seen.add(ino)
    return live


def groups(pid: int) -> tuple[int, ...]:
    """The supplementary groups of ``pid`` (empty if unreadable)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Groups:"):
                    return tuple(int(g) for g in line.split()[1:])
    except (OSError, ValueError):
        pass
    return ()


def comm(pid: int) -> str:
    """The command name of ``pid`` ("" if unreadable)."""
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return f.read().rstrip(b"\n").decode("utf-8", "replace")
    except OSError:
        return ""
