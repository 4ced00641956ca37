"""Where the demo's commands run: real programs against a FUSE mount, or fakeproc's API in-process.

:class:`Demo` is what a step function gets. ``demo.sh(display, argv, inproc)``
runs ``argv`` (``sysctl``, ``cat``, a compiled C program...) with the fake tree
bound over ``/proc/sys`` when the mount is usable, and otherwise calls ``inproc``,
which does the same through :class:`fakeproc.Kernel`. Either way the printed
output is computed now, from the fake kernel; nothing is canned.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fakeproc.demo._output import Printer, Record, Transcript
from fakeproc.demo._text import text

if TYPE_CHECKING:
    from fakeproc.boot import RebootResult
    from fakeproc.model import Kernel, NamespaceSet
    from fakeproc.sandbox import MountHandle

__all__ = ["Demo", "Output", "probe_mount"]

#: What a command produced: its output (stdout and stderr in order) and its exit status.
Output = tuple[str, int]

_TIMEOUT = 120


def probe_mount(kernel: Kernel) -> tuple[MountHandle | None, str | None]:
    """Mount ``kernel`` and check that a real ``cat`` sees it at ``/proc/sys``.

    Returns:
        ``(handle, None)`` when it works (the caller closes the handle), else
        ``(None, reason)``.
    """
    from fakeproc.errors import FakeprocError
    from fakeproc.sandbox import fuse_available, start_mount

    ok, why = fuse_available()
    if not ok:
        return None, why or "FUSE is not usable here"
    try:
        handle = start_mount(kernel)
    except (FakeprocError, OSError) as e:
        return None, f"the FUSE mount failed: {e}"
    try:
        want = kernel.read("kernel.osrelease")
        r = handle.run(["cat", "/proc/sys/kernel/osrelease"], capture_output=True, text=True, timeout=_TIMEOUT)
        if r.returncode != 0 or r.stdout != want:
            raise RuntimeError((r.stderr or r.stdout).strip() or f"exit status {r.returncode}")
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        handle.close()
        return None, f"commands cannot see the mount at /proc/sys: {e}"
    return handle, None


class Demo:
    """The context a step function runs in.

    Args:
        kernel: The fake kernel (a throw-away one).
        workdir: A private temporary directory (the demo's current directory).
        printer: Where the walkthrough goes.
        transcript: Where every command is recorded.
        use_mount: Try the FUSE mount.
        kubernetes_version: For the Kubernetes steps.
        lang: ``en`` or ``ko``: the language of the explanations (commands and outputs never change).

    Attributes:
        kernel: The fake kernel.
        workdir: Current directory of every command.
        step: The step running now.
    """

    def __init__(self, kernel: Kernel, workdir: Path, printer: Printer, transcript: Transcript, *,
                 use_mount: bool = True, kubernetes_version: str | None = None, lang: str = "en") -> None:
        self.kernel = kernel
        self.lang = lang
        self.workdir = workdir
        self.printer = printer
        self.transcript = transcript
        self.kubernetes_version = kubernetes_version
        #: The --kernel argument (a profile name or file), for commands that take it.
        self.profile_arg: str | None = None
        self.step = 0
        self._handle: MountHandle | None = None
        self.mount_reason: str | None = None
        if use_mount:
            self._handle, self.mount_reason = probe_mount(kernel)
        else:
            self.mount_reason = "--in-process was given"
        self.mounted = self._handle is not None
        transcript.mode = "mount" if self.mounted else "in-process"
        transcript.fallback_reason = self.mount_reason
        self._in_process_why: dict[int, str] = {}

    # ------------------------------------------------------------------ mount lifecycle

    def _mount(self) -> MountHandle:
        if self._handle is None:
            from fakeproc.sandbox import start_mount

            self._handle = start_mount(self.kernel)
        return self._handle

    def unmount(self) -> None:
        """Take the mount down (before a reboot; the next command mounts again)."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.close()

    def close(self) -> None:
        """Unmount; nothing is left behind."""
        self.unmount()

    # ------------------------------------------------------------------ printing

    def note(self, text: str) -> None:
        """One or two lines of explanation."""
        self.printer.note(text)

    def say(self, key: str, **fields: object) -> None:
        """The explanation ``key`` (see :mod:`fakeproc.demo._text`) in the demo's language."""
        self.printer.note(text(key, self.lang, **fields))

    def text(self, key: str, **fields: object) -> str:
        """The sentence ``key`` in the demo's language."""
        return text(key, self.lang, **fields)

    def _record(self, display: str, out: Output, mode: str, expect: Sequence[str]) -> str:
        text, rc = out
        self.printer.output(text)
        missing = tuple(e for e in expect if e not in text)
        for e in missing:
            self.printer.fail(f"expected {e!r} in the output of `{display}`")
        self.transcript.records.append(Record(self.step, display, text, rc, mode, missing))
        return text

    def in_process(self, why: str) -> None:
        """Mark this step as (partly) run in-process, and why."""
        if self.step not in self.transcript.in_process_steps:
            self.transcript.in_process_steps.append(self.step)
        self._in_process_why.setdefault(self.step, why)

    @property
    def in_process_reasons(self) -> dict[int, str]:
        """Step -> why some of its commands ran in-process only."""
        return dict(self._in_process_why)

    # ------------------------------------------------------------------ commands

    def sh(self, display: str | None, argv: Sequence[str], inproc: Callable[[], Output], *,
           expect: Sequence[str] = (), base: NamespaceSet | None = None, fallback_ok: bool = False) -> str:
        """Show and run a command that uses ``/proc/sys``.

        Args:
            display: The command line shown (default: ``argv`` shell-quoted).
            argv: The real program, run with the fake tree at ``/proc/sys``.
            inproc: The same through the API, when there is no mount.
            expect: Text the output must contain (a missing one fails the demo).
            base: Run as a process of these model namespaces (``pod exec``).
            fallback_ok: If the real program fails (exit status 125-127 or a
                sandbox error), fall back to ``inproc`` and say so.
        """
        display = display or shlex.join(argv)
        self.printer.command(display)
        if not self.mounted:
            self.in_process(self.mount_reason or "no mount")
            return self._record(display, inproc(), "in-process", expect)
        out = self._run_mounted(argv, base)
        if fallback_ok and out[1] != 0:
            self.printer.output(out[0])
            self.printer.warn(f"the real program failed (exit status {out[1]}); the same test in-process:")
            self.in_process(f"`{display}` failed through the mount (exit status {out[1]})")
            return self._record(display, inproc(), "in-process", expect)
        return self._record(display, out, "mount", expect)

    def _run_mounted(self, argv: Sequence[str], base: NamespaceSet | None) -> Output:
        if base is None:
            handle = self._mount()
            r = handle.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           cwd=self.workdir, timeout=_TIMEOUT, env=_env())
            return r.stdout, r.returncode
        from fakeproc.sandbox import start_mount

        with start_mount(self.kernel, base=base) as other:
            r = other.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=self.workdir, timeout=_TIMEOUT, env=_env())
        return r.stdout, r.returncode

    def host(self, display: str | None, argv: Sequence[str], *, expect: Sequence[str] = ()) -> Output:
        """Show and run a host program that does not use ``/proc/sys`` (``gcc``, ``cat FILE``)."""
        display = display or shlex.join(argv)
        self.printer.command(display)
        try:
            r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=self.workdir, timeout=_TIMEOUT, env=_env(), check=False)
            out: Output = (r.stdout, r.returncode)
        except OSError as e:
            out = (f"{argv[0]}: {e.strerror}\n", 127)
        self._record(display, out, "host", expect)
        return out

    def api(self, display: str, call: Callable[[], Output], *, expect: Sequence[str] = ()) -> str:
        """Show and run a ``fakeproc`` command through its Python API, on this demo's kernel."""
        self.printer.command(display)
        return self._record(display, call(), "in-process", expect)

    def reboot(self, *, etc: str | os.PathLike[str] | None = None) -> RebootResult:
        """Reboot the fake kernel (the mount goes down and comes back, as /proc does)."""
        from fakeproc.boot import reboot_kernel

        self.unmount()
        return reboot_kernel(self.kernel, etc=etc)


def _env() -> dict[str, str]:
    """The commands' environment: C locale (untranslated messages), and this fakeproc importable."""
    import fakeproc

    env = dict(os.environ)
    env.update(LC_ALL="C", LANG="C")
    root = str(Path(next(iter(fakeproc.__path__))).resolve().parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env

