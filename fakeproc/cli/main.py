"""``fakeproc``: argument parsing and the one place that prints and maps errors to exit codes.

Each group of subcommands lives in its own parser module (``_kernel_cmds``,
``_mount_cmds``, ``_pod_cmds``, ``_demo_cmds``) with ``_add_<cmd>`` /
``_cmd_<cmd>`` pairs and a ``register(subparsers)`` function. A ``_cmd_*``
function only unpacks arguments and calls the library; it returns a
:class:`~fakeproc.cli.result.CommandResult` (or an int exit code for commands
that hand the terminal to a child process, such as ``run``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from fakeproc import __version__
from fakeproc.cli.result import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CommandResult
from fakeproc.errors import FakeprocError

__all__ = ["main", "main_parser"]

_GROUPS = ("_kernel_cmds", "_mount_cmds", "_pod_cmds", "_demo_cmds", "_ns_cmds", "_diff_cmds")

_EPILOG = """\
exit status (every command):
  0    done
  1    the operation ran and was refused or failed (a refused write, a pod that did not start,
       a state file that cannot be loaded or saved)
  2    usage or environment: a bad option or argument, an unknown profile, key, pod or file,
       or a missing host facility (FUSE, user namespaces, root); one line on stderr says which
  127  run: the command to run was not found
  130  interrupted
  `run` exits with its command's own status.

--json and -v/--verbose are accepted before or after the command.

environment:
  FAKEPROC_STATE                the state file of pod, ns, reboot and demo
                                (default ~/.local/state/fakeproc/state.json)
  FAKEPROC_LIBFUSE              2 or 3 (or a libfuse library's path or name): the libfuse to
                                serve with (default the newest installed)
  FAKEPROC_ATTR_TIMEOUT         seconds the kernel may cache the mount's lookups and attributes
                                (default 1; 0 is exact across namespaces, and slower)
  FAKEPROC_FUSE_BUSY_POLL_US    how long run's and mount's server keeps reading after a request
                                before it sleeps (default 50 µs; 200 for run --backend seccomp
                                while a CPU is free; 0 turns it off)
  FAKEPROC_CPU_LATENCY_HOLD_MS  as root: how long run's and mount's server keeps idle CPUs from
                                halting after a request (default 50 ms; 0 turns it off)
A malformed number is a usage error (exit status 2).
"""


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--json`` and ``-v``: on the top parser with defaults, on every subparser without any,
    so that a value given after the command wins and one given before it is kept. A subcommand
    that defines one of them itself keeps its own."""
    default: dict[str, object] = {} if top else {"default": argparse.SUPPRESS}
    taken = {s for action in parser._actions for s in action.option_strings}
    if not top:
        for action in parser._actions:  # a subcommand's own -v must not reset a -v given before it
            if {"--json", "-v", "--verbose"} & set(action.option_strings):
                action.default = argparse.SUPPRESS
    if "--json" not in taken:
        parser.add_argument("--json", action="store_true", help="print results as JSON", **default)  # type: ignore[arg-type]
    if not {"-v", "--verbose"} & taken:
        parser.add_argument("-v", "--verbose", action="store_true", help="say more about what is done",
                            **default)  # type: ignore[arg-type]


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every subparser below ``parser``, at any depth (``pod apply`` included)."""
    found = []
    for action in parser._actions:  # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += [child, *_subparsers(child)]
    return found


def main_parser() -> argparse.ArgumentParser:
    """The full parser, with every subcommand group that is installed."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="fakeproc",
        description="A pure-Python emulation of the Linux /proc/sys tree (sysctls): "
        "kernel-exact semantics, namespaces, a FUSE mount and Kubernetes pod sysctls.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser, top=True)
    parser.add_argument("--version", action="version", version=f"fakeproc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in _GROUPS:
        try:
            module = importlib.import_module(f"fakeproc.cli.{group}")
        except ModuleNotFoundError as e:
            if e.name == f"fakeproc.cli.{group}":
                continue
            raise
        module.register(sub)
    for child in _subparsers(parser):
        _add_global_options(child, top=False)
    return parser


def _emit(result: CommandResult, as_json: bool) -> int:
    if as_json and result.data is not None:
        print(json.dumps(result.data, indent=2, sort_keys=True))
    elif result.text:
        print(result.text, end="" if result.text.endswith("\n") else "\n")
    for line in result.errors:
        print(f"fakeproc: {line}", file=sys.stderr)
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (also used as the console script)."""
    parser = main_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        outcome = args.func(args)
    except FakeprocError as e:
        print(f"fakeproc: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"fakeproc: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("fakeproc: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(outcome, int):
        return outcome
    try:
        return _emit(outcome, args.json)
    except BrokenPipeError:  # `fakeproc ... | head`: the reader left; say nothing more
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
