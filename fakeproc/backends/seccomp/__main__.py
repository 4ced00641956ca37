"""``python -m fakeproc.backends.seccomp [--profile P] -- CMD``: CMD with a fake /proc/sys.

Mounts a fresh kernel (``fakeproc.mounted()``, setuid ``fusermount`` for normal users) and runs
CMD under the seccomp backend. One line and exit 2 when the backend or FUSE is unusable.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse, mount, run; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m fakeproc.backends.seccomp")
    parser.add_argument("--profile", default="6.18")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given")
    import fakeproc
    from fakeproc.backends.seccomp import available, run_redirected
    from fakeproc.errors import FakeprocError

    why = available()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    try:
        kernel = fakeproc.Kernel(args.profile)
        with fakeproc.mounted(kernel) as m:
            return run_redirected(cmd, mountpoint=m.path, uname=lambda: {
                "nodename": kernel.read("kernel.hostname").rstrip("\n"),
                "domainname": kernel.read("kernel.domainname").rstrip("\n")})
    except FakeprocError as e:
        print(f"fakeproc: {e}" if not str(e).startswith("fakeproc:") else str(e), file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main())
