"""Line-by-line parsing the way procps ``sysctl -p`` and ``systemd-sysctl`` do it.

Each function follows its tool's C code step by step (byte-level whitespace sets,
the first ``=`` splits, where the ``-`` prefix is looked at), because the
differences are exactly what configuration tools get wrong.
"""

from __future__ import annotations

import re

from fakeproc.sysctlconf._model import Diagnostic, Ignored, ParsedConf, Setting, check_dialect, family

__all__ = ["normalize_key", "parse", "split_lines"]

#: C ``isspace()`` in the C locale (procps ``lstrip``/``rstrip``).
_C_SPACE = " \t\n\v\f\r"
#: systemd ``WHITESPACE`` (``strstrip``).
_SD_SPACE = " \t\n\r"


def _c_rstrip(s: str) -> str:
    """procps ``rstrip()``: strips trailing ``isspace`` but never the first character."""
    if not s:
        return s
    return s[0] + s[1:].rstrip(_C_SPACE)


def _swap_separators(s: str) -> str:
    """procps ``slashdot(p, '.', '/')`` / systemd ``sysctl_normalize`` first step.

    If the first separator is a dot, dots and slashes are interchanged; if it is a
    slash the key is already a path and is left alone.
    """
    m = re.search(r"[./]", s)
    if m is None or m.group() == "/":
        return s
    return s.translate(str.maketrans("./", "/."))


def _path_simplify(p: str) -> str:
    """systemd ``path_simplify()``: drop empty and ``.`` components, keep ``..``."""
    absolute = p.startswith("/")
    parts = [c for c in p.split("/") if c not in ("", ".")]
    out = "/".join(parts)
    if absolute:
        out = "/" + out
    return out or ("/" if absolute else p[:0] or "")


def normalize_key(key: str, dialect: str = "procps") -> str:
    """The ``/proc/sys``-relative path a tool derives from a key.

    Args:
        key: A key as written in a file or on the command line (``net.ipv4.conf.eth0/100.rp_filter``
            or ``net/ipv4/conf/eth0.100/rp_filter``).
        dialect: ``procps`` (``slashdot``, no other change) or a systemd dialect
            (``sysctl_normalize``: swap, then ``path_simplify``, then drop a leading ``/``).

    >>> normalize_key("net.ipv4.conf.eth0/100.rp_filter")
    'net/ipv4/conf/eth0.100/rp_filter'
    >>> normalize_key("net/ipv4/conf/eth0.100/rp_filter", "systemd")
    'net/ipv4/conf/eth0.100/rp_filter'
    >>> normalize_key("kernel..hostname", "procps"), normalize_key("kernel..hostname", "systemd")
    ('kernel//hostname', 'kernel/hostname')
    """
    check_dialect(dialect)
    path = _swap_separators(key)
    if family(dialect) == "procps":
        return path
    path = _path_simplify(path)
    if path.startswith("/") and len(path) > 1:
        path = path[1:]
    return path


def split_lines(text: str, dialect: str = "procps") -> list[str]:
    """Split a document into the lines the tool reads, without their end-of-line bytes.

    procps (``getline``) ends a line at ``\\n`` only, so a CR stays in the line (and
    is stripped later as whitespace). systemd (``read_line``) also ends lines at a
    lone ``\\r`` and at NUL; ``\\r\\n`` and ``\\n\\r`` count as one end.

    >>> split_lines("a\\r\\nb\\rc\\n", "procps")
    ['a\\r', 'b\\rc']
    >>> split_lines("a\\r\\nb\\rc\\n", "systemd")
    ['a', 'b', 'c']
    """
    check_dialect(dialect)
    if family(dialect) == "procps":
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return lines
    out: list[str] = []
    cur: list[str] = []
    prev = 0  # bit set of EOL kinds seen since the line's content ended
    started = False
    kinds = {"\n": 1, "\r": 2, "\0": 4}
    for ch in text:
        eol = kinds.get(ch, 0)
        if started and (prev & 4 or (eol == 0 and prev) or (eol and prev & eol)):
            out.append("".join(cur))
            cur, prev = [], 0
        started = True
        if eol:
            prev |= eol
            continue
        cur.append(ch)
    if started:
        out.append("".join(cur))
    return out


def parse(text: str | bytes, dialect: str = "procps", *, filename: str = "<string>",
          pattern: str | None = None) -> ParsedConf:
    """Parse a sysctl.conf / sysctl.d document the way ``dialect`` does.

    Args:
        text: The document. Bytes are decoded as UTF-8 with ``surrogateescape``.
        dialect: One of :data:`DIALECTS` (``procps``, ``procps-4.0.2``, ``systemd``, ``systemd-252``...).
        filename: The name used in diagnostics (procps prints ``FILE(LINE)``,
            systemd ``FILE:LINE``).
        pattern: procps ``--pattern`` extended regular expression, matched against
            the stripped line (procps only; approximated with Python ``re``).

    Returns:
        The settings in file order, the silently ignored lines, and the lines the
        tool complained about, each with its line number.

    >>> doc = parse("# c\\nkernel.hostname = a # b\\n-net.ipv4.ip_forward=1\\nbogus\\n")
    >>> [(s.key, s.value, s.ignore_failure, s.line) for s in doc.settings]
    [('kernel.hostname', 'a # b', False, 2), ('net.ipv4.ip_forward', '1', True, 3)]
    >>> doc.errors[0].message
    'sysctl: <string>(4): invalid syntax, continuing...'
    """
    check_dialect(dialect)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    if family(dialect) == "procps":
        return _parse_procps(text, filename, pattern, dialect)
    if pattern is not None:
        raise ValueError("pattern= is a procps option (sysctl --pattern); systemd-sysctl has --prefix")
    return _parse_systemd(text, filename, dialect)


def _parse_procps(text: str, filename: str, pattern: str | None, dialect: str = "procps") -> ParsedConf:
    settings: list[Setting] = []
    ignored: list[Ignored] = []
    errors: list[Diagnostic] = []
    raw_lines = text.split("\n")
    n = 0
    for i, raw in enumerate(raw_lines):
        last = i == len(raw_lines) - 1
        if last and raw == "":
            break
        n += 1
        rlen = len(raw) + (0 if last else 1)  # getline() keeps the '\n'
        full = raw if last else raw + "\n"
        if rlen < 2:
            ignored.append(Ignored(n, raw, "short"))
            continue
        line = full.split("\0", 1)[0]  # C string
        key = line.lstrip(_C_SPACE)
        if len(key) < 2:
            ignored.append(Ignored(n, raw, "blank" if not key.strip(_C_SPACE) else "short"))
            continue
        if key[0] in "#;":
            ignored.append(Ignored(n, raw, "comment"))
            continue
        if pattern is not None and not re.search(pattern, key):
            ignored.append(Ignored(n, raw, "pattern"))
            continue
        eq = key.find("=")
        if eq < 0:
            if key[0] != "-":
                errors.append(Diagnostic(n, raw, f"sysctl: {filename}({n}): invalid syntax, continuing..."))
                continue
            k = _c_rstrip(key[1:])
            value: str | None = None
            ignore = False
        else:
            k, value = key[:eq], key[eq + 1:]
            ignore = False
            if k.startswith("-"):
                ignore = True
                k = k[1:]
            value = _c_rstrip(value.lstrip(_C_SPACE))
            k = _c_rstrip(k)
        # setting_new(): a (second) leading '-' is dropped from the path only.
        path = _swap_separators(k.removeprefix("-"))
        settings.append(Setting(k, path, value, ignore, n, filename))
    return ParsedConf(dialect, filename, tuple(settings), tuple(ignored), tuple(errors), n)


def _parse_systemd(text: str, filename: str, dialect: str) -> ParsedConf:
    settings: list[Setting] = []
    ignored: list[Ignored] = []
    errors: list[Diagnostic] = []
    lines = split_lines(text, dialect)
    comments = "#" if dialect == "systemd" else "#;"
    n = 0
    for n, raw in enumerate(lines, start=1):
        line = raw.split("\0", 1)[0].strip(_SD_SPACE)
        if not line:
            ignored.append(Ignored(n, raw, "blank"))
            continue
        if line[0] in comments:
            ignored.append(Ignored(n, raw, "comment"))
            continue
        eq = line.find("=")
        ignore = False
        value: str | None
        if eq >= 0:
            body = line
            if body[0] == "-":
                ignore = True
                body = body[1:]
                eq -= 1
            k, value = body[:eq], body[eq + 1:].strip(_SD_SPACE)
        else:
            if line[0] != "-":
                errors.append(Diagnostic(n, raw, f"{filename}:{n}: Line is not an assignment, ignoring: {line}"))
                continue
            k, value = line[1:], None
        k = k.strip(_SD_SPACE)
        path = normalize_key(k, dialect)
        settings.append(Setting(k, path, value, ignore, n, filename))
    return ParsedConf(dialect, filename, tuple(settings), tuple(ignored), tuple(errors), n)
