"""``python -m fakeproc.backends.emulated [--profile P] -- CMD``: CMD with an emulated /proc/sys.

No mount, no namespaces, no root. One line and exit 2 when the backend is unusable here.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse and run; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m fakeproc.backends.emulated")
    parser.add_argument("--profile", default="6.18")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given")
    import fakeproc
    from fakeproc.backends.emulated import available, run_emulated
    from fakeproc.errors import FakeprocError

    why = available()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    try:
        return run_emulated(cmd, kernel=fakeproc.Kernel(args.profile))
    except FakeprocError as e:
        print(str(e) if str(e).startswith("fakeproc:") else f"fakeproc: {e}", file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main())
