"""sysctl.conf and sysctl.d documents, read the way procps ``sysctl`` and ``systemd-sysctl`` read them.

Three steps, each usable alone:

* :func:`parse` turns a document into ordered settings, silently ignored lines and
  diagnosed lines (with the tool's exact message and line number);
* :func:`system_files` / :func:`system_order` choose the files ``--system`` reads
  (directory precedence, basename shadowing, sort order);
* :func:`plan` lists the writes the tool attempts (globs, exclusions, duplicates),
  and :func:`apply` performs them on a :class:`fakeproc.Kernel` and reports what
  the tool would print and its exit status.

>>> doc = parse("kernel.hostname = box\\r\\n; note\\n-net.ipv4.conf.*.rp_filter = 2\\n", "systemd")
>>> [(s.path, s.value) for s in doc.assignments]
[('kernel/hostname', 'box'), ('net/ipv4/conf/*/rp_filter', '2')]
>>> doc.errors[0].message
'<string>:2: Line is not an assignment, ignoring: ; note'
>>> [(w.path, w.data) for w in plan(doc, ["kernel.hostname", "net.ipv4.conf.lo.rp_filter"])]
[('kernel/hostname', b'box\\n'), ('net/ipv4/conf/lo/rp_filter', b'2\\n')]
"""

from __future__ import annotations

from fakeproc.sysctlconf._apply import ApplyReport, PlannedWrite, WriteOutcome, apply, plan
from fakeproc.sysctlconf._model import (
    DIALECTS,
    PROCPS_RULES,
    Diagnostic,
    Ignored,
    ParsedConf,
    ProcpsRules,
    Setting,
    dialect_for,
    family,
)
from fakeproc.sysctlconf._parse import normalize_key, parse, split_lines
from fakeproc.sysctlconf._system import (
    ETC_SYSCTL_CONF,
    PROCPS_SYSTEM_DIRS,
    SYSTEMD_SYSTEM_DIRS,
    ConfFile,
    system_dirs,
    system_files,
    system_order,
)

__all__ = [
    "DIALECTS",
    "ETC_SYSCTL_CONF",
    "PROCPS_RULES",
    "PROCPS_SYSTEM_DIRS",
    "SYSTEMD_SYSTEM_DIRS",
    "ApplyReport",
    "ConfFile",
    "Diagnostic",
    "Ignored",
    "ParsedConf",
    "PlannedWrite",
    "ProcpsRules",
    "Setting",
    "WriteOutcome",
    "apply",
    "dialect_for",
    "family",
    "normalize_key",
    "parse",
    "plan",
    "split_lines",
    "system_dirs",
    "system_files",
    "system_order",
]
