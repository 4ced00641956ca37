"""Subcommands that put the fake kernel on a FUSE mount: ``mount``, ``umount``, ``run``."""

from __future__ import annotations

import argparse
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
    p.add_argument("--state", metavar="FILE", help="load the kernel from FILE and save it there at exit")
    p.add_argument("--foreground", action="store_true", help="serve in this process until signalled")
    p.set_defaults(func=_cmd_mount)


def _cmd_mount(args: argparse.Namespace) -> CommandResult:
    from fakeproc.sandbox import serve_mount

    text = serve_mount(args.mountpoint, profile=args.kernel, state=args.state, foreground=args.foreground)
    return CommandResult(text=text, data={"mountpoint": args.mountpoint, "message": text})


def _add_umount(sub: Any) -> None:
    p = sub.add_parser(
        "umount",
        help="unmount a fakeproc mount (the server saves its state and exits)",
        description="Unmount a fakeproc FUSE mount and wait for its server to save its state and exit. "
        "A dead mount left by a killed server is cleaned up.",
    )
    p.add_argument("mountpoint", metavar="MOUNTPOINT")
    p.set_defaults(func=_cmd_umount)


def _cmd_umount(args: argparse.Namespace) -> CommandResult:
    from fakeproc.sandbox import unmount_path

    text = unmount_path(args.mountpoint)
    return CommandResult(text=text, data={"mountpoint": args.mountpoint, "message": text})


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a command that sees the fake kernel at /proc/sys",
        description="Run CMD in a private mount namespace (plus a user namespace when not root) where the "
        "fake tree is bound over /proc/sys. The host's /proc/sys is never touched. Exits with CMD's status.",
    )
    p.add_argument("--kernel", metavar="PROFILE", help="profile name or file (default: 6.18)")
    p.add_argument("--state", metavar="FILE", help="load the kernel from FILE and save it there at exit")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]")
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from fakeproc.sandbox import run_command

    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    return run_command(argv, profile=args.kernel, state=args.state)


def register(sub: Any) -> None:
    """Add this group's subcommands."""
    _add_mount(sub)
    _add_umount(sub)
    _add_run(sub)
