"""Kernel constants and small helpers the network handler modules share."""

from __future__ import annotations

from fakeproc.handlers.base import HandlerEnv

__all__ = [
    "GID_T_MAX",
    "HEXDIGITS",
    "IPV6_MAX_STRLEN",
    "IPV6_MIN_MTU",
    "KSPACE",
    "MPTCP_NAME_MAX",
    "NFLOGGER_NAME_LEN",
    "NF_LOG_EVERY_FAMILY",
    "OVERFLOWGID",
    "TCP_CA_BUF_MAX",
    "TCP_CA_NAME_MAX",
    "TCP_FASTOPEN_KEY_MAXLEN",
    "UNSET_SECRET",
    "lookup_first",
]

#: ``GID_T_MAX`` in net/ipv4/sysctl_net_ipv4.c: ``(gid_t)~0U - 1``.
GID_T_MAX = 4294967294
#: ``overflowgid``: what ``from_kgid_munged`` shows for an unmapped group.
OVERFLOWGID = 65534
#: ``sizeof("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")``.
IPV6_MAX_STRLEN = 46
#: ``TCP_CA_NAME_MAX`` (include/net/tcp.h).
TCP_CA_NAME_MAX = 16
#: ``TCP_CA_BUF_MAX``.
TCP_CA_BUF_MAX = 2048
#: ``IPV6_MIN_MTU`` (include/linux/ipv6.h).
IPV6_MIN_MTU = 1280
#: ``TCP_FASTOPEN_KEY_LENGTH * 2 * TCP_FASTOPEN_KEY_MAX + TCP_FASTOPEN_KEY_MAX * 5``: two keys in hex.
TCP_FASTOPEN_KEY_MAXLEN = 16 * 2 * 2 + 2 * 5
#: ``MPTCP_PM_NAME_MAX`` and ``MPTCP_SCHED_NAME_MAX`` (net/mptcp/protocol.h).
MPTCP_NAME_MAX = 16
#: ``NFLOGGER_NAME_LEN`` (include/net/netfilter/nf_log.h).
NFLOGGER_NAME_LEN = 64
#: Loggers registered for every protocol family (``nf_log_register(NFPROTO_UNSPEC, ...)``):
#: ``nfnetlink_log``, loaded on the 6.18 capture machine (``/proc/net/netfilter/nf_log`` lists it
#: for families 0..10). The family's own logger is the entry's boot value (see
#: :func:`nf_log_proc_dostring`). The profile does not capture /proc/net, so this is a constant.
NF_LOG_EVERY_FAMILY: tuple[bytes, ...] = (b"nfnetlink_log",)

#: Kernel ``isspace`` (lib/ctype.c): HT..CR, space and Latin-1 NBSP.
KSPACE = frozenset(b"\t\n\v\f\r \xa0")
HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")

UNSET_SECRET = b"0000:0000:0000:0000:0000:0000:0000:0000"


def lookup_first(env: HandlerEnv, key: str) -> int:
    """The first element of another entry's numeric value, in the caller's namespaces."""
    value = env.lookup(key)
    if isinstance(value, tuple):
        return value[0]
    raise TypeError(f"{key} is not a numeric vector: {value!r}")
