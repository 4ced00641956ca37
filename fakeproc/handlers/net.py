"""Network handlers (net/ipv4/sysctl_net_ipv4.c, net/ipv6/addrconf.c) wrapping the generic ones.

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), log=print,
...                       lookup=lambda key: (1024,))
>>> spec = SysctlSpec(key="net.ipv4.ip_local_port_range", mode=0o644,
...                   handler="ipv4_local_port_range", length=2)
>>> proc = ipv4_local_port_range
>>> proc(Request(spec, (32768, 60999), 0, b"1000 60999", 10, env)).errno == errno.EINVAL
True
>>> proc(Request(spec, (32768, 60999), 0, b"40000", 5, env)).value
(40000, 60999)
"""

from __future__ import annotations

import errno
import ipaddress
from dataclasses import replace

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import Handler, HandlerEnv, Request, Result, Value
from fakeproc.handlers.dostring import do_string, parse_string, string_value
from fakeproc.handlers.generic import (
    parse_plain,
    proc_dointvec_minmax,
    proc_doulongvec_minmax,
    vector_value,
)
from fakeproc.handlers.registry import register
from fakeproc.spec import SysctlSpec

__all__ = [
    "GID_T_MAX",
    "IPV6_MAX_STRLEN",
    "OVERFLOWGID",
    "TCP_CA_NAME_MAX",
    "addrconf_sysctl_stable_secret",
    "ipv4_sysctl_rtcache_flush",
    "nf_hooks_lwtunnel_sysctl_handler",
    "in6_pton",
    "ipv4_local_port_range",
    "ipv4_ping_group_range",
    "ipv4_privileged_ports",
    "proc_tcp_available_congestion_control",
    "proc_tcp_congestion_control",
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

_UNSET_SECRET = b"0000:0000:0000:0000:0000:0000:0000:0000"


def _lookup_first(env: HandlerEnv, key: str) -> int:
    value = env.lookup(key)
    if isinstance(value, tuple):
        return value[0]
    raise TypeError(f"{key} is not a numeric vector: {value!r}")


def ipv4_local_port_range(req: Request) -> Result:
    """``ipv4_local_port_range`` (net.ipv4.ip_local_port_range): atomic on a copy.

    ``proc_dointvec_minmax`` runs on a two-int temporary with every element in
    [1, 65535]; the range is then stored only if ``high >= low`` and ``low`` is not
    below ``net.ipv4.ip_unprivileged_port_start``. One number changes only ``low``.

    Returns:
        Result with errno EINVAL for an element outside [1, 65535], ``high <
        low``, ``low`` below the unprivileged port start, or parse errors; on
        error nothing changes.
    """
    current = vector_value(req.value, 2)
    tmp = req._replace(spec=replace(req.spec, length=2, min=1, max=65535), value=current)
    res = proc_dointvec_minmax(tmp)
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    low, high = vector_value(res.value, 2)[:2]
    if high < low or low < _lookup_first(req.env, "net.ipv4.ip_unprivileged_port_start"):
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    if not (low ^ high) & 1:
        req.env.log("ip_local_port_range: prefer different parity for start/end values.\n")
    return res._replace(value=(low, high))


def ipv4_privileged_ports(req: Request) -> Result:
    """``ipv4_privileged_ports`` (net.ipv4.ip_unprivileged_port_start).

    Returns:
        Result with errno EINVAL outside [0, 65535] or above the low bound of
        ``net.ipv4.ip_local_port_range``.
    """
    current = vector_value(req.value, 1)
    tmp = req._replace(spec=replace(req.spec, length=1, min=0, max=65535), value=current)
    res = proc_dointvec_minmax(tmp)
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    pports = vector_value(res.value, 1)[0]
    if _lookup_first(req.env, "net.ipv4.ip_local_port_range") < pports:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    return res._replace(value=(pports,))


def ipv4_ping_group_range(req: Request) -> Result:
    """``ipv4_ping_group_range`` (net.ipv4.ping_group_range): two gids, atomic on a copy.

    ``proc_doulongvec_minmax`` runs on an ``unsigned long[2]`` with each element in
    [0, GID_T_MAX]; both gids must be mapped in the writer's user namespace, and
    ``high < low`` silently resets the range to the disabled ``1 0``.

    Returns:
        Result with errno EINVAL for a value out of range, an unmapped gid or a
        parse error; on error nothing changes.
    """
    env = req.env
    # Divergence: fakeproc assumes an identity gid mapping, so the stored kgid
    # is shown as itself when mapped and as overflowgid otherwise.
    shown = tuple(g if env.gid_mapped(g) else OVERFLOWGID for g in vector_value(req.value, 2)[:2])
    tmp = req._replace(spec=replace(req.spec, length=2, min=0, max=GID_T_MAX), value=shown)
    res = proc_doulongvec_minmax(tmp)
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    low, high = vector_value(res.value, 2)[:2]
    if not env.gid_mapped(low) or not env.gid_mapped(high):
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    if high < low:
        low, high = 1, 0
    return res._replace(value=(low, high))


def in6_pton(text: bytes) -> bytes | None:
    """``in6_pton(str, -1, ...)``: the 16 address bytes, or None if ``text`` is not an IPv6 address."""
    try:
        decoded = text.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not decoded or "%" in decoded or decoded != decoded.strip():
        return None
    try:
        return ipaddress.IPv6Address(decoded).packed
    except ValueError:
        return None


def _format_in6(packed: bytes) -> bytes:
    """``"%pI6"``: eight groups of four hex digits, no compression."""
    return ":".join(packed[i : i + 2].hex() for i in range(0, 16, 2)).encode()


def addrconf_sysctl_stable_secret(req: Request) -> Result:
    """``addrconf_sysctl_stable_secret`` (net.ipv6.conf.*.stable_secret).

    The value is stored as its ``%pI6`` text, or empty while unset. Writes go
    through ``proc_dostring`` on a 46-byte buffer holding the current text.

    Returns:
        Result with errno EIO for any access to ``conf/all/stable_secret``, for
        reading an unset secret (``sysctl -a`` then skips the file), and for
        writing something that is not an IPv6 address.
    """
    if ".conf.all." in req.spec.key:
        return Result(value=req.value, pos=req.pos, errno=errno.EIO)
    current = string_value(req.value)
    if req.data is None and not current:
        return Result(value=req.value, pos=req.pos, errno=errno.EIO)
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req._replace(value=current or _UNSET_SECRET), IPV6_MAX_STRLEN)
    if req.data is None or res.errno or req.size == 0:
        return res._replace(value=req.value)
    packed = in6_pton(string_value(res.value))
    if packed is None:
        return Result(value=req.value, pos=req.pos, errno=errno.EIO)
    return res._replace(value=_format_in6(packed))


def _parse_secret(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    packed = in6_pton(text.strip().encode()) if text.strip() else None
    return _format_in6(packed) if packed is not None else b""


def proc_tcp_congestion_control(req: Request) -> Result:
    """``proc_tcp_congestion_control`` (net.ipv4.tcp_congestion_control).

    ``proc_dostring`` on a 16-byte copy, then the name must be one of
    ``net.ipv4.tcp_available_congestion_control`` (``tcp_set_default_congestion_control``).

    Returns:
        Result with errno ENOENT for an unknown algorithm (the empty name included).
    """
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req, TCP_CA_NAME_MAX)
    if req.data is None or req.size == 0:
        return res
    # Divergence: a child netns may only pick a non-restricted algorithm
    # (EPERM otherwise); fakeproc cannot tell init_net apart here.
    available = string_value(req.env.lookup("net.ipv4.tcp_available_congestion_control")).split()
    if string_value(res.value) not in available:
        return Result(value=req.value, pos=req.pos, errno=errno.ENOENT)
    return res


def proc_tcp_available_congestion_control(req: Request) -> Result:
    """``proc_tcp_available_congestion_control``: the registered algorithms, read-only in effect.

    Returns:
        Result; a write (possible only by mode) is accepted and discarded.
    """
    return do_string(req, TCP_CA_BUF_MAX)._replace(value=req.value)


def ipv4_sysctl_rtcache_flush(req: Request) -> Result:
    """``ipv4_sysctl_rtcache_flush`` (net.ipv4.route.flush, mode 0200): any write flushes
    the route cache and succeeds; the bytes are not parsed (net/ipv4/route.c).

    Returns:
        Result consuming every byte written; a read (only possible by mode) gives nothing.
    """
    if req.data is None:
        return Result(value=req.value, pos=req.pos)
    return Result(value=req.value, count=len(req.data), pos=req.pos + len(req.data))


def nf_hooks_lwtunnel_sysctl_handler(req: Request) -> Result:
    """``nf_hooks_lwtunnel_sysctl_handler`` (net.netfilter.nf_hooks_lwtunnel): a [0, 1]
    switch that, once on, cannot be turned off (net/netfilter/nf_hooks_lwtnl.c).

    Returns:
        Result with errno EINVAL for a bad or out-of-range number, EBUSY for 0 once enabled.
    """
    current = vector_value(req.value, 1)
    # The kernel parses into a zeroed temporary, so a write starts from 0, not the current value.
    start = current if req.data is None else (0,)
    res = proc_dointvec_minmax(req._replace(spec=replace(req.spec, length=1, min=0, max=1), value=start))
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    wanted = vector_value(res.value, 1)[0]
    if current[0] and not wanted:
        return Result(value=req.value, pos=req.pos, errno=errno.EBUSY)
    return res._replace(value=(wanted or current[0],))


for _handler in (
    Handler("ipv4_sysctl_rtcache_flush", ipv4_sysctl_rtcache_flush, parse_plain, "vector"),
    Handler("nf_hooks_lwtunnel_sysctl_handler", nf_hooks_lwtunnel_sysctl_handler, parse_plain, "vector"),
    Handler("ipv4_local_port_range", ipv4_local_port_range, parse_plain, "vector"),
    Handler("ipv4_privileged_ports", ipv4_privileged_ports, parse_plain, "vector"),
    # Reads map gids through the reader's user namespace: not a function of the value alone.
    Handler("ipv4_ping_group_range", ipv4_ping_group_range, parse_plain, "vector", cacheable=False),
    Handler("addrconf_sysctl_stable_secret", addrconf_sysctl_stable_secret, _parse_secret, "string"),
    Handler("proc_tcp_congestion_control", proc_tcp_congestion_control, parse_string, "string"),
    Handler(
        "proc_tcp_available_congestion_control",
        proc_tcp_available_congestion_control,
        parse_string,
        "string",
    ),
):
    register(_handler)
