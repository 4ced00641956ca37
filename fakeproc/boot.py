"""A reboot of a fake kernel: back to the profile's boot values, then the boot-time sysctl configuration.

A real boot mounts ``/proc`` and then runs ``sysctl --system`` (procps) or
``systemd-sysctl`` over ``/etc/sysctl.conf`` and the ``sysctl.d`` directories.
:func:`reboot_kernel` does the same to a :class:`fakeproc.Kernel`: every runtime
value and every non-initial namespace is lost, then the configuration found under
``etc`` (treated as the machine's ``/etc``) and ``root`` is written through the
model, so a refusal is the kernel's own and is reported in the tool's words.

>>> import os, tempfile
>>> from fakeproc import Kernel
>>> etc = tempfile.mkdtemp()
>>> with open(os.path.join(etc, "sysctl.conf"), "w") as f:
...     _ = f.write("kernel.domainname = booted\\nkernel.sem = 1 2 3\\nvm.nonexistent = 1\\n")
>>> k = Kernel("6.18")
>>> _ = k.write("kernel.hostname", "lost-at-reboot")
>>> r = reboot_kernel(k, etc=etc)
>>> print(r.transcript())
* Applying /etc/sysctl.conf ...
kernel.domainname = booted
kernel.sem = 1 2 3
>>> k.read("kernel.hostname"), k.read("kernel.domainname")
('(none)\\n', 'booted\\n')
>>> [key for key, _, _ in r.reset]
['kernel.hostname']
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fakeproc.errors import UsageError
from fakeproc.model import Kernel
from fakeproc.sysctlconf import ETC_SYSCTL_CONF, ConfFile, apply, parse, system_dirs, system_order

__all__ = ["AppliedSetting", "RebootResult", "boot_files", "reboot_kernel"]

_TOOLS = {"procps": "sysctl --system", "systemd": "systemd-sysctl", "systemd-252": "systemd-sysctl"}


@dataclass(frozen=True)
class AppliedSetting:
    """One write the boot-time tool attempted.

    Attributes:
        key: Dotted key (VLAN dots shown as ``/``).
        value: The value from the configuration.
        status: ``written``, ``unchanged`` (systemd skipped an equal value),
            ``failed`` or ``ignored`` (failed, but the tool carries on).
        errno: 0, or the errno the kernel answered.
        message: What the tool printed about it, if anything.
        file: The configuration file (as the tool names it) and ``line``.
        line: Line number in ``file``.
    """

    key: str
    value: str
    status: str
    errno: int = 0
    message: str | None = None
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class RebootResult:
    """What :func:`reboot_kernel` did.

    Attributes:
        profile: The kernel profile.
        state: The state file, if the kernel came from one.
        dialect: ``procps``, ``systemd`` or ``systemd-252``.
        tool: The command a real boot runs (``sysctl --system`` / ``systemd-sysctl``).
        files: The files read, in order, as the tool names them.
        sources: The same files as found on this machine.
        reset: ``(key, value before, boot value)`` of the initial-namespace values
            the reboot put back.
        dropped_namespaces: How many non-initial namespaces disappeared.
        settings: Every write attempted, in order.
        lines: The tool's output in order (stdout and stderr interleaved).
        stdout: The tool's stdout lines.
        stderr: The tool's stderr lines.
        exit_status: The tool's exit status.
    """

    profile: str
    state: str | None
    dialect: str
    tool: str
    files: tuple[str, ...]
    sources: tuple[str, ...]
    reset: tuple[tuple[str, str, str], ...]
    dropped_namespaces: int
    settings: tuple[AppliedSetting, ...]
    lines: tuple[str, ...] = ()
    stdout: tuple[str, ...] = ()
    stderr: tuple[str, ...] = ()
    exit_status: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def applied(self) -> list[AppliedSetting]:
        """Settings the kernel took (or already had)."""
        return [s for s in self.settings if s.status in ("written", "unchanged")]

    @property
    def refused(self) -> list[AppliedSetting]:
        """Settings that failed (whether or not the tool counted it against its status)."""
        return [s for s in self.settings if s.status in ("failed", "ignored")]

    def transcript(self) -> str:
        """The tool's own output, as it would appear on a console during boot."""
        return "\n".join(self.lines)

    def text(self) -> str:
        """Human-readable report: the reset, the tool's output, and a summary."""
        where = f" in {self.state}" if self.state else ""
        out = [(f"rebooted the {self.profile} kernel{where}: "
                f"{len(self.reset)} runtime value(s) back to boot defaults, "
                f"{self.dropped_namespaces} namespace(s) gone")]
        for key, before, after in self.reset:
            out.append(f"  {key}: {_show(before)} -> {_show(after)}")
        if not self.files:
            out.append("no sysctl configuration applied (give --etc DIR or --root DIR)")
        else:
            out.append(f"boot: {self.tool} read {len(self.files)} file(s):")
            out.extend(self.lines)
            count = {st: sum(1 for s in self.settings if s.status == st)
                     for st in ("written", "unchanged", "ignored", "failed")}
            summary = f"{count['written']} applied"
            if count["unchanged"]:
                summary += f", {count['unchanged']} already set"
            summary += f", {count['failed']} refused"
            if count["ignored"]:
                summary += f", {count['ignored']} failed but ignored"
            out.append(f"{summary}; {self.tool} exit status {self.exit_status}")
        return "\n".join(out) + "\n"

    def data(self) -> dict[str, Any]:
        """JSON-able form."""
        d = asdict(self)
        d.pop("extra", None)
        d["reset"] = [{"key": k, "before": b, "after": a} for k, b, a in self.reset]
        return d


def _show(value: str) -> str:
    return value.rstrip("\n").replace("\t", " ") or "''"


def boot_files(*, etc: str | os.PathLike[str] | None = None, root: str | os.PathLike[str] | None = None,
               dialect: str = "procps") -> list[tuple[ConfFile, Path]]:
    """The configuration files a boot reads, in the tool's order, each with where it is here.

    Args:
        etc: A directory standing for the machine's ``/etc`` (``sysctl.conf`` and
            ``sysctl.d/``); it overrides ``root/etc``.
        root: A directory standing for ``/``: ``/run/sysctl.d``, ``/usr/lib/sysctl.d``,
            ``/lib/sysctl.d`` and so on are looked up under it.
        dialect: ``procps`` (``sysctl --system``, which also reads ``/etc/sysctl.conf``
            last) or ``systemd``/``systemd-252`` (``systemd-sysctl``, which does not).

    Returns:
        ``(file as the tool names it, path on this machine)`` pairs.
    """
    if etc is None and root is None:
        return []
    for name, given in (("--etc", etc), ("--root", root)):
        if given is not None and not Path(given).is_dir():
            raise UsageError(f"{name} {given}: no such directory")

    def real(tool_path: str) -> Path | None:
        if etc is not None and (tool_path == "/etc" or tool_path.startswith("/etc/")):
            return Path(etc) / tool_path[len("/etc/"):]
        if root is not None:
            return Path(root) / tool_path.lstrip("/")
        return None

    listing: list[tuple[str, list[str]]] = []
    where: dict[str, Path] = {}
    for d in system_dirs(dialect):
        base = real(d)
        if base is None:
            continue
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        listing.append((d, names))
        for n in names:
            where[f"{d}/{n}"] = base / n
    etc_conf = real(ETC_SYSCTL_CONF)
    has_etc_conf = etc_conf is not None and etc_conf.is_file()
    if etc_conf is not None:
        where[ETC_SYSCTL_CONF] = etc_conf
    files = system_order(listing, dialect, etc_sysctl_conf=has_etc_conf)
    return [(f, where[f.path]) for f in files]


def _values(kernel: Kernel) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in kernel.keys(kernel.init_ns):
        try:
            out[key] = kernel.read(key)
        except OSError:
            continue
    return out


def reboot_kernel(kernel: Kernel, *, etc: str | os.PathLike[str] | None = None,
                  root: str | os.PathLike[str] | None = None, dialect: str = "procps",
                  quiet: bool = False, state: str | None = None) -> RebootResult:
    """Reboot ``kernel`` in place and apply the boot-time sysctl configuration.

    Args:
        kernel: The kernel to reboot.
        etc: Directory standing for ``/etc`` (see :func:`boot_files`).
        root: Directory standing for ``/``.
        dialect: ``procps`` (``sysctl --system``) or ``systemd``/``systemd-252``.
        quiet: procps ``-q``: no ``key = value`` echo.
        state: Only recorded in the result.

    Returns:
        A :class:`RebootResult`; its ``exit_status`` is the boot tool's.

    Raises:
        UsageError: unknown dialect, or a configuration file cannot be read.
    """
    if dialect not in _TOOLS:
        raise UsageError(f"unknown dialect {dialect!r}; choose one of {', '.join(_TOOLS)}")
    files = boot_files(etc=etc, root=root, dialect=dialect)
    docs = []
    for conf, path in files:
        try:
            text = path.read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror}") from None
        docs.append(parse(text, dialect, filename=conf.path))
    before = _values(kernel)
    namespaces = len(kernel.namespaces())
    kernel.reboot()
    after = _values(kernel)
    reset = tuple((k, v, after.get(k, "")) for k, v in before.items() if after.get(k) != v)
    dropped = namespaces - len(kernel.namespaces())
    settings: list[AppliedSetting] = []
    lines: list[str] = []
    stdout: tuple[str, ...] = ()
    stderr: tuple[str, ...] = ()
    status = 0
    if docs:
        report = apply(kernel, docs, dialect, system=dialect == "procps", quiet=quiet)
        stdout, stderr, status = report.stdout, report.stderr, report.exit_status
        for d in docs:  # both tools read (and complain about) every file before writing
            if dialect == "procps" and not quiet:
                lines.append(f"* Applying {d.file} ...")
            lines.extend(e.message for e in d.errors)
        for o in report.outcomes:
            w = o.write
            settings.append(AppliedSetting(w.key, w.value, o.status, o.errno, o.message,
                                           w.setting.file, w.setting.line))
            if o.status == "written" and dialect == "procps" and not quiet:
                lines.append(f"{w.key} = {w.value}")
            if o.message:
                lines.append(o.message)
    return RebootResult(
        profile=kernel.profile.name,
        state=state,
        dialect=dialect,
        tool=_TOOLS[dialect],
        files=tuple(f.path for f, _ in files),
        sources=tuple(str(p) for _, p in files),
        reset=reset,
        dropped_namespaces=dropped,
        settings=tuple(settings),
        lines=tuple(lines),
        stdout=tuple(stdout),
        stderr=tuple(stderr),
        exit_status=status,
    )
