"""Testing toolkit: pytest fixtures, context managers, Hypothesis strategies and oracles.

* pytest (automatic through the ``pytest11`` entry point): ``fake_kernel`` (an
  in-process :class:`~fakeproc.Kernel`) and ``fake_procsys`` (that kernel mounted,
  with ``.run(argv)``), profile from ``@pytest.mark.kernel_profile(...)`` or
  ``--fakeproc-profile``.
* Without pytest: :func:`kernel` and :func:`procsys` context managers, and the
  :func:`with_kernel` / :func:`with_procsys` decorators for ``unittest``.
* :class:`WriteLog` (:func:`write_log`): assert what was written, by whom.
* Per-example isolation: :meth:`FakeKernel.reset` / :meth:`ProcSys.reset` / :func:`reset`.
* One-call comparisons: :func:`applied_writes`, :func:`assert_writes`, :func:`read_or_errno`,
  :func:`assert_same_state`.
* Tool releases: :func:`installed_version`, :func:`resolve_dialect`.
* :mod:`fakeproc.testing.strategies` (also ``fakeproc.strategies``) and
  :mod:`fakeproc.testing.oracle`.

>>> from fakeproc.testing import check_write
>>> check_write("6.18", "kernel.sem", "1 2 3 40000").errno_name
'ERANGE'
"""

from __future__ import annotations

from fakeproc.testing._compare import (
    AppliedWrite,
    Errno,
    WriteDiff,
    applied_writes,
    assert_same_state,
    assert_writes,
    compare_writes,
    read_or_errno,
    read_state,
)
from fakeproc.testing._support import (
    FakeKernel,
    ProcSys,
    WriteLog,
    kernel,
    procsys,
    reset,
    skip_reason,
    with_kernel,
    with_procsys,
    write_log,
)
from fakeproc.testing._versions import installed_version, resolve_dialect, tool_binary
from fakeproc.testing.oracle import (
    WriteVerdict,
    accepts,
    apply_conf,
    check_write,
    conf_writes,
    parse_conf,
    read_back,
    system_precedence,
)

__all__ = [
    "AppliedWrite",
    "Errno",
    "FakeKernel",
    "ProcSys",
    "WriteDiff",
    "WriteLog",
    "WriteVerdict",
    "accepts",
    "applied_writes",
    "apply_conf",
    "assert_same_state",
    "assert_writes",
    "check_write",
    "compare_writes",
    "conf_writes",
    "installed_version",
    "kernel",
    "parse_conf",
    "procsys",
    "read_back",
    "read_or_errno",
    "read_state",
    "reset",
    "resolve_dialect",
    "skip_reason",
    "system_precedence",
    "tool_binary",
    "with_kernel",
    "with_procsys",
    "write_log",
]
