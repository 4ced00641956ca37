"""``python -m fakeproc.backends.emulated [--profile P] -- CMD``: CMD with an emulated /proc/sys.

No mount, no namespaces, no root. One line and exit 2 when the backend is unusable here.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse and run; returns the exit status."""
    from fakeproc.backends.emulated import available, run_emulated
    from fakeproc.backends.seccomp.__main__ import command_main

    return command_main("python -m fakeproc.backends.emulated", argv, available,
                        lambda cmd, kernel: run_emulated(cmd, kernel=kernel))


if __name__ == "__main__":
    sys.exit(main())
