"""Subcommands about the kernel model itself: ``explain`` and ``capture``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fakeproc.cli.result import CommandResult

__all__ = ["register"]


def _add_explain(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="describe a sysctl: namespace, handler, bounds, defaults per profile, mode",
        description="Describe one sysctl as fakeproc models it.",
    )
    p.add_argument("key", help="dotted key (kernel.sem) or path (/proc/sys/kernel/sem)")
    p.add_argument("--kernel", metavar="PROFILE", help="profile name or file (default: 6.18)")
    p.add_argument("--machine", metavar="SPEC",
                   help="defaults on this machine: mem=SIZE (MemTotal, e.g. 8G) and/or cpus=N "
                   "(default: each profile's reference machine)")
    p.set_defaults(func=_cmd_explain)


def _cmd_explain(args: argparse.Namespace) -> CommandResult:
    from fakeproc.explain import explain

    result = explain(key=args.key, profile=args.kernel, machine=args.machine)
    return CommandResult(text=result.text(), data=result.data())


def _add_capture(sub: Any) -> None:
    p = sub.add_parser(
        "capture",
        help="record this machine's /proc/sys (read-only) as a profile file",
        description="Read this machine's /proc/sys (never writing it) into a profile usable with --kernel FILE. "
        "As root, also read the values a fresh ipc/net/uts/user namespace gets, inside throwaway namespaces.",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="where to write the profile (default: stdout)")
    p.add_argument("--name", help="profile name (default: the running kernel's release)")
    p.add_argument("--no-namespaces", action="store_true", help="skip reading fresh-namespace values")
    p.add_argument("--probe", action="store_true",
                   help="root only: also measure each per-namespace integer entry's accepted range by writing "
                   "to it inside throwaway namespaces (never the host's; never a global-backed entry)")
    p.add_argument("--compare", metavar="PROFILE",
                   help="instead of writing a profile, print how PROFILE (a name such as 6.8 or ubuntu-24.04, "
                   "or a profile file) differs from this machine, as `fakeproc diff PROFILE HOST` does")
    p.set_defaults(func=_cmd_capture)


def _cmd_capture(args: argparse.Namespace) -> CommandResult:
    from fakeproc.profiles.capture import capture

    if args.compare:
        from fakeproc.profiles.capture import capture_host
        from fakeproc.profiles.diff import diff_profiles
        from fakeproc.profiles.loader import load_profile, profile_from_dict

        reference = load_profile(args.compare)  # an unknown profile fails before the host is read
        host = capture_host(name=args.name or "this host", fresh_namespaces=not args.no_namespaces, probe=args.probe)
        result_diff = diff_profiles(reference, profile_from_dict(host, "this host"))
        return CommandResult(text=result_diff.text(), data=result_diff.data())
    result = capture(output=args.output, name=args.name, fresh_namespaces=not args.no_namespaces, probe=args.probe)
    summary = {
        "path": result.path,
        "name": result.profile.get("name"),
        "entries": result.entries,
        "unreadable": list(result.unreadable),
        "fresh_namespaces": result.fresh_namespaces,
        "probed": args.probe,
    }
    if result.path is None:
        return CommandResult(text=json.dumps(result.profile, indent=1, sort_keys=True), data=result.profile)
    fresh = "with" if result.fresh_namespaces else "without"
    text = (
        f"captured {result.entries} entries ({len(result.unreadable)} unreadable) {fresh} fresh-namespace values"
        f"{', bounds probed' if args.probe else ''}\n"
        f"wrote {result.path}; use it with --kernel {result.path}\n"
    )
    return CommandResult(text=text, data=summary)


def register(sub: Any) -> None:
    """Add this group's subcommands."""
    _add_explain(sub)
    _add_capture(sub)
