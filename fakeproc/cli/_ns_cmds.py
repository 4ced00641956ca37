"""``fakeproc ns tree``: the fake kernel's namespaces as a tree (text, or an SVG/PNG image)."""

from __future__ import annotations

import argparse
from typing import Any

from fakeproc.cli.result import EXIT_USAGE, CommandResult

__all__ = ["register"]


def _add_tree(sub: Any) -> None:
    p = sub.add_parser(
        "tree",
        help="draw the namespaces of the kernel in the state file as a tree",
        description="Draw every live namespace of the fake kernel (the state file's: the one `fakeproc pod` and "
        "`fakeproc mount` use) under the namespace it was created from: the initial ones, each unshare, each "
        "pod sandbox, each real namespace followed through the mount. For each --key, a root shows its value "
        "and every other namespace the value where it differs from its parent's.",
    )
    p.add_argument("--key", action="append", metavar="KEY",
                   help="a namespaced sysctl to show (repeatable; default: kernel.sem, net.core.somaxconn, "
                   "kernel.hostname)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write an image instead (FILE.svg or FILE.png; needs the 'image' extra and Graphviz)")
    p.add_argument("--state", metavar="FILE", help="state file (default: $FAKEPROC_STATE or ~/.local/state)")
    p.add_argument("--kernel", metavar="PROFILE", help="profile for a new state (default: 6.18)")
    p.set_defaults(func=_cmd_tree)


def _cmd_tree(args: argparse.Namespace) -> CommandResult:
    from fakeproc.demo.nstree import DEFAULT_KEYS, namespace_tree, render_image, render_text
    from fakeproc.state import StateFile

    keys = args.key or list(DEFAULT_KEYS)
    with StateFile(args.state).open(profile=args.kernel, save=False) as k:
        roots = namespace_tree(k, keys)
    count = sum(1 for r in roots for _ in r.walk())
    data = {"namespaces": count, "keys": keys}
    if args.output:
        path = render_image(roots, args.output)
        return CommandResult(text=f"wrote {path} ({count} namespaces)", data={**data, "image": str(path)})
    return CommandResult(text=render_text(roots), data=data)


def register(subparsers: Any) -> None:
    """Add ``ns`` and its subcommands to the top-level parser."""
    p = subparsers.add_parser("ns", help="the fake kernel's namespaces",
                              description="Look at the fake kernel's namespaces.")
    sub = p.add_subparsers(dest="ns_command", metavar="SUBCOMMAND")
    _add_tree(sub)
    p.set_defaults(func=lambda args: CommandResult(exit_code=EXIT_USAGE, text=p.format_help()))
