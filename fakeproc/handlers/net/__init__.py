"""Network handlers, one module per kernel source file, wrapping the generic ones.

``ipv4_sysctl`` (net/ipv4/sysctl_net_ipv4.c), ``route`` (net/ipv4/route.c), ``addrconf``
(net/ipv6/addrconf.c), ``core`` (net/core/sysctl_net_core.c), ``netfilter`` (net/netfilter),
``mptcp`` (net/mptcp/ctrl.c), and ``bitmap_str`` (lib/bitmap-str.c, the CPU-mask text).

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

import errno  # noqa: F401  (the doctest above)

from fakeproc.handlers.base import Request  # noqa: F401  (the doctest above)
from fakeproc.handlers.net._common import (
    GID_T_MAX,
    IPV6_MAX_STRLEN,
    IPV6_MIN_MTU,
    MPTCP_NAME_MAX,
    NF_LOG_EVERY_FAMILY,
    NFLOGGER_NAME_LEN,
    OVERFLOWGID,
    TCP_CA_NAME_MAX,
    TCP_FASTOPEN_KEY_MAXLEN,
)
from fakeproc.handlers.net.addrconf import (
    addrconf_sysctl_addr_gen_mode,
    addrconf_sysctl_mtu,
    addrconf_sysctl_stable_secret,
    in6_pton,
)
from fakeproc.handlers.net.bitmap_str import bitmap_parse, format_cpumask
from fakeproc.handlers.net.core import rps_default_mask_sysctl
from fakeproc.handlers.net.ipv4_sysctl import (
    ipv4_local_port_range,
    ipv4_ping_group_range,
    ipv4_privileged_ports,
    proc_tcp_available_congestion_control,
    proc_tcp_congestion_control,
    proc_tcp_fastopen_key,
    sscanf_key,
)
from fakeproc.handlers.net.mptcp import proc_path_manager, proc_scheduler
from fakeproc.handlers.net.netfilter import nf_hooks_lwtunnel_sysctl_handler, nf_log_proc_dostring
from fakeproc.handlers.net.route import ipv4_sysctl_rtcache_flush

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
