"""Scan kernel source trees for ``ctl_table`` entries and compare two versions.

A helper for writing version difference tables (``versions/*.yaml``); it does
not feed the generator. It reads every ``{ .procname = "...", ... }`` initialiser
in the C files under the sysctl-bearing directories and prints, per file, the
procnames added and removed and the fields (mode, handler, extra1/2, maxlen)
that changed::

    python scripts/profilegen/ctlscan.py OLD_TREE NEW_TREE > diff.txt
    python scripts/profilegen/ctlscan.py --list TREE         # every entry found

Entries built by macros with stringified names (``net/core/neighbour.c``) are
not seen; compare those files by hand. The scan is textual: ``#ifdef`` guards
are not evaluated, so a procname found here still needs its config checked.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

DIRS = ("kernel", "mm", "fs", "net", "ipc", "security", "io_uring", "drivers/char", "drivers/tty",
        "drivers/base", "arch/x86", "lib", "init", "block", "crypto")
_ENTRY = re.compile(r"\{[^{}]*?\.procname\s*=\s*\"([^\"]+)\"[^{}]*?\}", re.DOTALL)
_FIELD = re.compile(r"\.(mode|proc_handler|extra1|extra2|maxlen|data)\s*=\s*([^,\n}]+)")

Entry = dict[str, str]


def scan(tree: Path) -> dict[tuple[str, str], Entry]:
    """``(file, procname) -> fields`` for every ctl_table initialiser in ``tree``."""
    out: dict[tuple[str, str], Entry] = {}
    for top in DIRS:
        base = tree / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.[ch]")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if ".procname" not in text:
                continue
            rel = str(path.relative_to(tree))
            for m in _ENTRY.finditer(text):
                fields = {f: " ".join(v.split()) for f, v in _FIELD.findall(m.group(0))}
                key = (rel, m.group(1))
                if key in out and out[key] != fields:
                    fields = {**fields, "dup": "yes"}
                out[key] = fields
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", action="store_true", help="list the entries of one tree")
    ap.add_argument("trees", nargs="+", type=Path)
    args = ap.parse_args(argv)
    if args.list:
        for (f, p), e in sorted(scan(args.trees[0]).items()):
            print(f"{f}\t{p}\t{e}")
        return 0
    old, new = scan(args.trees[0]), scan(args.trees[1])
    old_names = {p for _, p in old}
    new_names = {p for _, p in new}
    for key in sorted(set(old) | set(new)):
        f, p = key
        if key not in new:
            moved = "" if p not in new_names else " (name still elsewhere)"
            print(f"- {f}\t{p}\t{old[key]}{moved}")
        elif key not in old:
            moved = "" if p not in old_names else " (name existed elsewhere)"
            print(f"+ {f}\t{p}\t{new[key]}{moved}")
        elif old[key] != new[key]:
            changed = {k: (old[key].get(k), new[key].get(k)) for k in set(old[key]) | set(new[key])
                       if old[key].get(k) != new[key].get(k) and k != "data"}
            if changed:
                print(f"~ {f}\t{p}\t{changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
