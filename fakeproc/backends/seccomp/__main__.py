"""``python -m fakeproc.backends.seccomp [--profile P] -- CMD``: CMD with a fake /proc/sys.

Mounts a fresh kernel (``fakeproc.mounted()``, setuid ``fusermount`` for normal users) and runs
CMD under the seccomp backend. One line and exit 2 when the backend or FUSE is unusable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["command_main", "main"]


def command_main(prog: str, argv: list[str] | None, available: Callable[[], str | None],
                 run: Callable[[list[str], Any], int]) -> int:
    """The shared ``python -m fakeproc.backends.*`` front: parse ``[--profile P] -- CMD``, check
    ``available()``, then ``run(cmd, kernel)``; one ``fakeproc: ...`` line and exit 2 on failure."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--profile", default="6.18")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given")
    import fakeproc
    from fakeproc.errors import FakeprocError

    why = available()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    try:
        return run(cmd, fakeproc.Kernel(args.profile))
    except FakeprocError as e:
        print(f"fakeproc: {e}" if not str(e).startswith("fakeproc:") else str(e), file=sys.stderr)
        return e.exit_code


def main(argv: list[str] | None = None) -> int:
    """Parse, mount, run; returns the exit status."""
    import fakeproc
    from fakeproc.backends.seccomp import available, run_redirected, uname_of, uts_target_of

    def run(cmd: list[str], kernel: Any) -> int:
        with fakeproc.mounted(kernel) as m:
            resolver = m.session.resolver
            return run_redirected(cmd, mountpoint=m.path, uname=uname_of(kernel, kernel.init_ns),
                                  uts=uts_target_of(kernel.init_ns, kernel=kernel),
                                  acting_for=resolver.acting_for if resolver is not None else None)

    return command_main("python -m fakeproc.backends.seccomp", argv, available, run)


if __name__ == "__main__":
    sys.exit(main())
