"""Subcommands that tell the article's story: ``demo`` and ``reboot``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fakeproc.cli.result import CommandResult

#: ``len(fakeproc.demo.STEPS)`` and ``fakeproc.demo.LANGUAGES``, for the parser: importing the demo
#: would add ~7 ms to the start of every command (``fakeproc run`` included). tests/cli checks them.
DEMO_STEPS = 8
DEMO_LANGUAGES = ("en", "ko")

__all__ = ["register"]


def _add_demo(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="walk through the article's steps against the fake kernel",
        description="Walk through the article's steps in its order (procfs, sysctl -w and -p, kernel.sem, "
        "sysctl -w in the parent and in a new IPC namespace, the C program, the pod refused then allowed, "
        "exec, the namespaces as a tree), running every command for real against a "
        "throw-away fake kernel: through a FUSE mount where one can be made, in-process otherwise.",
    )
    p.add_argument("--step", type=int, action="append", metavar="N",
                   help=f"run only step N (1-{DEMO_STEPS}; repeatable)")
    p.add_argument("--lang", choices=DEMO_LANGUAGES, default="en",
                   help="language of the explanations: en (default) or ko, the article's; "
                   "commands and outputs never change")
    p.add_argument("--pause", action="store_true", help="wait for Enter between steps (for a classroom)")
    p.add_argument("--kubernetes-version", metavar="X.Y",
                   help="Kubernetes version for the pod steps, 1.16 to 1.37 (default: 1.36)")
    p.add_argument("--kernel", metavar="PROFILE", help="kernel profile name or file (default: 6.18)")
    p.add_argument("--in-process", action="store_true",
                   help="do not mount; run every step in-process through the model")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour output (default: auto, on a terminal unless NO_COLOR is set)")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int | CommandResult:
    from fakeproc.demo import run_demo

    color = {"auto": None, "always": True, "never": False}[args.color]
    if args.json:
        import io

        transcript = run_demo(steps=args.step, kernel=args.kernel, kubernetes_version=args.kubernetes_version,
                              in_process=args.in_process, out=io.StringIO(), color=False, lang=args.lang)
        return CommandResult(exit_code=transcript.exit_code, data=transcript.data())
    transcript = run_demo(steps=args.step, kernel=args.kernel, kubernetes_version=args.kubernetes_version,
                          in_process=args.in_process, out=sys.stdout, color=color, lang=args.lang,
                          pause=args.pause, stdin=sys.stdin)
    return transcript.exit_code


def _add_reboot(sub: Any) -> None:
    p = sub.add_parser(
        "reboot",
        help="reset runtime values to boot defaults and apply the boot-time sysctl configuration",
        description="Reboot the fake kernel kept in the state file: every value written at runtime (sysctl -w) "
        "and every namespace but the initial ones is lost; then apply the configuration a boot applies, "
        "the way `sysctl --system` (procps) or systemd-sysctl does, printing what the tool prints.",
    )
    p.add_argument("--state", metavar="FILE", help="state file (default: $FAKEPROC_STATE or "
                   "~/.local/state/fakeproc/state.json)")
    p.add_argument("--etc", metavar="DIR", help="directory standing for /etc: DIR/sysctl.conf, DIR/sysctl.d/*.conf")
    p.add_argument("--root", metavar="DIR", help="directory standing for /: also reads DIR/run/sysctl.d, "
                   "DIR/usr/local/lib/sysctl.d, DIR/usr/lib/sysctl.d, DIR/lib/sysctl.d (and DIR/etc unless --etc)")
    p.add_argument("--dialect", choices=("procps", "systemd", "systemd-252"), default="procps",
                   help="which boot tool: procps `sysctl --system` (default, also reads /etc/sysctl.conf) "
                   "or systemd-sysctl")
    p.add_argument("--systemd", dest="dialect", action="store_const", const="systemd",
                   help="same as --dialect systemd")
    p.add_argument("--kernel", metavar="PROFILE", help="profile to boot if the state file does not exist yet")
    p.add_argument("-q", "--quiet", action="store_true", help="procps -q: do not echo key = value")
    p.set_defaults(func=_cmd_reboot)


def _cmd_reboot(args: argparse.Namespace) -> CommandResult:
    from fakeproc.cli.commands.reboot import reboot

    result = reboot(state=args.state, etc=args.etc, root=args.root, dialect=args.dialect,
                    profile=args.kernel, quiet=args.quiet)
    return CommandResult(exit_code=result.exit_status, text=result.text(), data=result.data())


def register(sub: Any) -> None:
    """Add this group's subcommands."""
    _add_demo(sub)
    _add_reboot(sub)
