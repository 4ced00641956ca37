"""What the next mount sweeps from the runtime directory: mountpoints of dead processes, and
exit status files of dead servers that no ``fakeproc umount`` read within ``STATUS_KEEP``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from fakeproc.sandbox._runtime import STATUS_KEEP, reclaim_leftovers


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_dead_servers_old_status_file_goes_and_every_other_file_stays(tmp_path: Path):
    dead, me = _dead_pid(), os.getpid()
    old = time.time() - STATUS_KEEP - 5
    names = {
        f"server-{dead}.json": old,          # dead and old: removed
        f"server-{dead}0.json": time.time(),  # (another pid) dead but fresh: umount may still read it
        f"server-{me}.json": old,             # alive: kept
        "server-notes.json": old,             # not a status file
        "notes.txt": old,
    }
    for name, mtime in names.items():
        (tmp_path / name).write_text("{}")
        os.utime(tmp_path / name, (mtime, mtime))
    (tmp_path / f"mnt-{dead}-abc").mkdir()
    (tmp_path / f"mnt-{me}-abc").mkdir()
    assert reclaim_leftovers(str(tmp_path)) == 1  # the dead process's mountpoint
    assert sorted(os.listdir(tmp_path)) == sorted(
        [f"server-{dead}0.json", f"server-{me}.json", "server-notes.json", "notes.txt", f"mnt-{me}-abc"]
    )
