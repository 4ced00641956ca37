"""``fakeproc diff A B``: what changes between two kernel profiles or captures."""

from __future__ import annotations

import argparse
from typing import Any

from fakeproc.cli.result import CommandResult

__all__ = ["register"]


def _add_diff(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two kernel profiles: keys added and removed, defaults, bounds, modes, handlers",
        description="Compare two kernel profiles (shipped names such as 5.15 or ubuntu-24.04, or profile "
        "files written by `fakeproc capture`): keys added and removed, and changes of default, bounds, "
        "mode, handler and namespace, grouped by subsystem. Exit status 0, or 2 for an unknown profile.",
    )
    p.add_argument("old", metavar="A", help="the profile you have (name or file)")
    p.add_argument("new", metavar="B", help="the profile you compare with (name or file)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the result as JSON")
    p.set_defaults(func=_cmd_diff)


def _cmd_diff(args: argparse.Namespace) -> CommandResult:
    from fakeproc.profiles.diff import diff_profiles

    result = diff_profiles(args.old, args.new)
    return CommandResult(text=result.text(), data=result.data())


def register(sub: Any) -> None:
    """Add the ``diff`` subcommand."""
    _add_diff(sub)
