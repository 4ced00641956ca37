"""ipcns.py - the ipcns.c test without a C compiler.

The parent prints kernel.sem as its (host) IPC namespace sees it; a forked child
calls unshare(CLONE_NEWIPC) and prints it again. A new IPC namespace starts from
the compile-time defaults, not from the host's value.

Run as root, as root of a user namespace (``unshare -r python3 ipcns.py``), or
against fakeproc: ``fakeproc run -- python3 ipcns.py``.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

CLONE_NEWIPC = 0x08000000


def unshare_ipc() -> None:
    """unshare(CLONE_NEWIPC): os.unshare on Python 3.12+, libc otherwise."""
    if hasattr(os, "unshare"):
        os.unshare(os.CLONE_NEWIPC)  # type: ignore[attr-defined, unused-ignore]
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWIPC) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), "unshare(CLONE_NEWIPC)")


def show_sem(where: str) -> int:
    """Print a heading, then let cat(1) read the file, as the C program's system() does."""
    print(where, flush=True)
    status = subprocess.call(["cat", "/proc/sys/kernel/sem"])
    print("\n", flush=True)
    return status


def main() -> int:
    if show_sem("at parent - host ipc ns") != 0:
        return 1
    pid = os.fork()
    if pid == 0:
        try:
            unshare_ipc()
            code = show_sem("at child - new ipc ns")
        except OSError as e:
            print(f"unshare(CLONE_NEWIPC): {e.strerror}", file=sys.stderr, flush=True)
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
