"""Sysctl name helpers shared by the stages: NormalizeName and Go's ``%q``.

>>> normalize_name("net/ipv4/conf/eno2.100/rp_filter")
'net.ipv4.conf.eno2/100.rp_filter'
>>> normalize_name("net.ipv4.conf.eno2/100.rp_filter")
'net.ipv4.conf.eno2/100.rp_filter'
>>> go_quote('kernel.sem')
'"kernel.sem"'
"""

from __future__ import annotations

__all__ = ["go_quote", "normalize_name", "swap_separators"]


def swap_separators(name: str) -> str:
    """Every ``.`` becomes ``/`` and every ``/`` becomes ``.``."""
    return name.translate(str.maketrans("./", "/."))


def normalize_name(name: str) -> str:
    """The sysctl.d(5) rule Kubernetes (``NormalizeName``) and runc apply.

    If the first separator is a ``/``, the separators are swapped; otherwise the
    name is returned unchanged.
    """
    for ch in name:
        if ch == ".":
            return name
        if ch == "/":
            return swap_separators(name)
    return name


def go_quote(text: str) -> str:
    """``fmt.Sprintf("%q", text)`` for the strings that occur here (printable ASCII kept)."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
