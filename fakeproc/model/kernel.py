"""The fake kernel: sysctl values per namespace, read and written through the handlers.

Every way in (the Python API, the FUSE mount, the pod runner) ends in
:meth:`Kernel._call`, fakeproc's ``proc_sys_call_handler``: one handler call
per ``read(2)``/``write(2)``, with the caller's namespaces choosing the value.

>>> k = Kernel("6.18")
>>> k.read("kernel.sem")
'32000\\t1024000000\\t500\\t32000\\n'
>>> pod = k.unshare(k.init_ns, ipc=True)
>>> k.write("kernel.sem", "10000 1024000000 500 32000", ns=pod)
26
>>> k.read("kernel.sem", ns=pod), k.read("kernel.sem")
('10000\\t1024000000\\t500\\t32000\\n', '32000\\t1024000000\\t500\\t32000\\n')
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fakeproc.errors import ProfileError, StateError, raise_errno
from fakeproc.handlers import HANDLERS, Handler, Request, Result, Value
from fakeproc.model import snapshot
from fakeproc.model.creation import NamespaceCreation, first_int
from fakeproc.model.effects import EFFECTS
from fakeproc.model.env import CallEnv
from fakeproc.model.files import Stat, SysctlFile
from fakeproc.model.namespaces import Namespace, NamespaceSet
from fakeproc.model.permissions import ROOT, Caller, effective_mode, may_open, owner_ids
from fakeproc.model.polls import POLLABLE, PollEvents
from fakeproc.model.tree import Tree
from fakeproc.model.writelog import SMALL_PAYLOAD, WriteLog, WriteRecord
from fakeproc.profiles import Profile, load_profile
from fakeproc.spec import (
    DEVICE_PLACEHOLDER,
    NAMESPACE_TYPES,
    CreationRule,
    NamespaceType,
    SysctlSpec,
    key_to_path,
    path_to_key,
)

__all__ = ["Kernel", "Stat", "SysctlFile", "WriteLog", "WriteRecord"]

_now = time.time

#: ``KMALLOC_MAX_SIZE`` on x86_64 SLUB: reads and writes this large fail with ENOMEM (5.8+).
KMALLOC_MAX_SIZE = 1 << 22
#: Buffer size :meth:`Kernel.read` uses, as one ``read(2)`` of a large buffer.
_READ_SIZE = 1 << 20
#: How many kernel log lines ``Kernel.dmesg`` keeps, like a ring buffer.
DMESG_LIMIT = 10_000
#: Distinct (entry, value) outputs remembered for reads, and their bytes together: the cache
#: starts afresh when either is exceeded (a root writing large distinct bitmaps cannot grow it).
_READ_CACHE_LIMIT = 50_000
_READ_CACHE_BYTES = 8 << 20
#: Entries of the memos of pure functions of a name (path -> key, key -> device template).
_MEMO_LIMIT = 65536
#: Distinct file attributes (mode, owner) :meth:`Kernel.listdir_stat` keeps one Stat of.
_STAT_LIMIT = 4096
#: Listings with attributes :meth:`Kernel.listdir_stat` remembers (about 10 KB each at most).
_LISTING_LIMIT = 512
#: What every directory shows (procfs's sysctl directories are 0555 root:root).
_DIR_STAT = Stat(True, stat_mod.S_IFDIR | 0o555, 0, 0, 1)

def _owned_by_child_user_ns(ns: Namespace) -> bool:
    """Whether a user namespace other than the initial one owns ``ns`` (``ns->user_ns !=
    &init_user_ns``)."""
    return ns.owner is not None and not ns.owner.is_init


#: ``__O_TMPFILE`` without the ``O_DIRECTORY`` that ``os.O_TMPFILE`` includes (include/uapi/asm-generic/fcntl.h).
_O_TMPFILE_ONLY = 0o20000000


class Kernel(NamespaceCreation):
    """A fake Linux kernel's sysctl state: a profile, namespaces and their values.

    Args:
        profile: A :class:`~fakeproc.profiles.Profile`, a shipped profile name
            (``"6.18"``, ``"4.15"``) or a path to a profile file.

    Attributes:
        profile: The kernel's profile.
        init_ns: The initial namespaces.
        write_log: The most recent writes, bounded in records and bytes and fair per caller
            (:mod:`fakeproc.model.writelog`).
        dmesg: The most recent kernel log lines emitted by handlers (up to ``DMESG_LIMIT``).
        attachments: JSON-able data other layers keep with the kernel's state
            (e.g. ``attachments["kubernetes"]``); saved in snapshots.
    """

    def __init__(self, profile: Profile | str | Path | None = None) -> None:
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
        self._lock = threading.RLock()
        self._parsed: dict[tuple[str, str], Value] = {}
        # The static value of each key, parsed once: [in a new namespace, in the initial one].
        self._static_values: tuple[dict[str, Value], dict[str, Value]] = ({}, {})
        self._prefixes = sorted({s.key.split(DEVICE_PLACEHOLDER)[0] for s in self.profile.templates.values()})
        self._copy_specs: dict[NamespaceType, list[SysctlSpec]] = {t: [] for t in NAMESPACE_TYPES}
        for spec in self.profile.entries.values():
            if spec.namespace in self._copy_specs and not spec.is_template and spec.creation not in (
                CreationRule.COMPILE_DEFAULT,
                CreationRule.ABSENT,
            ):
                self._copy_specs[spec.namespace].append(spec)
        unknown = sorted({s.on_write for s in self.profile.entries.values() if s.on_write} - set(EFFECTS))
        if unknown:
            raise ProfileError(f"profile {self.profile.name}: unknown on_write effects {', '.join(unknown)}")
        self._trees: dict[tuple[object, ...], Tree] = {}
        self._stats: dict[tuple[int, int, int], Stat] = {}
        self._listings: dict[tuple[str, int, tuple[int, ...]], tuple[Tree, tuple[tuple[str, Stat | None], ...]]] = {}
        # Memos of pure functions of a name (bounded: names come from callers): path -> key, and
        # a concrete key -> the device template it names (None: none).
        self._path_keys: dict[str, str] = {}
        # Entry key -> whether a read-only open is decided by the mode alone (see open()).
        self._uniform_reads: dict[str, bool] = {}
        self._device_keys: dict[str, tuple[SysctlSpec, str] | None] = {}
        # The namespace types the tree a namespace set sees depends on (_keys, _visible): net for its
        # devices, and the tables of entries absent from child namespaces.
        absent = {
            s.table_namespace for s in self.profile.entries.values()
            if s.creation is CreationRule.ABSENT or s.init_user_ns_only
        }
        self._tree_types = frozenset(({NamespaceType.NET} if self.profile.templates else set()) | absent) - {
            NamespaceType.GLOBAL
        }
        self._plan: list[tuple[SysctlSpec, SysctlSpec | None, Value | None, Value]] | None = None
        self._read_cache: dict[tuple[str, Value], bytes] = {}
        self._read_cache_bytes = 0
        self._copy_plans: dict[NamespaceType, list[tuple[SysctlSpec, Value, Value]]] = {}
        # Plain entries: a file in every namespace, under their own key and mode, registered
        # where their value lives. Root's
        # reads and writes of them take a short path (see read and write).
        self._plain = {
            key: spec for key, spec in self.profile.entries.items()
            if not spec.is_template and spec.creation is not CreationRule.ABSENT and spec.child_mode is None
            and spec.alias_of is None and spec.registered_in is None and not spec.init_user_ns_only
        }
        self._root_routes: dict[str, tuple[SysctlSpec, str | None, bool, bool]] = {}
        self.write_log = WriteLog()
        self.dmesg: deque[str] = deque(maxlen=DMESG_LIMIT)
        self.attachments: dict[str, Any] = {}
        #: The poll event counters of the entries with ``.poll`` (see :mod:`fakeproc.model.polls`).
        self.polls = PollEvents()
        #: Increases at every :meth:`reboot`.
        self.generation = 0
        self._boot()

    # ------------------------------------------------------------------ lookup

    def _has_spec(self, key: str) -> bool:
        return key in self.profile.entries

    def _spec(self, key: str, nsset: NamespaceSet) -> SysctlSpec | None:
        """The spec of a concrete key as seen from ``nsset`` (None if the file does not exist there)."""
        spec = self._plain.get(key)
        if spec is not None:
            return spec
        spec = self.profile.entries.get(key)
        if spec is not None:
            if spec.is_template or not self._visible(spec, nsset):
                return None
            return spec
        found = self._device_template(key)
        if found is not None and found[1] in nsset.net.devices:
            return found[0]
        return None

    def _device_template(self, key: str) -> tuple[SysctlSpec, str] | None:
        """The device template a concrete key names and the device (``eth0/100`` -> ``eth0.100``),
        whether or not a namespace has that device."""
        try:
            return self._device_keys[key]
        except KeyError:
            pass
        found = None
        for prefix in self._prefixes:
            if key.startswith(prefix):
                dev, sep, leaf = key[len(prefix):].partition(".")
                if not sep:
                    continue
                template = self.profile.templates.get(f"{prefix}{DEVICE_PLACEHOLDER}.{leaf}")
                if template is not None:
                    found = template, dev.replace("/", ".")
                    break
        if len(self._device_keys) > _MEMO_LIMIT:
            self._device_keys.clear()
        self._device_keys[key] = found
        return found

    def namespaces_read(self, key_or_path: str) -> frozenset[NamespaceType] | None:
        """The namespace types a read-only open and the reads of this entry depend on, so that a
        server can attribute its caller by those alone; None for a directory, a template or no
        such entry (the full attribution).

        They are the types of the table that registers the file (whether it exists there, its
        mode in a child namespace, its permission hook) and of the namespace holding its value
        (an alias's: the entry it names); a device entry depends on the net namespace that has
        (or lacks) the device. The user namespace too where the caller's capabilities can count:
        ``mode_if_capable``, handlers whose read depends on the caller (not ``cacheable``), and
        net and user tables unless every caller may read the file or none may (their hooks,
        :func:`~fakeproc.model.permissions.effective_mode`, only copy the owner's bits or the
        others' read bit to every class).
        """
        key = self._key(key_or_path)
        spec = self.profile.entries.get(key)
        if spec is None:
            found = self._device_template(key)
            if found is None:
                return None
            spec = found[0]
        elif spec.is_template:
            return None
        table = spec.table_namespace
        types = {table, spec.namespace}
        if spec.alias_of is not None:
            types.add(self.profile.entries[spec.alias_of].namespace)
        types.discard(NamespaceType.GLOBAL)
        if (
            spec.mode_if_capable is not None
            or not HANDLERS[spec.handler].cacheable
            or (table in (NamespaceType.NET, NamespaceType.USER) and not _same_read_for_all(spec))
        ):
            types.add(NamespaceType.USER)
        return frozenset(types)

    def namespaces_listed(self, path: str) -> frozenset[NamespaceType]:
        """The namespace types the listing of directory ``path`` and its entries' attributes
        (:meth:`stat`) depend on: those the tree's shape depends on (:meth:`tree`) and the
        tables registering the files directly in it (owner, mode in a child namespace).
        Whether ``path`` is a directory depends only on the first ones."""
        rel = _rel(path)
        prefix = path_to_key(rel) + "." if rel else ""
        types = set(self._tree_types)
        for spec in self.profile.entries.values():
            key = spec.key
            if spec.is_template:
                # A device's directory (net.ipv4.conf.<dev>.) holds the template's files.
                head, _, tail = key.partition(DEVICE_PLACEHOLDER)
                end = tail.rpartition(".")[0] + "."
                dev = prefix[len(head):-len(end)]
                if prefix.startswith(head) and prefix.endswith(end) and dev and "." not in dev:
                    types.add(spec.table_namespace)
            elif key.startswith(prefix) and "." not in key[len(prefix):]:
                types.add(spec.table_namespace)
        types.discard(NamespaceType.GLOBAL)
        return frozenset(types)

    def _visible(self, spec: SysctlSpec, nsset: NamespaceSet) -> bool:
        ns = nsset.get(spec.table_namespace)
        if spec.init_user_ns_only and ns is not None and _owned_by_child_user_ns(ns):
            return False
        if spec.creation is not CreationRule.ABSENT:
            return True
        return ns is None or ns.is_init

    def _mode(self, spec: SysctlSpec, nsset: NamespaceSet) -> int:
        """The file's registered mode as ``nsset`` sees it (``child_mode`` in a child namespace)."""
        if spec.child_mode is not None:
            table_ns = nsset.get(spec.table_namespace)
            if table_ns is not None and not table_ns.is_init:
                return spec.child_mode
        return spec.mode

    def _effective_mode(self, spec: SysctlSpec, nsset: NamespaceSet, caller: Caller) -> int:
        mode = self._mode(spec, nsset)
        if mode != spec.mode:
            spec = replace(spec, mode=mode)
        return effective_mode(spec, nsset.get(spec.table_namespace), caller, self.profile.legacy)

    def _instance(self, spec: SysctlSpec, nsset: NamespaceSet) -> Namespace | None:
        """The namespace holding ``spec``'s value for ``nsset`` (None: the global store)."""
        return nsset.get(spec.namespace)

    def _parse(self, spec: SysctlSpec, text: str | None, *, fresh: bool) -> Value:
        """A default text of ``spec`` as a stored value (cached); ``text=None`` means the
        static default: ``ns_default`` for a new namespace, else ``default``."""
        if text is None:
            text = spec.ns_default if fresh and spec.ns_default is not None else spec.default
        cache_key = (spec.key, text)
        value = self._parsed.get(cache_key)
        if value is None:
            value = HANDLERS[spec.handler].parse(spec, text, CallEnv(self, self.init_ns, ROOT, spec))
            self._parsed[cache_key] = value
        return value

    def check_profile(self) -> None:
        """Parse every default the profile holds, so that a broken profile (one embedded in a
        state file, say) fails here rather than at some later read.

        Raises:
            ProfileError: a clock rate or page size that is not positive, or a default its
                handler cannot parse (the message names the entry).
        """
        prof = self.profile
        if min(prof.hz, prof.user_hz, prof.page_size) <= 0:
            raise ProfileError(f"profile {prof.name}: hz, user_hz and page_size must be positive")
        for spec in prof.entries.values():
            texts = [spec.default, spec.ns_default, spec.loopback_default]
            try:
                for text in texts:
                    if text is not None:
                        self._parse(spec, text, fresh=False)
            except (ValueError, TypeError, ArithmeticError, LookupError, AttributeError) as e:
                raise ProfileError(f"profile {prof.name}: entry {spec.key}: default cannot be parsed "
                                   f"({type(e).__name__})") from None

    def _resolve(self, spec: SysctlSpec, key: str, ns: Namespace | None) -> Value:
        """The value ``key`` holds in ``ns``: written, else captured at creation, else static."""
        store = ns if ns is not None else self._global
        value = store.values.get(key)
        if value is None:
            value = store.base.get(key)
            if value is None:
                statics = self._static_values[store.is_init]
                value = statics.get(key)
                if value is None:
                    value = statics[key] = self._parse(spec, None, fresh=not store.is_init)
        return value

    def _value_of(self, key: str, nsset: NamespaceSet) -> Value:
        """Current stored value of ``key`` for ``nsset``; ENOENT if it does not exist there."""
        spec = self._plain.get(key) or self._spec(key, nsset)
        if spec is None:
            raise_errno(errno.ENOENT, key)
        return self._resolve(spec, key, nsset.get(spec.namespace))

    def _writes_strict(self) -> int:
        spec = self.profile.entries.get("kernel.sysctl_writes_strict")
        if spec is None:
            return 1
        return first_int(self._resolve(spec, spec.key, None))

    # ------------------------------------------------------------------ the call

    def _call(self, key: str, nsset: NamespaceSet, caller: Caller, data: bytes | None, pos: int, size: int) -> Result:
        """``proc_sys_call_handler``: one read or write through the entry's handler."""
        spec = self._spec(key, nsset)
        if spec is None:
            raise_errno(errno.ENOENT, key)
        return self._call_spec(spec, key, nsset, caller, data, pos, size)

    def _read(self, key: str, nsset: NamespaceSet, caller: Caller, pos: int, size: int) -> bytes:
        """One ``read(2)`` of an open file: :meth:`_call`'s output, with the common case inline (an
        entry read whole at 0 whose (entry, value) was formatted before, as :meth:`_run` finds it)."""
        spec = self._spec(key, nsset)
        if spec is None:
            raise_errno(errno.ENOENT, key)
        if pos == 0 and spec.alias_of is None:
            ns = nsset.get(spec.namespace)
            value = (ns if ns is not None else self._global).values.get(key)
            if value is None:
                value = self._resolve(spec, key, ns)
            out = self._read_cache.get((spec.key, value))
            if out is not None and len(out) < size < KMALLOC_MAX_SIZE:
                return out
        return self._call_spec(spec, key, nsset, caller, None, pos, size).output

    def _call_spec(self, spec: SysctlSpec, key: str, nsset: NamespaceSet, caller: Caller, data: bytes | None,
                   pos: int, size: int) -> Result:
        """:meth:`_call` for an entry already looked up (and visible to ``nsset``)."""
        store_spec, store_key = spec, key
        if spec.alias_of is not None:
            store_key = spec.alias_of
            store_spec = self.profile.entries[store_key]
        return self._run(spec, key, store_spec, store_key, self._instance(store_spec, nsset), nsset, caller,
                         data, pos, size)

    def _run(self, spec: SysctlSpec, key: str, store_spec: SysctlSpec, store_key: str, ns: Namespace | None,
             nsset: NamespaceSet, caller: Caller, data: bytes | None, pos: int, size: int) -> Result:
        """The handler call itself: ``spec``'s handler on the value ``store_key`` holds in
        ``ns`` (``store_spec`` differs from ``spec`` only for an alias); stores, applies the
        write's effect and logs it."""
        if size >= KMALLOC_MAX_SIZE:
            raise_errno(errno.ENOMEM, key)
        handler: Handler = HANDLERS[spec.handler]
        store = ns if ns is not None else self._global
        with self._lock:
            old = store.values.get(store_key)
            if old is None:
                old = self._resolve(store_spec, store_key, ns)
            if data is None and pos == 0 and handler.cacheable:
                cached = self._read_cache.get((spec.key, old))
                if cached is not None and len(cached) < size:
                    return Result(old, cached, len(cached), len(cached))
            result = handler.call(Request(spec, old, pos, data, size, CallEnv(self, nsset, caller, spec), key))
            if data is None:
                if pos == 0 and handler.cacheable and not result.errno and len(result.output) < size:
                    self._read_cache_bytes += len(result.output)
                    if len(self._read_cache) > _READ_CACHE_LIMIT or self._read_cache_bytes > _READ_CACHE_BYTES:
                        self._read_cache.clear()
                        self._read_cache_bytes = len(result.output)
                    self._read_cache[(spec.key, old)] = result.output
            else:
                if result.value != old:
                    store.values[store_key] = result.value
                    effect = store_spec.on_write or spec.on_write
                    if effect is not None and ns is not None:
                        EFFECTS[effect](self, ns, store_key, result.value)
                log = self.write_log
                err = result.errno
                if size <= SMALL_PAYLOAD:  # a write's size is len(data)
                    # WriteLog.add's common case, inline: a method call would cost a
                    # tenth of the write (benchmarks/count_instructions.py).
                    entries = log.entries
                    entries.append((key, data, size, pos, nsset.id_tuple, caller.pid, caller.comm,
                                    0 if err else result.count, err, _now(), caller.uid))
                    if len(entries) > log.limit:
                        log.shrink()
                else:
                    log.add(key, data, pos, nsset.id_tuple, caller.pid, caller.comm,
                            0 if err else result.count, err, caller.uid)
        if data is not None and store_key in POLLABLE:
            # proc_do_uts_string notifies after every write that reached it (kernel/utsname_sysctl.c),
            # also of zero bytes or of the value already there.
            self.polls.notify(store_key)
        if result.errno:
            raise_errno(result.errno, key)
        return result

    # ------------------------------------------------------------------ public file API

    def _key(self, key_or_path: str) -> str:
        if "/" not in key_or_path:
            return key_or_path
        key = self._path_keys.get(key_or_path)
        if key is None:
            key = key_or_path
            if key_or_path.startswith("/") or "." not in key_or_path.split("/")[0]:
                key = path_to_key(key_or_path)
            if len(self._path_keys) > _MEMO_LIMIT:
                self._path_keys.clear()
            self._path_keys[key_or_path] = key
        return key

    def tree(self, ns: NamespaceSet | None = None) -> Tree:
        """The directory tree ``ns`` sees (cached per shape of namespace set)."""
        nsset = ns or self.init_ns
        members = nsset.members().values()
        shape = (tuple(m.is_init for m in members), tuple(_owned_by_child_user_ns(m) for m in members),
                 tuple(nsset.net.devices))
        tree = self._trees.get(shape)
        if tree is None:
            with self._lock:
                tree = Tree(self._keys(nsset), self.profile.directories)
                self._trees[shape] = tree
        return tree

    def _keys(self, nsset: NamespaceSet) -> Iterator[str]:
        for spec in self.profile.entries.values():
            if spec.is_template:
                for dev in nsset.net.devices:
                    yield spec.key.replace(DEVICE_PLACEHOLDER, dev.replace(".", "/"))
            elif self._visible(spec, nsset):
                yield spec.key

    def keys(self, ns: NamespaceSet | None = None) -> list[str]:
        """Every dotted key ``ns`` sees, in ``/proc/sys`` path order."""
        return self.tree(ns).keys()

    def exists(self, key_or_path: str, ns: NamespaceSet | None = None) -> bool:
        """Whether the file or directory exists for ``ns``."""
        key = self._key(key_or_path)
        if self.tree(ns).is_dir(key_to_path(key)):
            return True
        return self._spec(key, ns or self.init_ns) is not None

    def spec(self, key_or_path: str, ns: NamespaceSet | None = None) -> SysctlSpec:
        """The spec of an entry (the template's spec for per-device keys).

        Raises:
            OSError(ENOENT): no such entry for ``ns``.
        """
        key = self._key(key_or_path)
        spec = self._spec(key, ns or self.init_ns)
        if spec is None:
            raise_errno(errno.ENOENT, key)
        return spec

    def listdir(self, path: str = "", ns: NamespaceSet | None = None) -> list[str]:
        """Sorted names in a directory (``""`` is ``/proc/sys`` itself).

        Raises:
            OSError(ENOENT): no such directory; OSError(ENOTDIR): a file.
        """
        rel = _rel(path)
        tree = self.tree(ns)
        if tree.is_dir(rel):
            return list(tree.children(rel))
        if tree.key_of(rel) is not None:
            raise_errno(errno.ENOTDIR, path)
        raise_errno(errno.ENOENT, path)

    def stat(self, path: str, ns: NamespaceSet | None = None) -> Stat:
        """What ``stat(2)`` shows: size 0, one link, mode bits as registered, owner root
        (or the namespace root for IPC and net entries).

        Raises:
            OSError(ENOENT): no such path.
        """
        nsset = ns or self.init_ns
        rel = _rel(path)
        tree = self.tree(nsset)
        if tree.is_dir(rel):
            return _DIR_STAT
        key = tree.key_of(rel)
        if key is None:
            key = self._key(path)
        spec = self._spec(key, nsset)
        if spec is None:
            raise_errno(errno.ENOENT, path)
        uid, gid = owner_ids(spec, nsset.get(spec.table_namespace), self.profile.legacy)
        return Stat(False, stat_mod.S_IFREG | self._mode(spec, nsset), uid, gid, 1)

    def listdir_stat(self, path: str = "", ns: NamespaceSet | None = None) -> tuple[tuple[str, Stat | None], ...]:
        """:meth:`listdir` with each name's :meth:`stat` (None where it has none), in one pass:
        what a listing with attributes (FUSE's READDIRPLUS) asks for.

        Raises:
            OSError(ENOENT): no such directory; OSError(ENOTDIR): a file.
        """
        nsset = ns or self.init_ns
        rel = _rel(path)
        tree = self.tree(nsset)
        # A listing depends on the tree (devices, visibility) and on the namespaces of the set
        # (owners, modes in child namespaces), which do not change once made: reboot() and
        # restore() start the memo afresh, as they do the trees.
        memo = (rel, id(tree), nsset.id_tuple)
        listed = self._listings.get(memo)
        if listed is not None and listed[0] is tree:
            return listed[1]
        if not tree.is_dir(rel):
            self.listdir(path, nsset)  # raises the errno
        prefix = rel + "/" if rel else ""
        legacy = self.profile.legacy
        stats = self._stats
        out: list[tuple[str, Stat | None]] = []
        for name in tree.children(rel):
            child = prefix + name
            if tree.is_dir(child):
                out.append((name, _DIR_STAT))
                continue
            key = tree.key_of(child)
            spec = None if key is None else self._spec(key, nsset)
            if spec is None:
                out.append((name, None))
                continue
            uid, gid = owner_ids(spec, nsset.get(spec.table_namespace), legacy)
            mode = stat_mod.S_IFREG | self._mode(spec, nsset)
            st = stats.get((mode, uid, gid))
            if st is None:
                if len(stats) > _STAT_LIMIT:
                    stats.clear()
                st = stats[mode, uid, gid] = Stat(False, mode, uid, gid, 1)
            out.append((name, st))
        if len(self._listings) > _LISTING_LIMIT:
            self._listings.clear()
        result = tuple(out)
        self._listings[memo] = (tree, result)
        return result

    def open(self, key_or_path: str, flags: int = os.O_RDONLY, ns: NamespaceSet | None = None,
             caller: Caller = ROOT) -> SysctlFile:
        """Open an entry like ``open(2)`` on ``/proc/sys``: flags and permissions are checked here,
        in the order fs/namei.c ``do_open`` and ``may_open`` check them.

        Raises:
            OSError(ENOENT): no such entry (also with ``O_CREAT``: procfs creates nothing).
            OSError(EEXIST): ``O_CREAT|O_EXCL`` on an existing entry.
            OSError(EISDIR): a directory opened for writing, with ``O_TRUNC`` or with ``O_CREAT``.
            OSError(ENOTDIR): a file opened with ``O_DIRECTORY`` or ``O_TMPFILE``.
            OSError(EACCES): mode bits refuse the access (no override for root); ``O_TRUNC``
                needs write permission; ``O_TMPFILE`` in a (0555) directory.
            OSError(EINVAL): ``O_TMPFILE`` without write access; ``O_CREAT|O_DIRECTORY``.
            OSError(EPERM): ``O_NOATIME`` by a caller that neither owns the file nor has CAP_FOWNER.
        """
        nsset = ns or self.init_ns
        accmode = flags & os.O_ACCMODE
        tmpfile = flags & _O_TMPFILE_ONLY
        if (tmpfile and accmode not in (os.O_WRONLY, os.O_RDWR)) or (
            flags & os.O_CREAT and flags & os.O_DIRECTORY and not tmpfile
        ):
            raise_errno(errno.EINVAL, key_or_path)  # build_open_flags
        want_read = accmode in (os.O_RDONLY, os.O_RDWR)
        want_write = accmode in (os.O_WRONLY, os.O_RDWR)
        key = self._key(key_or_path)
        with self._lock:
            spec = self._spec(key, nsset)
            if spec is None:
                # Not a file: a directory (the tree is only built for this rarer case), or nothing.
                if not self.tree(nsset).is_dir(key_to_path(key)):
                    raise_errno(errno.ENOENT, key)
            else:
                mode = self._open_mode(spec, nsset, caller, flags)
        if flags & os.O_PATH:
            # An O_PATH open checks no permission and gives a descriptor that neither reads nor
            # writes (fs/open.c do_dentry_open: FMODE_PATH).
            if spec is not None and flags & os.O_DIRECTORY:
                raise_errno(errno.ENOTDIR, key_or_path)
            return SysctlFile(self, key, nsset, caller, False, False, is_dir=spec is None)
        if flags & os.O_CREAT:
            if flags & os.O_EXCL:
                raise_errno(errno.EEXIST, key_or_path)
            if spec is None:
                raise_errno(errno.EISDIR, key_or_path)
        if spec is None:
            if tmpfile:
                # vfs_tmpfile: inode_permission(dir, MAY_WRITE | MAY_EXEC); sysctl directories are 0555.
                raise_errno(errno.EACCES, key_or_path)
            if want_write or flags & os.O_TRUNC:
                raise_errno(errno.EISDIR, key_or_path)  # may_open: MAY_WRITE on a directory
            return SysctlFile(self, key, nsset, caller, True, False, is_dir=True)
        if flags & os.O_DIRECTORY:
            raise_errno(errno.ENOTDIR, key_or_path)  # LOOKUP_DIRECTORY (O_TMPFILE includes it)
        # build_open_flags: O_TRUNC asks for write permission, whatever the access mode.
        if not may_open(mode, caller, read=want_read, write=want_write or bool(flags & os.O_TRUNC)):
            raise_errno(errno.EACCES, key)
        if flags & os.O_NOATIME and not self._owner_or_capable(spec, nsset, caller):
            raise_errno(errno.EPERM, key_or_path)  # may_open: inode_owner_or_capable
        return SysctlFile(self, key, nsset, caller, want_read, want_write)

    def permits(self, key_or_path: str, ns: NamespaceSet, caller: Caller, *, write: bool) -> bool:
        """``sysctl_perm`` at a read or write (not an open): may ``caller`` read (or write) the
        entry, by its mode bits and the namespace's permission hook? False for a missing entry."""
        key = self._key(key_or_path)
        spec = self._spec(key, ns)
        if spec is None:
            return False
        return may_open(self._effective_mode(spec, ns, caller), caller, read=not write, write=write)

    def _owner_or_capable(self, spec: SysctlSpec, nsset: NamespaceSet, caller: Caller) -> bool:
        """``inode_owner_or_capable``: the caller owns the file, or has CAP_FOWNER in a user
        namespace where the file's owner is mapped."""
        uid, gid = owner_ids(spec, nsset.get(spec.table_namespace), self.profile.legacy)
        if caller.uid == uid:
            return True
        if not caller.has_cap("CAP_FOWNER"):
            return False
        user_ns = caller.user_ns
        return user_ns is None or (user_ns.uid_inside(uid) is not None and user_ns.gid_inside(gid) is not None)

    def _open_mode(self, spec: SysctlSpec, nsset: NamespaceSet, caller: Caller, flags: int) -> int:
        """The mode an open with ``flags`` is checked against: :meth:`_effective_mode`, or for a
        read-only open (no ``O_TRUNC``) of an entry every caller may read or none may, the mode
        alone: the permission hooks only copy one class's bits to all (see :meth:`namespaces_read`),
        so they cannot change that answer."""
        if flags & (os.O_ACCMODE | os.O_TRUNC) == os.O_RDONLY:
            uniform = self._uniform_reads.get(spec.key)
            if uniform is None:
                uniform = self._uniform_reads[spec.key] = spec.mode_if_capable is None and _same_read_for_all(spec)
            if uniform:
                return self._mode(spec, nsset)
        return self._effective_mode(spec, nsset, caller)

    def chmod(self, key_or_path: str, mode: int, ns: NamespaceSet | None = None) -> None:
        """``chmod(2)``: procfs refuses mode changes of sysctl files (``proc_sys_setattr``).

        Raises:
            OSError(EPERM): always, for an existing path; OSError(ENOENT) otherwise.
        """
        self.stat(key_or_path, ns)
        raise_errno(errno.EPERM, key_or_path)

    def chown(self, key_or_path: str, uid: int, gid: int, ns: NamespaceSet | None = None) -> None:
        """``chown(2)``: refused like :meth:`chmod`.

        Raises:
            OSError(EPERM): always, for an existing path; OSError(ENOENT) otherwise.
        """
        self.stat(key_or_path, ns)
        raise_errno(errno.EPERM, key_or_path)

    def access(self, key_or_path: str, *, read: bool = False, write: bool = False, execute: bool = False,
               ns: NamespaceSet | None = None, caller: Caller = ROOT) -> bool:
        """Whether ``caller`` may open the entry that way (``access(2)``; files are never executable)."""
        nsset = ns or self.init_ns
        key = self._key(key_or_path)
        spec = self._spec(key, nsset)
        if spec is None:
            raise_errno(errno.ENOENT, key)
        if execute:
            return False
        mode = self._effective_mode(spec, nsset, caller)
        return may_open(mode, caller, read=read, write=write)

    def read(self, key_or_path: str, ns: NamespaceSet | None = None, caller: Caller = ROOT) -> str:
        """What ``cat`` prints: one ``read(2)`` at offset 0 of a large buffer.

        Raises:
            OSError: ENOENT, EACCES (e.g. a 0200 entry), or the handler's errno (EIO...).
        """
        if caller is ROOT:
            # The common case, without building a file: root reading a plain entry, often
            # one whose (entry, value) was formatted before.
            # The shortcut's rule lives in _root_route; it is inline here and in write because a
            # method call would cost a sixth of the read (benchmarks/count_instructions.py).
            route = self._root_routes.get(key_or_path) or self._root_route(key_or_path)
            if route is not None and route[2]:
                spec, attr = route[0], route[1]
                nsset = ns or self.init_ns
                store = getattr(nsset, attr) if attr else None
                if store is None or store.owner is None:
                    value = (store or self._global).values.get(key_or_path)
                    if value is None:
                        value = self._resolve(spec, key_or_path, store)
                    out = self._read_cache.get((key_or_path, value))
                    if out is None:
                        out = self._run(spec, key_or_path, spec, key_or_path, store, nsset, caller,
                                        None, 0, _READ_SIZE).output
                    return out.decode("utf-8", "surrogateescape")
        f = self.open(key_or_path, os.O_RDONLY, ns, caller)
        return f.read(_READ_SIZE, 0).decode("utf-8", "surrogateescape")

    def write(self, key_or_path: str, value: str | bytes, ns: NamespaceSet | None = None,
              caller: Caller = ROOT) -> int:
        """One ``write(2)`` of exactly ``value`` at offset 0; returns the bytes consumed.

        Raises:
            OSError: ENOENT, EACCES, or the handler's errno (EINVAL, ERANGE, EPERM...).
        """
        data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
        if caller is ROOT:
            # The common case, without building a file: root writing a plain entry.
            route = self._root_routes.get(key_or_path) or self._root_route(key_or_path)
            if route is not None:
                spec, attr, _readable, writable = route
                if writable:
                    nsset = ns or self.init_ns
                    store = getattr(nsset, attr) if attr else None
                    if store is None or store.owner is None:
                        return self._run(spec, key_or_path, spec, key_or_path, store, nsset, caller,
                                         data, 0, len(data)).count
        return self.open(key_or_path, os.O_WRONLY, ns, caller).write(data, 0)

    def _root_route(self, key: str) -> tuple[SysctlSpec, str | None, bool, bool] | None:
        """Root's short path, decided once per key for :meth:`read` and :meth:`write`.

        A plain entry (a file in every namespace, under its own key and mode, registered
        where its value lives) gets (spec, the :class:`NamespaceSet` member holding its
        value or None for the global store, whether root may read it, whether root may
        write it): root's mode is the same in every namespace the initial user namespace
        owns, so the callers only check that the holding namespace is one of those. None
        for any other key, which goes through :meth:`open` and the permission hooks.
        ``tests/model/test_root_shortcut.py`` checks that both paths answer alike for every
        key, namespace set and caller.
        """
        spec = self._plain.get(key)
        if spec is None:
            return None
        attr = None if spec.namespace is NamespaceType.GLOBAL else spec.namespace.value
        mode = effective_mode(spec, self.init_ns.get(spec.namespace), ROOT, self.profile.legacy)
        route = self._root_routes[key] = (spec, attr, bool(mode & 0o400), bool(mode & 0o200))
        return route

    def set(self, key_or_path: str, value: str | bytes, ns: NamespaceSet | None = None,
            caller: Caller = ROOT) -> None:
        """What ``echo VALUE > /proc/sys/KEY`` does: write ``VALUE\\n`` and, after a short
        write, the rest at the advanced offset, as shells' and Go's write loops do.

        Raises:
            OSError: as :meth:`write`, for the first refused ``write(2)``.
        """
        data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
        if not data.endswith(b"\n"):
            data += b"\n"
        self.open(key_or_path, os.O_WRONLY, ns, caller).write_all(data)

    # ------------------------------------------------------------------ lifecycle and state

    def reboot(self) -> None:
        """Back to the profile's boot values: every written value is lost and every
        namespace but the initial ones is gone (their processes died with the machine).

        The initial namespace objects stay the same objects, so a live mount or any
        holder of :attr:`init_ns` keeps working; :attr:`generation` increases so that
        holders of other namespaces can tell theirs are gone.
        """
        with self._lock:
            init = [self._global, *self.init_ns.members().values()]
            for ns in init:
                ns.values.clear()
                ns.base.clear()
                ns.devices.clear()
            self._namespaces = {ns.id: ns for ns in sorted(init, key=lambda ns: ns.id)}
            self._trees.clear()
            self._listings.clear()
            self._boot_devices()
            self.generation += 1

    def clear_write_log(self) -> None:
        """Forget the recorded writes."""
        self.write_log.clear()

    @property
    def global_namespace(self) -> Namespace:
        """The one store of values that belong to no namespace (``init_net``-less globals)."""
        return self._global

    @property
    def next_namespace_id(self) -> int:
        """The id the next new namespace gets (ids are never reused)."""
        return self._next_id

    def restore(self, namespaces: Sequence[Namespace], *, global_ns: Namespace,
                init: dict[NamespaceType, Namespace], next_id: int, attachments: dict[str, Any],
                dmesg: Sequence[str] = ()) -> None:
        """Replace the whole state: the live namespaces (linked to their parents and owners
        already), which of them are the global store and the initial ones, the next id,
        the attachments and the kernel log. :mod:`fakeproc.model.snapshot` rebuilds a kernel
        with it; the write log is left as it is.
        """
        with self._lock:
            self._namespaces = {ns.id: ns for ns in sorted(namespaces, key=lambda ns: ns.id)}
            self._global = global_ns
            self.init_ns = NamespaceSet(**{t.value: init[t] for t in init})
            self._next_id = next_id
            self.attachments = dict(attachments)
            self.dmesg.clear()
            self.dmesg.extend(dmesg)
            self._trees.clear()
            self._listings.clear()

    def snapshot(self) -> dict[str, Any]:
        """The whole state as a JSON-able dict (see :mod:`fakeproc.model.snapshot`)."""
        with self._lock:
            return snapshot.dump(self)

    @classmethod
    def from_snapshot(cls, data: Any) -> Kernel:
        """A kernel in the state :meth:`snapshot` recorded.

        Raises:
            StateError: the snapshot is malformed, from a newer fakeproc, or names an unknown
                profile (the message names the field).
        """
        return snapshot.load(cls, data)

    def copy(self) -> Kernel:
        """An independent kernel in the same state (for trial writes)."""
        return Kernel.from_snapshot(self.snapshot())

    def save(self, path: str | Path) -> None:
        """Write :meth:`snapshot` to ``path`` atomically (temporary file, fsync, rename).

        Raises:
            StateError: the state cannot be encoded or the file written; the previous
                file is then left as it was.
        """
        snapshot.save(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> Kernel:
        """A kernel from a file written by :meth:`save`.

        Raises:
            StateError: unreadable, corrupt or newer-format file (one line saying why).
        """
        try:
            return cls.from_snapshot(snapshot.read(Path(path)))
        except StateError as e:
            raise StateError(f"state file {path}: {e}") from None

    def __repr__(self) -> str:
        return f"<Kernel profile={self.profile.name!r} namespaces={len(self._namespaces)}>"


def _same_read_for_all(spec: SysctlSpec) -> bool:
    """Whether every caller may read the file, or none may, in every namespace (``test_perm``
    after any hook that copies one class's bits to all: all read bits set, or none)."""
    return all((mode & 0o444) in (0, 0o444) for mode in (spec.mode, spec.child_mode) if mode is not None)


def _rel(path: str) -> str:
    rel = path
    rel = rel.removeprefix("/proc/sys")
    return rel.strip("/")
