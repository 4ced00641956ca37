"""Handlers of net/ipv6/addrconf.c: stable_secret, addr_gen_mode, per-device mtu."""

from __future__ import annotations

import errno
import ipaddress

from fakeproc.handlers._text import first_pos_non_zero_ignore
from fakeproc.handlers.base import HandlerEnv, Request, Result, TmpTable, Value, derive
from fakeproc.handlers.domain import unmodelled
from fakeproc.handlers.dostring import do_string, string_value
from fakeproc.handlers.generic import (
    parse_plain,
    proc_dointvec_minmax,
    proc_douintvec_minmax,
    vector_value,
)
from fakeproc.handlers.net._common import (
    IPV6_MAX_STRLEN,
    IPV6_MIN_MTU,
    UNSET_SECRET,
)
from fakeproc.handlers.registry import proc_handler
from fakeproc.spec import DevconfScope, SysctlSpec, devconf_key

__all__ = [
    "addrconf_sysctl_addr_gen_mode",
    "addrconf_sysctl_mtu",
    "addrconf_sysctl_stable_secret",
    "in6_pton",
]


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


def _parse_secret(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    packed = in6_pton(text.strip().encode()) if text.strip() else None
    return _format_in6(packed) if packed is not None else b""


def _parse_device_mtu(spec: SysctlSpec, text: str, env: HandlerEnv) -> Value:
    """A device's boot ``mtu6`` is its ``dev->mtu``: store both."""
    mtu = vector_value(parse_plain(spec, text, env), 1)[0]
    return (mtu, mtu)


@proc_handler(parse=_parse_secret, kind="string", domain=unmodelled("an IPv6 address"))
def addrconf_sysctl_stable_secret(req: Request) -> Result:
    """``addrconf_sysctl_stable_secret`` (net.ipv6.conf.*.stable_secret).

    The value is stored as its ``%pI6`` text, or empty while unset. Writes go
    through ``proc_dostring`` on a 46-byte buffer holding the current text.

    Returns:
        Result with errno EIO for any access to ``conf/all/stable_secret``, for
        reading an unset secret (``sysctl -a`` then skips the file), and for
        writing something that is not an IPv6 address.
    """
    if req.spec.devconf is DevconfScope.ALL:
        return Result(value=req.value, pos=req.pos, errno=errno.EIO)
    current = string_value(req.value)
    if req.data is None and not current:
        return Result(value=req.value, pos=req.pos, errno=errno.EIO)
    if req.data is not None:
        first_pos_non_zero_ignore(req)  # proc_dostring's warn-mode message
    res = do_string(req._replace(value=current or UNSET_SECRET), IPV6_MAX_STRLEN)
    if req.data is None or res.errno or req.size == 0:
        return res._replace(value=req.value)
    packed = in6_pton(string_value(res.value))
    if packed is None:
        return Result(value=req.value, pos=req.pos, errno=errno.EIO)
    return res._replace(value=_format_in6(packed))


#: ``IN6_ADDR_GEN_MODE_STABLE_PRIVACY`` (include/uapi/linux/if_link.h).
_ADDR_GEN_MODE_STABLE_PRIVACY = 2


_ADDR_GEN_MODE_TABLE = TmpTable(min=0, max=3)


@proc_handler(parse=parse_plain, kind="vector",
              domain=unmodelled("stable privacy (2) on a device needs a stable_secret set first"))
def addrconf_sysctl_addr_gen_mode(req: Request) -> Result:
    """``addrconf_sysctl_addr_gen_mode`` (net.ipv6.conf.*.addr_gen_mode): one unsigned
    mode in [0, 3]; on a device, stable-privacy (2) needs a ``stable_secret`` set on the
    device or on ``conf/default`` (``check_stable_privacy`` in net/ipv6/addrconf.c).

    Returns:
        Result with errno EINVAL for a bad number, a mode above 3, or stable privacy on a
        device without a secret.
    """
    res = proc_douintvec_minmax(
        Request(_ADDR_GEN_MODE_TABLE(req.spec), req.value, req.pos, req.data, req.size, req.env, req.key)
    )
    if req.data is None or res.errno or req.spec.devconf is not DevconfScope.DEVICE or not req.key:
        return res
    if vector_value(res.value, 1)[0] == _ADDR_GEN_MODE_STABLE_PRIVACY:
        device_secret = req.env.lookup(devconf_key(req.key, "stable_secret"))
        default_secret = req.env.lookup(devconf_key(req.key, "stable_secret", DevconfScope.DEFAULT))
        if not device_secret and not default_secret:
            return Result(value=req.value, pos=req.pos, errno=errno.EINVAL)
    return res


@proc_handler(parse=_parse_device_mtu, kind="vector",
              domain=unmodelled("bounded by the device's own MTU"))
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
