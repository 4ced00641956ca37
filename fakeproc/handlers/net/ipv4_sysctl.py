"""Handlers of net/ipv4/sysctl_net_ipv4.c: port ranges, ping_group_range, congestion control, TCP Fast Open keys."""

from __future__ import annotations

import errno

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import Request, Result, TmpTable
from fakeproc.handlers.domain import ints, unmodelled
from fakeproc.handlers.dostring import do_string, parse_string, string_value
from fakeproc.handlers.generic import (
    parse_plain,
    proc_dointvec_minmax,
    proc_doulongvec_minmax,
    vector_value,
)
from fakeproc.handlers.legacy import PING_GROUP_RANGE_INT
from fakeproc.handlers.net._common import (
    GID_T_MAX,
    HEXDIGITS,
    KSPACE,
    OVERFLOWGID,
    TCP_CA_BUF_MAX,
    TCP_CA_NAME_MAX,
    TCP_FASTOPEN_KEY_MAXLEN,
    lookup_first,
)
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import INT_MAX, ULONG_MAX, NamespaceType

__all__ = [
    "ipv4_local_port_range",
    "ipv4_ping_group_range",
    "ipv4_privileged_ports",
    "proc_allowed_congestion_control",
    "proc_tcp_available_congestion_control",
    "proc_tcp_congestion_control",
    "proc_tcp_fastopen_key",
    "sscanf_key",
]


# The temporary tables have static bounds only: the cross-key bound is the handler's own check.
_PORT_RANGE_TABLE = TmpTable(length=2, min=1, max=65535, min_key=None)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True, ascending=True))
def ipv4_local_port_range(req: Request) -> Result:
    """``ipv4_local_port_range`` (net.ipv4.ip_local_port_range): atomic on a copy.

    ``proc_dointvec_minmax`` runs on a two-int temporary with every element in
    [1, 65535]; the range is then stored only if ``high >= low`` and ``low`` is not
    below the entry ``min_key`` names (``net.ipv4.ip_unprivileged_port_start``). One
    number changes only ``low``.

    Returns:
        Result with errno EINVAL for an element outside [1, 65535], ``high <
        low``, ``low`` below the unprivileged port start, or parse errors; on
        error nothing changes.
    """
    current = req.value
    if not isinstance(current, tuple) or len(current) != 2:
        current = vector_value(current, 2)
    spec = _PORT_RANGE_TABLE(req.spec)
    res = proc_dointvec_minmax(Request(spec, current, req.pos, req.data, req.size, req.env))
    if req.data is None or res.errno:
        return Result(req.value, res.output, res.count, res.pos, res.errno)
    low, high = res.value  # type: ignore[misc]  # the two-int table's vector
    if high < low:
        return Result(req.value, b"", 0, req.pos, errno.EINVAL)
    floor = req.spec.min_key
    if floor is not None and low < lookup_first(req.env, floor):
        return Result(req.value, b"", 0, req.pos, errno.EINVAL)
    if not (low ^ high) & 1:
        req.env.log("ip_local_port_range: prefer different parity for start/end values.\n")
    return res


_PRIVILEGED_PORTS_TABLE = TmpTable(length=1, min=0, max=65535, max_key=None)


@proc_handler(parse=parse_plain, kind="vector", domain=ints(minmax=True, scalar=True))
def ipv4_privileged_ports(req: Request) -> Result:
    """``ipv4_privileged_ports`` (net.ipv4.ip_unprivileged_port_start).

    Returns:
        Result with errno EINVAL outside [0, 65535] or above the low end of the range
        the entry ``max_key`` names (``net.ipv4.ip_local_port_range``).
    """
    current = vector_value(req.value, 1)
    tmp = req._replace(spec=_PRIVILEGED_PORTS_TABLE(req.spec), value=current)
    res = proc_dointvec_minmax(tmp)
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    pports = vector_value(res.value, 1)[0]
    ceiling = req.spec.max_key
    if ceiling is not None and lookup_first(req.env, ceiling) < pports:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    return res._replace(value=(pports,))


_PING_GROUP_TABLE = TmpTable(length=2, min=0, max=GID_T_MAX)
_PING_GROUP_INT_TABLE = TmpTable(length=2, min=0, max=INT_MAX)


# Reads map gids through the reader's user namespace: not a function of the value alone.
@proc_handler(parse=parse_plain, kind="vector", cacheable=False,
              domain=ints(minmax=True, lo=0, hi=GID_T_MAX, type_lo=0, type_hi=ULONG_MAX, unsigned=True,
                          ulong=True, ascending=True),
              # proc_dointvec_minmax on gid_t[2] up to GID_T_MAX = INT_MAX (v4.15).
              legacy_domains={PING_GROUP_RANGE_INT: ints(minmax=True, lo=0, hi=INT_MAX, ascending=True)})
def ipv4_ping_group_range(req: Request) -> Result:
    """``ipv4_ping_group_range`` (net.ipv4.ping_group_range): two gids, atomic on a copy.

    The stored range holds kernel gids; a read shows them as the reader's user namespace
    maps them (``overflowgid`` 65534 when unmapped). A write runs ``proc_doulongvec_minmax``
    on an ``unsigned long[2]`` with each element in [0, GID_T_MAX] (``proc_dointvec_minmax``
    up to INT_MAX with the ``ping_group_range_int`` legacy behaviour); both gids must map
    to kernel gids in the writer's user namespace, and ``high < low`` silently resets the
    range to the disabled ``1 0``.

    Returns:
        Result with errno EINVAL for a value out of range, an unmapped gid or a
        parse error; on error nothing changes.
    """
    env = req.env
    shown = tuple(
        OVERFLOWGID if gid is None else gid
        for gid in (env.from_kgid(kgid) for kgid in vector_value(req.value, 2)[:2])
    )
    if PING_GROUP_RANGE_INT in env.legacy:
        res = proc_dointvec_minmax(req._replace(spec=_PING_GROUP_INT_TABLE(req.spec), value=shown))
    else:
        res = proc_doulongvec_minmax(req._replace(spec=_PING_GROUP_TABLE(req.spec), value=shown))
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    inside_low, inside_high = vector_value(res.value, 2)[:2]
    low, high = env.make_kgid(inside_low), env.make_kgid(inside_high)
    if low is None or high is None:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    if inside_high < inside_low or high < low:
        low, high = 1, 0  # kernel gids 1 and 0 of the initial user namespace
    return res._replace(value=(low, high))


@proc_handler(parse=parse_string, kind="string",
              domain=unmodelled("the name of an available congestion control algorithm"))
def proc_tcp_congestion_control(req: Request) -> Result:
    """``proc_tcp_congestion_control`` (net.ipv4.tcp_congestion_control).

    ``proc_dostring`` on a 16-byte copy, then the name must be one of
    ``net.ipv4.tcp_available_congestion_control`` (``tcp_set_default_congestion_control``).
    Outside the initial netns it must also be in ``net.ipv4.tcp_allowed_congestion_control``
    (only init_net may pick a restricted algorithm, net/ipv4/tcp_cong.c).

    Returns:
        Result with errno ENOENT for an unknown algorithm (the empty name included),
        EPERM for a restricted one in a child netns.
    """
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req, TCP_CA_NAME_MAX)
    if req.data is None or req.size == 0:
        return res
    name = string_value(res.value)
    available = string_value(req.env.lookup("net.ipv4.tcp_available_congestion_control")).split()
    if name not in available:
        return Result(value=req.value, pos=req.pos, errno=errno.ENOENT)
    if not req.env.initial_namespace(NamespaceType.NET):
        # TCP_CONG_NON_RESTRICTED is set exactly on the algorithms of the (global) allowed list.
        allowed = string_value(req.env.lookup("net.ipv4.tcp_allowed_congestion_control")).split()
        if name not in allowed:
            return Result(value=req.value, pos=req.pos, errno=errno.EPERM)
    return res


@proc_handler(parse=parse_string, kind="string", domain=unmodelled("read-only in effect"))
def proc_tcp_available_congestion_control(req: Request) -> Result:
    """``proc_tcp_available_congestion_control``: the registered algorithms, read-only in effect.

    Returns:
        Result; a write (possible only by mode) is accepted and discarded.
    """
    return do_string(req, TCP_CA_BUF_MAX)._replace(value=req.value)


@proc_handler(parse=parse_string, kind="string",
              domain=unmodelled("a list of available congestion control algorithm names"))
def proc_allowed_congestion_control(req: Request) -> Result:
    """``proc_allowed_congestion_control`` (net.ipv4.tcp_allowed_congestion_control).

    ``proc_dostring`` on a copy of the allowed list, then ``tcp_set_allowed_congestion_control``
    (net/ipv4/tcp_cong.c): every name must be an available algorithm, else ENOENT and nothing
    changes. The list is kept as flags on the algorithms, so it reads back in the order of
    ``tcp_available_congestion_control`` with each name once, whatever order was written.

    Returns:
        Result with errno ENOENT for an unknown name.
    """
    res = do_string(req, TCP_CA_BUF_MAX)
    if req.data is None or res.errno:
        return res
    available = string_value(req.env.lookup("net.ipv4.tcp_available_congestion_control")).split()
    chosen = set()
    # strsep(&clone, " ") stops at the first empty name: "reno  bbr" allows reno only, a
    # leading space allows nothing, and a tab is part of a name.
    for name in string_value(res.value).split(b" "):
        if not name:
            break
        if name not in available:
            return Result(value=req.value, pos=req.pos, errno=errno.ENOENT)
        chosen.add(name)
    return res._replace(value=b" ".join(a for a in available if a in chosen))


# --------------------------------------------------------------------------- TCP Fast Open


def _strtoull16(text: bytes, p: int) -> tuple[int, int]:
    """``simple_strntoull(..., 16)``: an optional ``0x``, then hex digits, modulo 2**64."""
    if text[p : p + 1] == b"0" and text[p + 1 : p + 2] in (b"x", b"X"):
        p += 2
    value = 0
    while p < len(text) and text[p] in HEXDIGITS:
        value = (value * 16 + int(chr(text[p]), 16)) & 0xFFFFFFFFFFFFFFFF
        p += 1
    return value, p


def sscanf_key(text: bytes) -> tuple[int, int, int, int] | None:
    """``sscanf_key``: the kernel's ``sscanf(buf, "%x-%x-%x-%x")`` (lib/vsprintf.c ``vsscanf``).

    Each ``%x`` skips blanks and needs a hex digit; the dashes must follow the numbers
    directly; anything after the fourth number is ignored; values wrap to 32 bits.

    Returns:
        The four words, or None if fewer than four conversions succeed.
    """
    words = []
    p = 0
    for k in range(4):
        if k:
            if text[p : p + 1] != b"-":
                return None
            p += 1
        if p >= len(text):
            return None
        while p < len(text) and text[p] in KSPACE:
            p += 1
        if p >= len(text) or text[p] not in HEXDIGITS:
            return None
        value, p = _strtoull16(text, p)
        words.append(value & 0xFFFFFFFF)
    return words[0], words[1], words[2], words[3]


@proc_handler(parse=parse_string, kind="string", domain=unmodelled("keys as 32 hex digits in dashed groups"))
def proc_tcp_fastopen_key(req: Request) -> Result:
    """``proc_tcp_fastopen_key`` (net.ipv4.tcp_fastopen_key, 0600, net/ipv4/sysctl_net_ipv4.c).

    ``proc_dostring`` on a 74-byte buffer holding the current keys as
    ``%08x-%08x-%08x-%08x`` (a second, backup key after a comma); then the text is split
    at the first comma and each part must parse with :func:`sscanf_key`. The keys are
    stored as the kernel prints them back.

    Returns:
        Result with errno EINVAL if a key does not parse; the keys are then unchanged.
    """
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req, req.spec.maxlen or TCP_FASTOPEN_KEY_MAXLEN)
    if req.data is None:
        return res
    primary, comma, backup = string_value(res.value).partition(b",")
    keys = [sscanf_key(primary)] + ([sscanf_key(backup)] if comma else [])
    if any(k is None for k in keys):
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    text = b",".join(b"%08x-%08x-%08x-%08x" % k for k in keys if k is not None)
    return res._replace(value=text)
