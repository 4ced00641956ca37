"""Network handlers (net/ipv4/sysctl_net_ipv4.c, net/ipv6/addrconf.c) wrapping the generic ones.

>>> from types import SimpleNamespace
>>> from fakeproc.spec import SysctlSpec
>>> env = SimpleNamespace(writes_strict=1, legacy=frozenset(), log=print,
...                       lookup=lambda key: (1024,))
>>> spec = SysctlSpec(key="net.ipv4.ip_local_port_range", mode=0o644,
...                   handler="ipv4_local_port_range", length=2,
...                   min_key="net.ipv4.ip_unprivileged_port_start")
>>> proc = ipv4_local_port_range
>>> proc(Request(spec, (32768, 60999), 0, b"1000 60999", 10, env)).errno == errno.EINVAL
True
>>> proc(Request(spec, (32768, 60999), 0, b"40000", 5, env)).value
(40000, 60999)
"""

from __future__ import annotations

import errno
import ipaddress

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import Handler, HandlerEnv, Request, Result, TmpTable, Value, derive
from fakeproc.handlers.bitmap import bitmap_value
from fakeproc.handlers.dostring import do_string, parse_string, string_value
from fakeproc.handlers.generic import (
    parse_plain,
    proc_dointvec_minmax,
    proc_douintvec_minmax,
    proc_doulongvec_minmax,
    vector_value,
)
from fakeproc.handlers.legacy import PING_GROUP_RANGE_INT
from fakeproc.handlers.registry import register
from fakeproc.spec import INT_MAX, NamespaceType, SysctlSpec

__all__ = [
    "GID_T_MAX",
    "IPV6_MAX_STRLEN",
    "IPV6_MIN_MTU",
    "MPTCP_NAME_MAX",
    "NFLOGGER_NAME_LEN",
    "NF_LOG_EVERY_FAMILY",
    "OVERFLOWGID",
    "TCP_CA_NAME_MAX",
    "TCP_FASTOPEN_KEY_MAXLEN",
    "addrconf_sysctl_addr_gen_mode",
    "addrconf_sysctl_mtu",
    "addrconf_sysctl_stable_secret",
    "bitmap_parse",
    "format_cpumask",
    "in6_pton",
    "ipv4_local_port_range",
    "ipv4_ping_group_range",
    "ipv4_privileged_ports",
    "ipv4_sysctl_rtcache_flush",
    "nf_hooks_lwtunnel_sysctl_handler",
    "nf_log_proc_dostring",
    "proc_path_manager",
    "proc_scheduler",
    "proc_tcp_available_congestion_control",
    "proc_tcp_congestion_control",
    "proc_tcp_fastopen_key",
    "rps_default_mask_sysctl",
    "sscanf_key",
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
_KSPACE = frozenset(b"\t\n\v\f\r \xa0")
_HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")

_UNSET_SECRET = b"0000:0000:0000:0000:0000:0000:0000:0000"


def _lookup_first(env: HandlerEnv, key: str) -> int:
    value = env.lookup(key)
    if isinstance(value, tuple):
        return value[0]
    raise TypeError(f"{key} is not a numeric vector: {value!r}")


# The temporary tables have static bounds only: the cross-key bound is the handler's own check.
_PORT_RANGE_TABLE = TmpTable(length=2, min=1, max=65535, min_key=None)


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
    current = vector_value(req.value, 2)
    spec = _PORT_RANGE_TABLE(req.spec)
    res = proc_dointvec_minmax(Request(spec, current, req.pos, req.data, req.size, req.env))
    if req.data is None or res.errno:
        return Result(req.value, res.output, res.count, res.pos, res.errno)
    low, high = res.value  # type: ignore[misc]  # the two-int table's vector
    floor = req.spec.min_key
    if high < low or (floor is not None and low < _lookup_first(req.env, floor)):
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    if not (low ^ high) & 1:
        req.env.log("ip_local_port_range: prefer different parity for start/end values.\n")
    return res


_PRIVILEGED_PORTS_TABLE = TmpTable(length=1, min=0, max=65535, max_key=None)


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
    if ceiling is not None and _lookup_first(req.env, ceiling) < pports:
        return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    return res._replace(value=(pports,))


_PING_GROUP_TABLE = TmpTable(length=2, min=0, max=GID_T_MAX)
_PING_GROUP_INT_TABLE = TmpTable(length=2, min=0, max=INT_MAX)


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
    shown = tuple(OVERFLOWGID if gid is None else gid
                  for gid in (env.from_kgid(kgid) for kgid in vector_value(req.value, 2)[:2]))
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


def proc_tcp_available_congestion_control(req: Request) -> Result:
    """``proc_tcp_available_congestion_control``: the registered algorithms, read-only in effect.

    Returns:
        Result; a write (possible only by mode) is accepted and discarded.
    """
    return do_string(req, TCP_CA_BUF_MAX)._replace(value=req.value)


#: ``IN6_ADDR_GEN_MODE_STABLE_PRIVACY`` (include/uapi/linux/if_link.h).
_ADDR_GEN_MODE_STABLE_PRIVACY = 2


_ADDR_GEN_MODE_TABLE = TmpTable(min=0, max=3)


def addrconf_sysctl_addr_gen_mode(req: Request) -> Result:
    """``addrconf_sysctl_addr_gen_mode`` (net.ipv6.conf.*.addr_gen_mode): one unsigned
    mode in [0, 3]; on a device, stable-privacy (2) needs a ``stable_secret`` set on the
    device or on ``conf/default`` (``check_stable_privacy`` in net/ipv6/addrconf.c).

    Returns:
        Result with errno EINVAL for a bad number, a mode above 3, or stable privacy on a
        device without a secret.
    """
    res = proc_douintvec_minmax(Request(_ADDR_GEN_MODE_TABLE(req.spec), req.value, req.pos, req.data,
                                        req.size, req.env, req.key))
    if req.data is None or res.errno or not req.spec.is_template or not req.key:
        return res
    if vector_value(res.value, 1)[0] == _ADDR_GEN_MODE_STABLE_PRIVACY:
        device_secret = req.env.lookup(req.key.rsplit(".", 1)[0] + ".stable_secret")
        default_secret = req.env.lookup("net.ipv6.conf.default.stable_secret")
        if not device_secret and not default_secret:
            return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    return res


def ipv4_sysctl_rtcache_flush(req: Request) -> Result:
    """``ipv4_sysctl_rtcache_flush`` (net.ipv4.route.flush, mode 0200): any write flushes
    the route cache and succeeds; the bytes are not parsed (net/ipv4/route.c).

    Returns:
        Result consuming every byte written; a read (only possible by mode) gives nothing.
    """
    if req.data is None:
        return Result(value=req.value, pos=req.pos)
    return Result(value=req.value, count=len(req.data), pos=req.pos + len(req.data))


_LWTUNNEL_TABLE = TmpTable(length=1, min=0, max=1)


def nf_hooks_lwtunnel_sysctl_handler(req: Request) -> Result:
    """``nf_hooks_lwtunnel_sysctl_handler`` (net.netfilter.nf_hooks_lwtunnel): a [0, 1]
    switch that, once on, cannot be turned off (net/netfilter/nf_hooks_lwtnl.c).

    Returns:
        Result with errno EINVAL for a bad or out-of-range number, EBUSY for 0 once enabled.
    """
    current = vector_value(req.value, 1)
    # The kernel parses into a zeroed temporary, so a write starts from 0, not the current value.
    start = current if req.data is None else (0,)
    res = proc_dointvec_minmax(req._replace(spec=_LWTUNNEL_TABLE(req.spec), value=start))
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    wanted = vector_value(res.value, 1)[0]
    if current[0] and not wanted:
        return Result(value=req.value, pos=req.pos, errno=errno.EBUSY)
    return res._replace(value=(wanted or current[0],))


def addrconf_sysctl_mtu(req: Request) -> Result:
    """``addrconf_sysctl_mtu`` (net.ipv6.conf.<dev>.mtu): ``proc_dointvec_minmax`` on
    [IPV6_MIN_MTU, dev->mtu].

    The stored value is ``(mtu6, dev_mtu)``: the device's own MTU travels with its entry,
    as the kernel reads it from the device the entry belongs to. It is what ``mtu6`` was
    when the device registered (``ipv6_add_dev`` copies ``dev->mtu``): lo's
    ``loopback_default``, the other boot devices' ``device_values``. An entry copied from
    ``conf.default.mtu`` (a device added at run time) has no known device MTU and no upper
    bound. ``conf.all``/``conf.default`` have no device (max INT_MAX) and keep plain
    ``proc_dointvec_minmax`` rows.

    Returns:
        Result with errno EINVAL outside [1280, dev->mtu] or for a parse error; only
        ``mtu6`` changes.
    """
    stored = vector_value(req.value, 1)
    dev_mtu = stored[1] if len(stored) > 1 else None
    tmp = req._replace(spec=derive(req.spec, length=1, min=IPV6_MIN_MTU, max=dev_mtu), value=stored[:1])
    res = proc_dointvec_minmax(tmp)
    if req.data is None or res.errno:
        return res._replace(value=req.value)
    return res._replace(value=vector_value(res.value, 1)[:1] + stored[1:2])


def _parse_device_mtu(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    """A device's boot ``mtu6`` is its ``dev->mtu``: store both."""
    mtu = vector_value(parse_plain(spec, text, env), 1)[0]
    return (mtu, mtu)


# --------------------------------------------------------------------------- cpumask


def _hex_to_bin(c: int) -> int:
    """``hex_to_bin``: the digit's value, or -1."""
    return int(chr(c), 16) if c in _HEXDIGITS else -1


def bitmap_parse(text: bytes, nbits: int, bits: int) -> tuple[int, int]:
    """``bitmap_parse(buf, UINT_MAX, maskp, nbits)`` (lib/bitmap-str.c) on the bit set ``bits``.

    The text (up to the first newline or NUL) is read backwards in comma- or
    blank-separated chunks of at most 8 hex digits; chunk k replaces bits 32k..32k+31
    as soon as it is read, so a later failure leaves the earlier chunks written.

    Returns:
        ``(bits, errno)``: errno EINVAL for a non-hex character, EOVERFLOW for a chunk
        of more than 8 digits, more chunks than ``nbits`` needs, or a bit at or above
        ``nbits``; 0 on success (bits from the last chunk up to ``nbits`` cleared).
    """
    for stop in (b"\n", b"\x00"):
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    chunks = (nbits + 31) // 32
    left = chunks
    chunk = 0
    i = len(text) - 1
    while True:
        while i >= 0 and (text[i] in _KSPACE or text[i] == 0x2C):
            i -= 1
        if i < 0:
            break
        if left == 0:
            return bits, errno.EOVERFLOW
        left -= 1
        word = 0
        for shift in range(0, 32, 4):
            digit = _hex_to_bin(text[i])
            i -= 1
            if digit < 0:
                return bits, errno.EINVAL
            word |= digit << shift
            if i < 0 or text[i] in _KSPACE or text[i] == 0x2C:
                break
        else:
            if _hex_to_bin(text[i]) >= 0:
                return bits, errno.EOVERFLOW
        bits = (bits & ~(0xFFFFFFFF << (32 * chunk))) | (word << (32 * chunk))
        chunk += 1
    unset_bit = (chunks - left) * 32
    if unset_bit < nbits:
        return bits & ~(((1 << (nbits - unset_bit)) - 1) << unset_bit), 0
    if (bits >> nbits) & ((1 << (unset_bit - nbits)) - 1):
        return bits, errno.EOVERFLOW
    return bits, 0


def format_cpumask(bits: int, nbits: int) -> bytes:
    """``"%*pb"`` (``bitmap_string``): 32-bit hex chunks, most significant first, comma-separated;
    the first chunk has as many digits as its bits need, the others 8."""
    if nbits <= 0:
        return b""
    first = nbits % 32 or 32
    parts = []
    top = (nbits + 31) // 32 * 32 - 32
    width = first
    for low in range(top, -1, -32):
        word = (bits >> low) & ((1 << width) - 1)
        parts.append(f"{word:0{(width + 3) // 4}x}")
        width = 32
    return ",".join(parts).encode()


def rps_default_mask_sysctl(req: Request) -> Result:
    """``rps_default_mask_sysctl`` (net.core.rps_default_mask, net/core/sysctl_net_core.c).

    The value is a cpumask of ``spec.maxlen`` bits (``nr_cpumask_bits``, that is nr_cpu_ids
    of the profiled machine). A write is ``cpumask_parse`` straight into the netns's mask
    (see :func:`bitmap_parse`), then ``rps_cpumask_housekeeping``: a non-empty mask is
    ANDed with the housekeeping CPUs (all possible CPUs here: isolcpus is not modelled).
    The write never looks at the file position and consumes everything. A read
    (``dump_cpumask``) gives nothing at a non-zero position, else the ``%*pb`` text cut
    to the read size minus one, plus a newline.

    Returns:
        Result with errno EINVAL or EOVERFLOW from :func:`bitmap_parse`; chunks parsed
        before the failure stay stored.
    """
    nbits = req.spec.maxlen
    current = bitmap_value(req.value)
    if req.data is None:
        if req.pos or not req.size:
            return Result(value=req.value, pos=req.pos)
        room = min((nbits + 31) // 32 * 9, req.size)
        text = format_cpumask(current, nbits)[: room - 1]
        if not text:
            return Result(value=req.value, pos=req.pos)
        out = text + b"\n"
        return Result(value=req.value, output=out, count=len(out), pos=req.pos + len(out))
    bits, err = bitmap_parse(req.data, nbits, current)
    if err:
        return Result(value=bits, pos=req.pos, errno=err)
    possible = (1 << nbits) - 1
    if bits & possible:
        bits &= possible
    return Result(value=bits, count=len(req.data), pos=req.pos)


def _parse_cpumask(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    return bitmap_parse(text.encode(), spec.maxlen, 0)[0]


# --------------------------------------------------------------------------- TCP Fast Open


def _strtoull16(text: bytes, p: int) -> tuple[int, int]:
    """``simple_strntoull(..., 16)``: an optional ``0x``, then hex digits, modulo 2**64."""
    if text[p : p + 1] == b"0" and text[p + 1 : p + 2] in (b"x", b"X"):
        p += 2
    value = 0
    while p < len(text) and text[p] in _HEXDIGITS:
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
        while p < len(text) and text[p] in _KSPACE:
            p += 1
        if p >= len(text) or text[p] not in _HEXDIGITS:
            return None
        value, p = _strtoull16(text, p)
        words.append(value & 0xFFFFFFFF)
    return words[0], words[1], words[2], words[3]


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


# --------------------------------------------------------------------------- names from a list


def _named(req: Request, maxlen: int, known: list[bytes]) -> Result:
    """``proc_dostring`` on a copy of the current name, then the name must be in ``known``."""
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req, maxlen)
    if req.data is None or string_value(res.value) in known:
        return res
    return Result(value=req.value, pos=req.pos, errno=errno.ENOENT)


def proc_path_manager(req: Request) -> Result:
    """``proc_path_manager`` (net.mptcp.path_manager, net/mptcp/ctrl.c): the name must be one
    of ``net.mptcp.available_path_managers`` (``mptcp_set_path_manager``).

    Returns:
        Result with errno ENOENT for an unknown path manager; the value is then unchanged.
    """
    known = string_value(req.env.lookup("net.mptcp.available_path_managers")).split()
    return _named(req, req.spec.maxlen or MPTCP_NAME_MAX, known)


def proc_scheduler(req: Request) -> Result:
    """``proc_scheduler`` (net.mptcp.scheduler, net/mptcp/ctrl.c): the name must be one of
    ``net.mptcp.available_schedulers`` (``mptcp_set_scheduler``).

    Returns:
        Result with errno ENOENT for an unknown scheduler; the value is then unchanged.
    """
    known = string_value(req.env.lookup("net.mptcp.available_schedulers")).split()
    return _named(req, req.spec.maxlen or MPTCP_NAME_MAX, known)


def nf_log_proc_dostring(req: Request) -> Result:
    """``nf_log_proc_dostring`` (net.netfilter.nf_log.<pf>, net/netfilter/nf_log.c).

    A read shows the logger bound to the family, or ``NONE``. A write runs
    ``proc_dostring`` on an EMPTY 64-byte buffer (not on the current name), then
    ``NONE`` (exactly) unbinds, and anything else must start, ignoring case, with the
    name of a logger registered for the family (``__find_logger``: strncasecmp over the
    logger's name), which is then bound and read back under its own name. The family's
    loggers are its boot binding (the entry's default, when not ``NONE``) and
    :data:`NF_LOG_EVERY_FAMILY`.

    Returns:
        Result with errno ENOENT for an unknown logger, the empty name included (a
        zero-byte write or a write past the end leaves the buffer empty).
    """
    maxlen = req.spec.maxlen or NFLOGGER_NAME_LEN
    if req.data is None:
        return do_string(req, maxlen)
    first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req._replace(value=b""), maxlen)
    name = string_value(res.value)
    if name == b"NONE":
        return res
    own = req.spec.default.encode()
    loggers = ((own,) if own and own != b"NONE" else ()) + NF_LOG_EVERY_FAMILY
    for logger in loggers:
        if name[: len(logger)].lower() == logger.lower():
            return res._replace(value=logger)
    return Result(value=req.value, pos=req.pos, errno=errno.ENOENT)


for _handler in (
    Handler("addrconf_sysctl_addr_gen_mode", addrconf_sysctl_addr_gen_mode, parse_plain, "vector"),
    Handler("ipv4_sysctl_rtcache_flush", ipv4_sysctl_rtcache_flush, parse_plain, "vector"),
    Handler("nf_hooks_lwtunnel_sysctl_handler", nf_hooks_lwtunnel_sysctl_handler, parse_plain, "vector"),
    Handler("ipv4_local_port_range", ipv4_local_port_range, parse_plain, "vector"),
    Handler("ipv4_privileged_ports", ipv4_privileged_ports, parse_plain, "vector"),
    # Reads map gids through the reader's user namespace: not a function of the value alone.
    Handler("ipv4_ping_group_range", ipv4_ping_group_range, parse_plain, "vector", cacheable=False),
    Handler("addrconf_sysctl_stable_secret", addrconf_sysctl_stable_secret, _parse_secret, "string"),
    Handler("addrconf_sysctl_mtu", addrconf_sysctl_mtu, _parse_device_mtu, "vector"),
    # dump_cpumask gives nothing to a 1-byte read: a short output is not always the whole text.
    Handler("rps_default_mask_sysctl", rps_default_mask_sysctl, _parse_cpumask, "bitmap", cacheable=False),
    Handler("proc_tcp_fastopen_key", proc_tcp_fastopen_key, parse_string, "string"),
    Handler("proc_path_manager", proc_path_manager, parse_string, "string"),
    Handler("proc_scheduler", proc_scheduler, parse_string, "string"),
    Handler("nf_log_proc_dostring", nf_log_proc_dostring, parse_string, "string"),
    Handler("proc_tcp_congestion_control", proc_tcp_congestion_control, parse_string, "string"),
    Handler(
        "proc_tcp_available_congestion_control",
        proc_tcp_available_congestion_control,
        parse_string,
        "string",
    ),
):
    register(_handler)
