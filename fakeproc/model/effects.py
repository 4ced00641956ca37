"""Writes that change other entries: the kernel's cross-key side effects.

A profile row names its effect (``SysctlSpec.on_write``); the function here
knows the mechanism, the way a handler knows its parsing. An effect runs after
a successful write that changed the value, inside the model's lock, and sees
the namespace that holds the written key.

* ``devinet_copy_default`` (net/ipv4/devinet.c ``devinet_copy_dflt_conf``):
  writing ``net.ipv4.conf.default.X`` copies the value to every device of the
  netns that has never had its own ``X`` written.
* ``devinet_forward`` (``devinet_sysctl_forward`` -> ``inet_forward_change``):
  a change of ``net.ipv4.conf.all.forwarding`` (or its alias
  ``net.ipv4.ip_forward``) sets ``conf.default.forwarding`` and every device's
  ``forwarding`` to the new value and ``conf.all.accept_redirects`` to its
  negation.
* ``addrconf_all_to_devices`` (net/ipv6/addrconf.c ``addrconf_fixup_forwarding``,
  ``addrconf_disable_ipv6`` ...): a change of ``net.ipv6.conf.all.X`` sets
  ``conf.default.X`` and every device's ``X``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fakeproc.handlers import Value
from fakeproc.model.namespaces import Namespace

if TYPE_CHECKING:
    from fakeproc.model.kernel import Kernel

__all__ = ["EFFECTS", "Effect"]

#: ``effect(kernel, net_namespace, key, new_value)``.
Effect = Callable[["Kernel", Namespace, str, Value], None]


def _leaf(key: str) -> tuple[str, str]:
    """``net.ipv4.conf.all.forwarding`` -> (``net.ipv4.conf.``, ``forwarding``)."""
    parts = key.split(".")
    return ".".join(parts[:3]) + ".", parts[-1]


def _device_key(prefix: str, dev: str, leaf: str) -> str:
    return f"{prefix}{dev.replace('.', '/')}.{leaf}"


def devinet_copy_default(kernel: Kernel, net: Namespace, key: str, value: Value) -> None:
    prefix, leaf = _leaf(key)
    for dev in net.devices:
        dev_key = _device_key(prefix, dev, leaf)
        if dev_key not in net.values:  # the device's ``cnf.state`` bit: never written itself
            net.base[dev_key] = value


def devinet_forward(kernel: Kernel, net: Namespace, key: str, value: Value) -> None:
    prefix = "net.ipv4.conf."
    net.values[f"{prefix}default.forwarding"] = value
    for dev in net.devices:
        net.values[_device_key(prefix, dev, "forwarding")] = value
    on = isinstance(value, tuple) and bool(value and value[0])
    net.values[f"{prefix}all.accept_redirects"] = (0 if on else 1,)


def addrconf_all_to_devices(kernel: Kernel, net: Namespace, key: str, value: Value) -> None:
    prefix, leaf = _leaf(key)
    net.values[f"{prefix}default.{leaf}"] = value
    for dev in net.devices:
        net.values[_device_key(prefix, dev, leaf)] = value


EFFECTS: dict[str, Effect] = {
    "devinet_copy_default": devinet_copy_default,
    "devinet_forward": devinet_forward,
    "addrconf_all_to_devices": addrconf_all_to_devices,
}
