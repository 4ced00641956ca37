"""Who may open what: procfs's permission check for sysctl files.

Mirrors ``fs/proc/proc_sysctl.c`` (``test_perm``, ``sysctl_perm``) plus each
namespace type's ``root->permissions`` hook. There is no capability override:
a 0444 entry is not writable and a 0200 entry not readable, even for root.

>>> may_open(0o644, ROOT, write=True)
True
>>> may_open(0o444, ROOT, write=True)
False
>>> may_open(0o644, Caller(uid=1000, gid=1000), write=True)
False
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeproc.handlers.legacy import IPC_GLOBAL_SYSCTL_TABLE
from fakeproc.model.namespaces import Namespace
from fakeproc.spec import NamespaceType, SysctlSpec

__all__ = ["ROOT", "Caller", "effective_mode", "may_open", "ns_capable", "owner_ids"]

MAY_EXEC = 1
MAY_WRITE = 2
MAY_READ = 4


@dataclass(frozen=True)
class Caller:
    """The process asking: its credentials and where it lives.

    Attributes:
        uid: Effective uid as the kernel sees it (a kernel uid, not mapped).
        gid: Effective gid (kernel gid).
        groups: Supplementary groups (kernel gids).
        pid: Process (or thread) id, for the write log.
        comm: Command name, for the write log.
        user_ns: The caller's user namespace (None: the initial one).
        caps: Effective capabilities in ``user_ns``; None means the usual set for
            the uid: all of them for the root of ``user_ns`` (uid 0 in the initial
            namespace, the uid its map sends 0 to in a child one, as after
            ``unshare -r``) and none otherwise.
    """

    uid: int = 0
    gid: int = 0
    groups: tuple[int, ...] = ()
    pid: int = 0
    comm: str = ""
    user_ns: Namespace | None = None
    caps: frozenset[str] | None = None

    def has_cap(self, cap: str) -> bool:
        """Whether ``cap`` is in the effective set (in the caller's own user namespace)."""
        if self.caps is None:
            return self.uid == (0 if self.user_ns is None else self.user_ns.map_uid(0))
        return cap in self.caps

    def in_group(self, gid: int) -> bool:
        """``in_egroup_p``."""
        return self.gid == gid or gid in self.groups


#: Root in the initial namespaces with every capability.
ROOT = Caller()


def ns_capable(caller: Caller, target: Namespace | None, cap: str) -> bool:
    """``ns_capable(target, cap)``: does ``caller`` hold ``cap`` over user namespace ``target``?

    True when the caller's user namespace is ``target`` or an ancestor of it and
    the caller has ``cap`` there, or when the caller owns a child user namespace
    on the way down (the creator of a user namespace has every capability in it).
    """
    mine = _real(caller.user_ns)
    ns = _real(target)
    while ns is not None:
        if ns is mine:
            return caller.has_cap(cap)
        if _real(ns.parent) is mine and ns.owner_uid == caller.uid:
            return True
        ns = _real(ns.parent)
    # Reached the initial user namespace.
    return mine is None and caller.has_cap(cap)


def _real(ns: Namespace | None) -> Namespace | None:
    """None stands for the initial user namespace everywhere in this module."""
    return None if ns is None or ns.parent is None else ns


def owner_ids(spec: SysctlSpec, ns: Namespace | None, legacy: frozenset[str] = frozenset()) -> tuple[int, int]:
    """Owner (uid, gid) of an entry's file: the owning user namespace's root for files of
    IPC and net tables (``ipc_set_ownership``, ``net_ctl_set_ownership``), else global root.

    ``ns`` is the namespace whose table registers the file (``spec.table_namespace``): a
    global value shown in a child netns's table (``net.core.rmem_max``) belongs to that
    netns's root too. ``legacy`` is the profile's set of older-kernel behaviours.
    """
    table = spec.table_namespace
    if ns is None or table not in (NamespaceType.IPC, NamespaceType.NET) or ns.owner is None:
        return 0, 0
    if table is NamespaceType.IPC and IPC_GLOBAL_SYSCTL_TABLE in legacy:
        return 0, 0
    uid = ns.owner.map_uid(0)
    gid = ns.owner.map_gid(0)
    return (0 if uid is None else uid), (0 if gid is None else gid)


def _replicate(bits: int) -> int:
    bits &= 7
    return (bits << 6) | (bits << 3) | bits


def effective_mode(spec: SysctlSpec, ns: Namespace | None, caller: Caller,
                   legacy: frozenset[str] = frozenset()) -> int:
    """The mode ``test_perm`` checks, after the permissions hook of the table the file is in.

    ``ns`` is the namespace whose table registers the file (``spec.table_namespace``; None
    for the global tables): the hook is the table's, whatever namespace holds the value.
    ``legacy`` is the profile's set of older-kernel behaviours: with
    ``ipc_global_sysctl_table`` the IPC files have no hook and keep their mode.
    """
    mode = spec.mode
    if ns is None:
        return mode
    table = spec.table_namespace
    owner = ns.owner if ns.type is not NamespaceType.USER else ns
    if spec.mode_if_capable is not None and ns_capable(caller, owner, spec.mode_if_capable[0]):
        return spec.mode_if_capable[1]
    if table is NamespaceType.IPC:
        if IPC_GLOBAL_SYSCTL_TABLE in legacy:
            return mode
        root_uid, root_gid = owner_ids(spec, ns)
        if caller.uid == root_uid:
            return _replicate(mode >> 6)
        if caller.in_group(root_gid):
            return _replicate(mode >> 3)
        return _replicate(mode)
    if table is NamespaceType.NET:
        if ns_capable(caller, owner, "CAP_NET_ADMIN"):
            return _replicate(mode >> 6)
        return mode
    if table is NamespaceType.USER:
        if ns_capable(caller, owner, "CAP_SYS_RESOURCE"):
            return _replicate(mode >> 6)
        return _replicate(mode & 0o004)
    return mode


def may_open(mode: int, caller: Caller, *, read: bool = False, write: bool = False, execute: bool = False) -> bool:
    """``test_perm``: owner bits for global root, group bits for the root group, else other bits."""
    if caller.uid == 0:
        bits = mode >> 6
    elif caller.in_group(0):
        bits = mode >> 3
    else:
        bits = mode
    want = (MAY_READ if read else 0) | (MAY_WRITE if write else 0) | (MAY_EXEC if execute else 0)
    return (want & ~bits & 7) == 0
