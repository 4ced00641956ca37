"""Older-kernel behaviours a profile can switch on through ``HandlerEnv.legacy``.

fakeproc's handlers answer like Linux 6.18. A profile for an older kernel names
the places where that kernel answered differently; each name is a key of
:data:`LEGACY_BEHAVIOURS`, and the value says what changes and which kernels
behave that way.

>>> sorted(LEGACY_BEHAVIOURS)[:2]
['bitmap_truncate_4095', 'compact_memory_any_write']
>>> SIMPLE_STRTOUL in LEGACY_BEHAVIOURS
True
"""

from __future__ import annotations

__all__ = [
    "BITMAP_TRUNCATE_4095",
    "COMPACT_MEMORY_ANY_WRITE",
    "DOULONGVEC_SKIP_NEGATIVE",
    "DOULONGVEC_SKIP_OUT_OF_RANGE",
    "IPC_GLOBAL_SYSCTL_TABLE",
    "JIFFIES_LONG_MAX_BOUND",
    "LEGACY_BEHAVIOURS",
    "MINMAX_NO_INT_CHECK",
    "NS_LAST_PID_SYSADMIN_ONLY",
    "PING_GROUP_RANGE_INT",
    "SIMPLE_STRTOUL",
]

SIMPLE_STRTOUL = "simple_strtoul"
MINMAX_NO_INT_CHECK = "minmax_no_int_check"
DOULONGVEC_SKIP_NEGATIVE = "doulongvec_skip_negative"
DOULONGVEC_SKIP_OUT_OF_RANGE = "doulongvec_skip_out_of_range"
JIFFIES_LONG_MAX_BOUND = "jiffies_long_max_bound"
BITMAP_TRUNCATE_4095 = "bitmap_truncate_4095"
IPC_GLOBAL_SYSCTL_TABLE = "ipc_global_sysctl_table"
PING_GROUP_RANGE_INT = "ping_group_range_int"
COMPACT_MEMORY_ANY_WRITE = "compact_memory_any_write"
NS_LAST_PID_SYSADMIN_ONLY = "ns_last_pid_sysadmin_only"

#: Name -> what it changes, and which kernels behave that way.
LEGACY_BEHAVIOURS: dict[str, str] = {
    NS_LAST_PID_SYSADMIN_ONLY: (
        "pid_ns_ctl_handler lets only CAP_SYS_ADMIN over the pid namespace's owner write "
        "kernel.ns_last_pid; CAP_CHECKPOINT_RESTORE (checkpoint_restore_ns_capable) came in 5.9."
    ),
    SIMPLE_STRTOUL: (
        "proc_get_long parses with simple_strtoul: no overflow detection, numbers wrap modulo 2**64 "
        "instead of failing with EINVAL. Pristine kernels before the strtoul_lenient change (5.1 era); "
        "Ubuntu 4.15.0-212 already has the fix."
    ),
    MINMAX_NO_INT_CHECK: (
        "do_proc_dointvec_minmax_conv truncates the parsed number to int before the range check, with "
        "no INT_MAX overflow test (4294967346 becomes 50). Pristine v4.15 and 3.x."
    ),
    DOULONGVEC_SKIP_NEGATIVE: (
        "__do_proc_doulongvec_minmax silently skips a negative element (`if (neg) continue;`): the "
        "element keeps its value and the write succeeds. v4.15, including Ubuntu 4.15.0-212."
    ),
    DOULONGVEC_SKIP_OUT_OF_RANGE: (
        "__do_proc_doulongvec_minmax silently skips an element outside [extra1, extra2] instead of "
        "failing with EINVAL. Pristine v4.15 and 3.x."
    ),
    JIFFIES_LONG_MAX_BOUND: (
        "do_proc_dointvec_jiffies_conv bounds the seconds by LONG_MAX/HZ instead of INT_MAX/HZ, so the "
        "product wraps to int silently. Pristine v4.15 and 3.x."
    ),
    BITMAP_TRUNCATE_4095: (
        "proc_do_large_bitmap parses only the first 4095 bytes of a write and still reports the full "
        "count (no chunking, no short write): input beyond 4095 bytes is dropped, possibly in the middle "
        "of a number. Kernels before 5.2."
    ),
    IPC_GLOBAL_SYSCTL_TABLE: (
        "ipc/ipc_sysctl.c and ipc/mq_sysctl.c register one global table each (register_sysctl_table) "
        "whose handlers find the caller's IPC namespace at call time: no permissions hook and no "
        "ownership per IPC namespace, so every kernel.* IPC and fs.mqueue.* file keeps its registered "
        "mode, global root owns it, and root of a child user namespace gets the 'other' bits. Seen in "
        "the v4.15 and v5.0 sources; 6.x registers tables per IPC namespace (ipc_permissions, "
        "mq_permissions, ipc_set_ownership)."
    ),
    PING_GROUP_RANGE_INT: (
        "ipv4_ping_group_range parses into gid_t[2] with proc_dointvec_minmax and GID_T_MAX = "
        "INT_MAX (include/net/ping.h), so a gid above 2147483647 is EINVAL; 6.x parses unsigned longs "
        "up to 4294967294. Seen in the Ubuntu 4.15 tree (which already has the EINVAL for unmapped gids)."
    ),
    COMPACT_MEMORY_ANY_WRITE: (
        "sysctl_compaction_handler only calls compact_nodes() and returns 0: a write to "
        "vm.compact_memory consumes every byte unparsed and leaves the file position. Later kernels "
        "(6.18) parse it with proc_dointvec and refuse anything but 1 with EINVAL. v4.15."
    ),
}
