"""The machine a kernel boots on, and the defaults the kernel derives from it.

Some sysctl defaults are not compile-time constants: the kernel computes them at boot
from the memory it counts and the CPUs it may run (threads-max, file-max, the ucounts,
inotify/fanotify/epoll limits, tcp_mem, udp_mem, the mmap reserves, pid_max). A
profile names, per key, the formula its kernel version uses (``Profile.machine_formulas``)
and states the reference machine its shipped defaults were computed for
(``Profile.machine``). :func:`apply_machine` recomputes those defaults for another
machine, so that ``Kernel(load_profile("6.18", machine="mem=8G,cpus=4"))`` boots with
the numbers that kernel would show on such a machine.

A machine is counted the way the kernel counts it, in pages at the moment each formula
runs (they differ: memory the kernel reserves for itself, pages not yet freed early in
boot). :func:`parse_machine` accepts ``mem=SIZE`` (MemTotal, what /proc/meminfo shows) and
``cpus=N`` (possible CPUs) and scales the other counts like the reference machine's;
each count can also be given exactly by its name (``buffer_pages=...``).

>>> m = parse_machine("mem=8G,cpus=4", reference=Machine(cpus=2, totalram_pages=1000,
...     memblock_free_pages=1000, boot_free_pages=900, buffer_pages=990, initcall_free_pages=500))
>>> m.cpus, m.totalram_pages, m.initcall_free_pages
(4, 2097152, 1048576)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from fakeproc.errors import ProfileError, UsageError

if TYPE_CHECKING:
    from fakeproc.profiles.loader import Profile

__all__ = [
    "FORMULAS",
    "Machine",
    "apply_machine",
    "machine_defaults",
    "parse_machine",
]


@dataclass(frozen=True)
class Machine:
    """A machine as the kernel's boot-time formulas see it (counts in pages).

    Attributes:
        cpus: num_possible_cpus().
        totalram_pages: totalram_pages() (``si.totalram``; MemTotal / PAGE_SIZE).
        memblock_free_pages: memblock_estimated_nr_free_pages() when fork_init runs (6.12+
            threads-max).
        boot_free_pages: nr_free_pages() when files_maxfiles_init runs (file-max).
        buffer_pages: nr_free_buffer_pages() when inet_init runs (tcp_mem, udp_mem).
        initcall_free_pages: NR_FREE_PAGES at subsys_initcall time (user/admin reserve).
    """

    cpus: int
    totalram_pages: int
    memblock_free_pages: int
    boot_free_pages: int
    buffer_pages: int
    initcall_free_pages: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "<dict>") -> Machine:
        """The machine of a profile's ``machine`` object; ProfileError if malformed."""
        names = [f.name for f in fields(cls)]
        try:
            unknown = sorted(set(data) - set(names))
            if unknown:
                raise ProfileError(f"{origin}: machine has unknown fields {', '.join(unknown)}")
            return cls(**{n: int(data[n]) for n in names})
        except (KeyError, TypeError, ValueError) as e:
            raise ProfileError(f"{origin}: malformed machine ({e!r})") from None

    def to_dict(self) -> dict[str, int]:
        """The JSON object of this machine."""
        return asdict(self)


_PAGE_COUNTS = ("memblock_free_pages", "boot_free_pages", "buffer_pages", "initcall_free_pages")
_SIZE = re.compile(r"^(\d+)([KMGT]?)(i?B)?$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_MAX_CPUS = 8192  # CONFIG_NR_CPUS upper limit on x86-64 (arch/x86/Kconfig NR_CPUS_RANGE_END)


def _positive(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(f"--machine: {name} must be a positive integer, not {raw!r}")
    return int(raw)


def parse_machine(text: str, *, reference: Machine, page_size: int = 4096) -> Machine:
    """The machine described by ``text`` (``mem=8G,cpus=4``), other counts scaled from ``reference``.

    ``mem`` is MemTotal (bytes, with K/M/G/T binary suffixes); every boot-time page count
    not given by name keeps the fraction of totalram it has on ``reference``.

    Raises:
        UsageError: an unknown field, a malformed number, or a machine too small to boot.
    """
    given: dict[str, int] = {}
    for part in text.split(","):
        name, sep, raw = part.strip().partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name:
            raise UsageError(f"--machine: expected NAME=VALUE items like mem=8G,cpus=4, not {part.strip()!r}")
        if name in given:
            raise UsageError(f"--machine: {name} given twice")
        if name == "mem":
            m = _SIZE.match(raw)
            if not m:
                raise UsageError(f"--machine: mem must be a size like 8G, 512M or 8589934592, not {raw!r}")
            pages = int(m.group(1)) * _UNITS[m.group(2).upper()] // page_size
            if pages < 1:
                raise UsageError(f"--machine: mem={raw} is less than one page")
            given["totalram_pages"] = pages
        elif name == "cpus":
            cpus = _positive(name, raw)
            if cpus > _MAX_CPUS:
                raise UsageError(f"--machine: cpus must be at most {_MAX_CPUS}, not {cpus}")
            given["cpus"] = cpus
        elif name in ("totalram_pages", *_PAGE_COUNTS):
            given["totalram_pages" if name == "totalram_pages" else name] = _positive(name, raw)
        else:
            known = ", ".join(("mem", "cpus", "totalram_pages", *_PAGE_COUNTS))
            raise UsageError(f"--machine: unknown item {name!r} (known: {known})")
    total = given.get("totalram_pages", reference.totalram_pages)
    counts = {
        n: given.get(n, getattr(reference, n) * total // reference.totalram_pages) for n in _PAGE_COUNTS
    }
    over = [n for n in ("boot_free_pages", "buffer_pages", "initcall_free_pages") if counts[n] > total]
    if over:
        raise UsageError(f"--machine: {', '.join(over)} cannot exceed totalram_pages ({total})")
    return Machine(cpus=given.get("cpus", reference.cpus), totalram_pages=total, **counts)


# --- the formulas -------------------------------------------------------------------------
# Each takes the machine, PAGE_SIZE and the profile's constants (struct sizes the formula
# divides by) and returns the spec fields it sets. Integer arithmetic exactly as in C.

Formula = Callable[[Machine, int, Mapping[str, int]], dict[str, Any]]

_MIN_THREADS, _MAX_THREADS = 20, 0x3FFFFFFF  # kernel/fork.c; MAX_THREADS = FUTEX_TID_MASK
_NR_FILE = 8192  # include/uapi/linux/fs.h
_PID_MAX_DEFAULT, _PID_MAX_LIMIT = 0x8000, 4 * 1024 * 1024  # include/linux/threads.h (64-bit)
_PIDS_PER_CPU_DEFAULT, _PIDS_PER_CPU_MIN, _RESERVED_PIDS = 1024, 8, 300


def _threads(pages: int, page_size: int, c: Mapping[str, int]) -> int:
    # kernel/fork.c set_max_threads: the thread structures may use 1/8 of memory.
    return max(_MIN_THREADS, min(pages * page_size // (c["THREAD_SIZE"] * 8), _MAX_THREADS))


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _lowmem_share(m: Machine, page_size: int, divisor: int) -> int:
    # (si.totalram - si.totalhigh) / divisor << PAGE_SHIFT; no highmem on 64-bit.
    return m.totalram_pages // divisor * page_size


def _mem_triple(buffer_pages: int, divisor: int) -> dict[str, Any]:
    # net/ipv4/tcp.c tcp_init_mem, net/ipv4/udp.c udp_init: [limit/4*3, limit, limit/4*3*2].
    limit = max(buffer_pages // divisor, 128)
    low = limit // 4 * 3
    return {"default": f"{low}\t{limit}\t{low * 2}"}


def _reserve(m: Machine, page_size: int, cap: int) -> dict[str, Any]:
    # mm/mmap.c init_user_reserve / init_admin_reserve: min(free_kbytes / 32, cap).
    return {"default": str(min(m.initcall_free_pages * page_size // 1024 // 32, cap))}


def _pid_max(m: Machine, page_size: int, c: Mapping[str, int]) -> dict[str, Any]:
    # kernel/pid.c pid_idr_init: default and minimum pid_max grow with the possible CPUs.
    default = min(_PID_MAX_LIMIT, max(_PID_MAX_DEFAULT, _PIDS_PER_CPU_DEFAULT * m.cpus))
    return {"default": str(default), "min": max(_RESERVED_PIDS + 1, _PIDS_PER_CPU_MIN * m.cpus)}


def _file_max(m: Machine, page_size: int, c: Mapping[str, int]) -> dict[str, Any]:
    # fs/file_table.c files_maxfiles_init: 10% of memory not already in use, as 1 KiB per file.
    total = m.totalram_pages
    reserve = min((total - m.boot_free_pages) * 3 // 2, total - 1)
    return {"default": str(max((total - reserve) * (page_size // 1024) // 10, _NR_FILE))}


FORMULAS: dict[str, Formula] = {
    # kernel/fork.c set_max_threads; totalram_pages() up to 6.11, memblock estimate from 6.12.
    "threads_max_totalram": lambda m, ps, c: {"default": str(_threads(m.totalram_pages, ps, c))},
    "threads_max_memblock": lambda m, ps, c: {"default": str(_threads(m.memblock_free_pages, ps, c))},
    # kernel/fork.c fork_init: init_user_ns.ucount_max[i] = max_threads / 2.
    "ucount_totalram": lambda m, ps, c: {"default": str(_threads(m.totalram_pages, ps, c) // 2)},
    "ucount_memblock": lambda m, ps, c: {"default": str(_threads(m.memblock_free_pages, ps, c) // 2)},
    "file_max": _file_max,
    # fs/notify/inotify/inotify_user.c inotify_user_setup: 8192 before 5.11, then 1% of memory.
    "inotify_watches_fixed": lambda m, ps, c: {"default": "8192"},
    "inotify_watches": lambda m, ps, c: {
        "default": str(_clamp(_lowmem_share(m, ps, 100) // c["INOTIFY_WATCH_COST"], 8192, 1048576))
    },
    # fs/notify/fanotify/fanotify_user.c fanotify_user_setup (5.13+): 1% of memory.
    "fanotify_marks": lambda m, ps, c: {
        "default": str(_clamp(_lowmem_share(m, ps, 100) // c["INODE_MARK_COST"], 8192, 8192 * 128))
    },
    # fs/eventpoll.c eventpoll_init: 4% of memory.
    "epoll_watches": lambda m, ps, c: {"default": str(_lowmem_share(m, ps, 25) // c["EP_ITEM_COST"])},
    "tcp_mem": lambda m, ps, c: _mem_triple(m.buffer_pages, 16),
    "udp_mem": lambda m, ps, c: _mem_triple(m.buffer_pages, 8),
    "user_reserve_kbytes": lambda m, ps, c: _reserve(m, ps, 1 << 17),
    "admin_reserve_kbytes": lambda m, ps, c: _reserve(m, ps, 1 << 13),
    "pid_max": _pid_max,
}


def machine_defaults(
    formulas: Mapping[str, str], machine: Machine, page_size: int, constants: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    """The spec fields each key's formula gives on ``machine``, by key.

    Raises:
        ProfileError: a formula name is unknown or a constant it needs is missing.
    """
    out: dict[str, dict[str, Any]] = {}
    for key, name in formulas.items():
        formula = FORMULAS.get(name)
        if formula is None:
            raise ProfileError(f"{key}: unknown machine formula {name!r} (known: {', '.join(sorted(FORMULAS))})")
        try:
            out[key] = formula(machine, page_size, constants)
        except KeyError as e:
            raise ProfileError(f"{key}: machine formula {name} needs the constant {e.args[0]}") from None
    return out


def apply_machine(profile: Profile, machine: Machine | str) -> Profile:
    """``profile`` booted on ``machine``: its machine-derived defaults recomputed.

    Raises:
        UsageError: the profile has no machine model (a capture keeps its host's values),
            or ``machine`` is malformed.
    """
    if profile.machine is None or not profile.machine_formulas:
        raise UsageError(
            f"profile {profile.name} has no machine model (a captured profile keeps its host's values); "
            "--machine needs a shipped profile"
        )
    if isinstance(machine, str):
        machine = parse_machine(machine, reference=profile.machine, page_size=profile.page_size)
    updates = machine_defaults(profile.machine_formulas, machine, profile.page_size, profile.constants)
    entries = dict(profile.entries)
    for key, changes in updates.items():
        if key in entries:
            entries[key] = replace(entries[key], **changes)
    return replace(profile, entries=entries, machine=machine, templates={})
