"""Subcommands that put the fake kernel on a FUSE mount: ``mount``, ``umount``, ``run``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fakeproc.cli.result import CommandResult

__all__ = ["register"]


def _add_mount(sub: Any) -> None:
    p = sub.add_parser(
        "mount",
        help="serve a fake /proc/sys on a FUSE mountpoint",
        description="Mount a fake kernel's /proc/sys tree at MOUNTPOINT (procfs-faithful: size 0, direct I/O, "
        "errnos at open). Runs in the background until `fakeproc umount MOUNTPOINT`, unless --foreground.",
    )
    p.add_argument("mountpoint", metavar="MOUNTPOINT", help="an existing empty directory")
    p.add_argument("--kernel", metavar="PROFILE", help="profile name or file (default: 6.18)")
    p.add_argument("--state", metavar="FILE", help="load the kernel from FILE and save it there at exit (default: a freshly booted kernel, not saved)")
    p.add_argument("--foreground", action="store_true", help="serve in this process until signalled")
    _add_machine(p)
    _add_identity(p)
    _add_lock_timeout(p)
    p.set_defaults(func=_cmd_mount)


def _notify(line: str) -> None:
    """Progress lines of a waiting command (a busy lock, a mount held elsewhere), on stderr at once."""
    print(f"fakeproc: {line}", file=sys.stderr, flush=True)


def _add_lock_timeout(p: Any) -> None:
    p.add_argument(
        "--lock-timeout",
        type=float,
        metavar="SECONDS",
        help="with --state: give up (exit 2) if the state file stays locked this long (default: wait)",
    )


def _add_machine(p: Any) -> None:
    p.add_argument(
        "--machine",
        metavar="SPEC",
        help="boot the kernel on this machine: mem=SIZE (MemTotal, e.g. 8G) and/or cpus=N; defaults the kernel "
        "derives from memory and CPUs (threads-max, file-max, tcp_mem, pid_max, ...) follow (default: the "
        "profile's reference machine)",
    )


def _profile(args: argparse.Namespace) -> Any:
    """What to boot: the --kernel name, or with --machine that profile on the declared machine."""
    if args.machine is None:
        return args.kernel
    from pathlib import Path

    from fakeproc.errors import UsageError
    from fakeproc.profiles import load_profile

    if getattr(args, "state", None) and Path(args.state).exists():
        raise UsageError(f"--machine boots a new kernel, but the state file {args.state} already holds one "
                         "(remove it or drop --machine)")
    return load_profile(args.kernel, machine=args.machine)


def _add_identity(p: Any) -> None:
    p.add_argument(
        "--as",
        dest="identity",
        choices=("root", "user"),
        default="root",
        help="what you are to the fake kernel: its init-namespace root (default) or a plain user "
        "(to see how a tool meets EACCES); other users are always plain users",
    )


def _cmd_mount(args: argparse.Namespace) -> CommandResult:
    from fakeproc.sandbox import serve_mount

    text = serve_mount(
        args.mountpoint,
        profile=_profile(args),
        state=args.state,
        foreground=args.foreground,
        identity=args.identity,
        lock_timeout=args.lock_timeout,
        notify=_notify,
    )
    return CommandResult(text=text, data={"mountpoint": args.mountpoint, "message": text})


def _add_umount(sub: Any) -> None:
    p = sub.add_parser(
        "umount",
        help="unmount a fakeproc mount (the server saves its state and exits)",
        description="Unmount a fakeproc FUSE mount and wait for its server to save its state and exit. "
        "A dead mount left by a killed server is cleaned up.",
    )
    p.add_argument("mountpoint", metavar="MOUNTPOINT")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="how long to wait for the server to end (default 30)")
    p.set_defaults(func=_cmd_umount)


def _cmd_umount(args: argparse.Namespace) -> CommandResult:
    from fakeproc.sandbox import unmount_path

    text = unmount_path(args.mountpoint, timeout=args.timeout, notify=_notify)
    return CommandResult(text=text, data={"mountpoint": args.mountpoint, "message": text})


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a command that sees the fake kernel at /proc/sys",
        description="Run CMD so that it sees the fake tree at /proc/sys. The namespaces backend binds it over "
        "/proc/sys in a private mount namespace (plus a user namespace when not root); the seccomp and "
        "emulated backends (where installed) need no namespaces. The host's /proc/sys is never touched. "
        "Exits with CMD's status; 2 when the backend cannot run here.",
    )
    p.add_argument("--kernel", metavar="PROFILE", help="profile name or file (default: 6.18)")
    p.add_argument("--state", metavar="FILE", help="load the kernel from FILE and save it there at exit (default: a freshly booted kernel, not saved)")
    p.add_argument(
        "--backend",
        default="auto",
        metavar="NAME",
        help="auto (default: namespaces where it works, else seccomp), namespaces, seccomp or emulated",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="say which backend ran (on stderr)")
    _add_machine(p)
    _add_identity(p)
    _add_lock_timeout(p)
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]")
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> CommandResult:
    from fakeproc import sandbox

    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    outcome = sandbox.run(
        argv,
        profile=_profile(args),
        state=args.state,
        backend=args.backend,
        identity=args.identity,
        lock_timeout=args.lock_timeout,
        notify=_notify,
    )
    errors = (f"backend: {outcome.backend}",) if args.verbose else ()
    return CommandResult(
        exit_code=outcome.exit_code,
        data={"backend": outcome.backend, "exit_code": outcome.exit_code},
        errors=errors,
    )


def register(sub: Any) -> None:
    """Add this group's subcommands."""
    _add_mount(sub)
    _add_umount(sub)
    _add_run(sub)
