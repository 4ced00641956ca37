"""``mounted()``: a kernel served through FUSE for the duration of a ``with`` block.

The server runs in a thread of the calling process, so the kernel object the
caller holds is the one every process reading the mount talks to (its
``write_log`` can be inspected directly). The mount itself is a FUSE mount at
``handle.path``; :meth:`MountHandle.run` runs a command that sees it at
``/proc/sys`` in a private mount namespace.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fakeproc._env import DEFAULT_ATTR_TIMEOUT, env_number
from fakeproc._env import attr_timeout as default_attr_timeout
from fakeproc.errors import UnavailableError, UsageError
from fakeproc.sandbox._checks import fuse_problem, redirect_needed, require_fuse
from fakeproc.sandbox._kernel import open_kernel
from fakeproc.sandbox._mounts import clean_dead_mount
from fakeproc.sandbox._runtime import make_mountpoint, sweep_dead_mounts
from fakeproc.sandbox._tools import find_tool, search_path

if TYPE_CHECKING:
    from fakeproc.backends.fuse import FuseServer
    from fakeproc.model import Kernel, NamespaceSet
    from fakeproc.serve import NamespaceResolver, Session

__all__ = ["BIND_SCRIPT", "DEFAULT_ATTR_TIMEOUT", "MountHandle", "bind_argv", "mounted", "start_mount"]

log = logging.getLogger("fakeproc.sandbox")

#: Run inside the new mount namespace by ``/bin/sh -c SCRIPT fakeproc MNT CMD...``: bind the FUSE
#: mountpoint MNT over /proc/sys, drop this namespace's own copy of MNT, then exec CMD.
BIND_SCRIPT = (
    "mnt=$1; PATH=$2; export PATH; shift 2; "
    'mount --bind "$mnt" /proc/sys || { echo "fakeproc: cannot bind $mnt over /proc/sys" >&2; exit 125; }; '
    'umount -l "$mnt" 2>/dev/null; '
    'exec "$@"'
)

#: Run by ``python -c SCRIPT SYSPATH MNT PATH TABLE SLOT CMD...`` where a normal user has no usable
#: user namespaces: CMD's ``/proc/sys`` lookups are redirected into MNT by the seccomp backend, its
#: opens attributed to the caller through slot SLOT of the mount's shared table TABLE (a path;
#: empty when the mount has no resolver).
REDIRECT_SCRIPT = (
    "import os, sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from fakeproc.backends.seccomp import run_redirected\n"
    "from fakeproc.errors import FakeprocError\n"
    "shared = (sys.argv[4], int(sys.argv[5])) if sys.argv[4] else None\n"
    "try:\n"
    "    sys.exit(run_redirected(sys.argv[6:], mountpoint=sys.argv[2], env={**os.environ, 'PATH': sys.argv[3]},\n"
    "                            shared=shared))\n"
    "except FakeprocError as e:\n"
    "    print(e if str(e).startswith('fakeproc:') else f'fakeproc: {e}', file=sys.stderr)\n"
    "    sys.exit(e.exit_code)\n"
)


_live: set[MountHandle] = set()
_live_lock = threading.Lock()


def bind_argv(mountpoint: str, argv: Sequence[str], *, user_namespace: bool = False) -> list[str]:
    """The argv that runs ``argv`` with ``mountpoint`` bound over ``/proc/sys`` in a private mount namespace.

    Args:
        mountpoint: The FUSE mountpoint.
        argv: The command.
        user_namespace: Also create a user namespace mapping the caller to root
            (needed by a non-root caller to make a mount namespace).
    """
    if not argv:
        raise UsageError("no command given")
    argv = list(argv)
    if "/" not in argv[0] and shutil.which(argv[0]) is None:
        argv[0] = find_tool(argv[0]) or argv[0]  # sysctl in /usr/sbin, off a normal user's PATH
    unshare = shutil.which("unshare") or "unshare"
    ns = ["--user", "--map-root-user"] if user_namespace else []
    return [
        unshare,
        *ns,
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        BIND_SCRIPT,
        "fakeproc",
        mountpoint,
        search_path(),  # CMD and its children find sysctl off a normal user's PATH too
        *argv,
    ]


class MountHandle:
    """A live FUSE mount of a kernel.

    Attributes:
        path: The mountpoint.
        kernel: The served kernel.
        server: The FUSE server (``server.ops.counts`` has request counts when enabled).
        resolver: Maps callers to model namespaces.
        session: The serving session (open files, identity).
    """

    def __init__(
        self,
        kernel: Kernel,
        path: str,
        server: FuseServer,
        resolver: NamespaceResolver | None,
        owns_dir: bool,
    ) -> None:
        self.kernel = kernel
        self.path = path
        self.server = server
        self.resolver = resolver
        self.session: Session = server.ops.session
        self._owns_dir = owns_dir
        self._closed = False
        self._slots: list[int] = []

    def bind_argv(self, argv: Sequence[str]) -> list[str]:
        """The argv running ``argv`` with this mount at ``/proc/sys`` (see :func:`bind_argv`); for a
        normal user without usable user namespaces, under the seccomp backend's redirection (its
        supervisor's opens are attributed to the caller through a slot of the resolver's shared
        table, held until the handle closes)."""
        if redirect_needed():
            return self._redirect_argv(argv)[0]
        return bind_argv(self.path, argv, user_namespace=os.geteuid() != 0)

    def _redirect_argv(self, argv: Sequence[str]) -> tuple[list[str], int | None]:
        """The redirecting argv and the table slot it holds (None without a resolver)."""
        if not argv:
            raise UsageError("no command given")
        table, slot = "", None
        if self.resolver is not None:
            shared = self.resolver.share_proxies()
            try:
                slot = shared.reserve()
            except OSError:  # every slot is held by a running command
                log.warning("fakeproc: no free slot to attribute %s's opens to it; they count as its "
                            "supervisor's", argv[0])
            else:
                self._slots.append(slot)
                table = shared.path()
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return [sys.executable, "-c", REDIRECT_SCRIPT, package_parent, self.path, search_path(), table,
                "" if slot is None else str(slot), *argv], slot

    def run(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        """Run ``argv`` with the fake tree at ``/proc/sys`` in a private mount namespace.

        Keyword arguments go to :func:`subprocess.run` (``capture_output``, ``text``, ``input``,
        ``timeout``, ``check``, ``env``...). The host's ``/proc/sys`` is never touched.
        """
        kwargs.setdefault("check", False)
        if not redirect_needed():
            return subprocess.run(self.bind_argv(argv), **kwargs)  # noqa: PLW1510 - check is in kwargs
        full, slot = self._redirect_argv(argv)
        try:
            return subprocess.run(full, **kwargs)  # noqa: PLW1510 - check is in kwargs
        finally:
            self._release(slot)

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Like :meth:`run` but returns the running :class:`subprocess.Popen`."""
        if not redirect_needed():
            return subprocess.Popen(self.bind_argv(argv), **kwargs)
        full, slot = self._redirect_argv(argv)
        try:
            proc = subprocess.Popen(full, **kwargs)
        except BaseException:
            self._release(slot)
            raise
        weakref.finalize(proc, self._release, slot)  # once the Popen is gone (or at close())
        return proc

    def _release(self, slot: int | None) -> None:
        if slot is not None and self.resolver is not None and slot in self._slots:
            self._slots.remove(slot)
            self.resolver.share_proxies().release(slot)

    def close(self) -> None:
        """Unmount and stop the server (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for slot in list(self._slots):
            self._release(slot)
        try:
            self.server.stop()
        finally:
            with _live_lock:
                _live.discard(self)
            if self._owns_dir:
                with contextlib.suppress(OSError):
                    os.rmdir(self.path)

    def __enter__(self) -> MountHandle:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<MountHandle {self.path} {self.kernel!r}>"


def _close_all() -> None:
    with _live_lock:
        handles = list(_live)
    for handle in handles:
        with contextlib.suppress(Exception):
            handle.close()


atexit.register(_close_all)


#: Busy-poll (µs) of a server in a process that serves one command or one mount (``fakeproc
#: run``'s namespace backend, ``fakeproc mount``): on an idle VM the command's next request then
#: finds the server's vCPU awake. Not for in-process mounts (``mounted()``, the fixtures), where
#: several servers and the caller's own threads share the GIL. See docs/mount.md.
SERVING_BUSY_POLL_US = 50.0


def serving_busy_poll() -> float:
    """The busy-poll for a dedicated serving process: ``$FAKEPROC_FUSE_BUSY_POLL_US`` when set
    (0 turns it off), else :data:`SERVING_BUSY_POLL_US`."""
    return env_number("FAKEPROC_FUSE_BUSY_POLL_US", SERVING_BUSY_POLL_US)


def start_mount(
    kernel: Kernel,
    mountpoint: str | None = None,
    *,
    base: NamespaceSet | None = None,
    fixed: NamespaceSet | None = None,
    count_requests: bool = False,
    threaded: bool = False,
    attr_timeout: float | None = None,
    options: dict[str, str | bool | None] | None = None,
    identity: str = "root",
    busy_poll_us: float | None = None,
    latency_hold_ms: float | None = None,
) -> MountHandle:
    """Mount ``kernel`` and start serving it; the caller must :meth:`~MountHandle.close` the handle.

    Args:
        kernel: The model to serve.
        mountpoint: An existing empty directory (a temporary one is made if None).
            A dead fakeproc mount left there by a killed server is cleaned up first.
        base: The model namespaces this process's own real namespaces map to
            (default: the kernel's initial ones).
        fixed: Serve this namespace set to every caller (no per-caller resolution).
        count_requests: Count requests per operation (``handle.server.ops.counts``).
        threaded: libfuse's multi-threaded loop instead of the single-threaded one.
        attr_timeout: Seconds the kernel may cache a lookup or attributes (``entry_timeout``
            and ``attr_timeout``; default ``$FAKEPROC_ATTR_TIMEOUT`` or 1). 0 is exact for
            callers in different namespaces (whose trees differ) at about 4 times the cost of
            ``sysctl -a``; see docs/mount.md.
        options: Extra FUSE ``-o`` options.
        identity: What the user serving the kernel is to it: ``"root"`` (init-namespace root,
            the default) or ``"user"`` (a plain user, to see how a tool meets EACCES).
            Other users are always plain users under the kernel's permission rules.
        busy_poll_us: The server's busy-poll after each request (default
            ``$FAKEPROC_FUSE_BUSY_POLL_US`` or none; :func:`serving_busy_poll` for a process
            that serves one command).
        latency_hold_ms: How long the server keeps idle CPUs polling after a request (a CPU
            latency request, root only; default: :func:`fakeproc.serve.serving_hold_ms` with a
            busy-poll, else none; see ``FuseServer``).

    Raises:
        UnavailableError: FUSE cannot be used here (the message says why and how to fix it).
        UsageError: the mountpoint is in use or not a directory, or an unknown identity.
    """
    from fakeproc.backends.fuse import FuseServer, SysctlOperations
    from fakeproc.serve import IDENTITIES, Identity, NamespaceResolver, Session

    if identity not in IDENTITIES:
        raise UsageError(f"identity must be one of {', '.join(IDENTITIES)}, not {identity!r}")
    if attr_timeout is None:
        attr_timeout = default_attr_timeout()
    require_fuse()
    owns_dir = mountpoint is None
    if mountpoint is None:
        sweep_dead_mounts()
        mountpoint = make_mountpoint()
    else:
        mountpoint = os.path.abspath(mountpoint)
        clean_dead_mount(mountpoint)
        if not os.path.isdir(mountpoint):
            raise UsageError(f"mountpoint {mountpoint} is not a directory")
    ids = Identity.of_this_process(identity)
    resolver = None if fixed is not None else NamespaceResolver(kernel, base, owner_ids=ids.owner_ids)
    session = Session(
        kernel, resolver, fixed=fixed, identity=ids, attr_timeout=attr_timeout, count_requests=count_requests
    )
    ops = SysctlOperations(kernel, session=session)
    opts: dict[str, str | bool | None] = {
        "fsname": f"fakeproc:{os.getpid()}",
        "attr_timeout": f"{attr_timeout:g}",
        "entry_timeout": f"{attr_timeout:g}",
    }
    opts.update(options or {})
    try:
        server = FuseServer(  # reads the environment's tunables: a malformed one is a UsageError
            ops, mountpoint, threaded=threaded, options=opts, busy_poll_us=busy_poll_us, latency_hold_ms=latency_hold_ms
        )
        server.start()
    except UnavailableError as e:
        if owns_dir:
            with contextlib.suppress(OSError):
                os.rmdir(mountpoint)
        raise UnavailableError(fuse_problem() or str(e)) from None
    except BaseException:
        if owns_dir:
            with contextlib.suppress(OSError):
                os.rmdir(mountpoint)
        raise
    handle = MountHandle(kernel, mountpoint, server, resolver, owns_dir)
    with _live_lock:
        _live.add(handle)
    return handle


@contextlib.contextmanager
def mounted(
    kernel: Kernel | None = None,
    *,
    profile: str | None = None,
    mountpoint: str | None = None,
    state: str | None = None,
    base: NamespaceSet | None = None,
    count_requests: bool = False,
    attr_timeout: float | None = None,
    identity: str = "root",
) -> Iterator[MountHandle]:
    """Serve a kernel through FUSE for the duration of the block.

    >>> with mounted(profile="6.18") as m:                    # doctest: +SKIP
    ...     open(m.path + "/kernel/ostype").read()
    ...     m.run(["sysctl", "-n", "kernel.sem"], capture_output=True, text=True).stdout
    'Linux\\n'
    '32000\\t1024000000\\t500\\t32000\\n'

    Args:
        kernel: The kernel to serve (from this process: its ``write_log`` shows what
            processes wrote). Default: a new one booted from ``profile``.
        profile: Profile for a new kernel (or for ``state`` when the file does not exist yet).
        mountpoint: Where to mount (default: a temporary directory, removed afterwards).
        state: A state file: loaded (under its lock) at start, saved atomically at the end.
        base: The model namespaces this process's real namespaces map to.
        count_requests: Count FUSE requests per operation.
        attr_timeout: Kernel lookup/attribute cache time in seconds (default 1; 0 is exact
            across namespaces whose trees differ, but slower; see docs/mount.md).
        identity: ``"root"`` (default): this process's user is the kernel's init-namespace root;
            ``"user"``: a plain user instead (see :func:`start_mount`).

    Yields:
        A :class:`MountHandle` with ``.path``, ``.kernel``, ``.run(argv, **kw)`` and ``.close()``.

    Raises:
        UnavailableError: FUSE is not usable here (the message says why and how to fix it).
        UsageError: both ``kernel`` and ``state`` given, or a bad mountpoint.
    """
    with open_kernel(kernel, profile, state) as k, start_mount(
        k,
        mountpoint,
        base=base,
        count_requests=count_requests,
        attr_timeout=attr_timeout,
        identity=identity,
    ) as handle:
        yield handle
