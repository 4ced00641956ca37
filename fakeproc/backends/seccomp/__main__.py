"""``python -m fakeproc.backends.seccomp [--profile P] -- CMD``: CMD with a fake /proc/sys.

Mounts a fresh kernel (``fakeproc.mounted()``, setuid ``fusermount`` for normal users) and runs
CMD under the seccomp backend, as ``fakeproc run --backend seccomp`` does. One line and exit 2
when the backend or FUSE is unusable.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["command_main", "main"]

BUSY_POLL_ENV = "FAKEPROC_FUSE_BUSY_POLL_US"


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
    from fakeproc.backends.seccomp import launch

    def run(cmd: list[str], kernel: Any) -> int:
        import fakeproc
        from fakeproc.backends import LaunchRequest

        held = []

        def start_mount(busy_poll_us: float = 0.0, latency_hold_ms: float | None = None) -> Any:
            # mounted() takes neither: the busy-poll goes through the environment, and with it the
            # server's default CPU latency hold (FuseServer).
            held.append(fakeproc.mounted(kernel))  # kept: its end would unmount
            saved = os.environ.get(BUSY_POLL_ENV)
            os.environ[BUSY_POLL_ENV] = str(busy_poll_us)  # mounted() has no such argument
            try:
                return held[-1].__enter__()  # the launcher closes the handle
            finally:
                if saved is None:
                    del os.environ[BUSY_POLL_ENV]
                else:
                    os.environ[BUSY_POLL_ENV] = saved

        return launch(LaunchRequest(argv=cmd, kernel=kernel, base=None, identity="root", start_mount=start_mount))

    return command_main("python -m fakeproc.backends.seccomp", argv, available_here, run)


def available_here() -> str | None:
    """:func:`fakeproc.backends.seccomp.available`."""
    from fakeproc.backends.seccomp import available

    return available()


if __name__ == "__main__":
    sys.exit(main())
