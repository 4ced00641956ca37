"""The write patterns of the kernel's own selftest (tools/testing/selftests/sysctl/sysctl.sh),
run with the real shell tools (echo, dd, perl, cat, diff) against the mount.

The lib/test_sysctl.c entries do not exist in a production kernel, so each pattern runs on
a real key with the same handler: fs.lease-break-time (proc_dointvec), kernel.printk
(proc_dointvec, 4 ints), kernel.oops_limit (proc_douintvec), kernel.domainname (a
65-byte string, like string_0001), net.ipv4.ip_local_reserved_ports (proc_do_large_bitmap).
"""

from __future__ import annotations

import random

import pytest

from tests.fuse.support import requires_fuse, requires_tool, sh

pytestmark = [requires_fuse, requires_tool("dd", "perl", "diff", "cat")]

INT = "/proc/sys/fs/lease-break-time"
INT_ARRAY = "/proc/sys/kernel/printk"
UINT = "/proc/sys/kernel/oops_limit"
STRING = "/proc/sys/kernel/domainname"
BITMAP = "/proc/sys/net/ipv4/ip_local_reserved_ports"


def run(mount, script: str) -> str:
    done = sh(mount, "set -u\n" + script)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sysctl_writes_strict_is_on_as_the_selftest_requires(mount):
    assert run(mount, "cat /proc/sys/kernel/sysctl_writes_strict") == "1\n"


@pytest.mark.parametrize("target", [INT, UINT])
def test_numeric_patterns(mount, target):
    out = run(
        mount,
        f"""
T={target}
orig=$(cat $T); test_str=$((orig + 1))
tmp=$(mktemp); echo "$test_str" > $tmp
echo "$test_str" > $T; echo "echo:$(cat $T)"
echo "$orig" > $T
echo "$test_str" | dd of=$T bs=4096 2>/dev/null; echo "whole:$(cat $T)"
echo "$orig" > $T
dd if=$tmp of=$T bs=1 seek=1 skip=1 2>/dev/null; echo "seek1:$(cat $T)"
dd if=$tmp of=$T bs=20 seek=2 2>/dev/null; echo "beyond:$(cat $T)"
(perl -e 'print "A" x 50;'; echo "$test_str") | dd of=$T bs=50 2>/dev/null; echo "long:$(cat $T)"
echo "orig:$orig new:$test_str"
rm -f $tmp
""",
    )
    lines = dict(line.split(":", 1) for line in out.split())
    orig, new = lines["orig"], lines["new"]
    assert lines["echo"] == new and lines["whole"] == new
    assert lines["seek1"] == orig and lines["beyond"] == orig
    assert lines["long"] != new


@pytest.mark.parametrize("target", [INT, UINT, INT_ARRAY])
def test_wide_integers_are_refused_and_leave_the_value(mount, target):
    out = run(
        mount,
        f"""
T={target}
before=$(cat $T)
for v in 0x0000000100000000 0x0000000100000001 0x00000001ffffffff 0x0000000180000000 \\
         0x000000017fffffff 0xffffffff00000000 0xffffffff00000001 0xffffffff7fffffff \\
         -0x0000000100000000 -0x0000000100000001 -0x00000001ffffffff -0xffffffff7fffffff; do
  if echo -n $v > $T 2>/dev/null; then echo "accepted $v"; fi
done
[ "$(cat $T)" = "$before" ] && echo unchanged
""",
    )
    assert out == "unchanged\n"


def test_int_limits(mount):
    out = run(
        mount,
        f"""
T={INT}
INT_MAX=$(getconf INT_MAX)
echo -n $INT_MAX > $T && echo "max ok"
echo -n $((INT_MAX + 1)) > $T 2>/dev/null || echo "max+1 refused"
echo -n -3 > $T && echo "neg ok $(cat $T)"
""",
    )
    assert out == "max ok\nmax+1 refused\nneg ok -3\n"


def test_uint_limits(mount):
    out = run(
        mount,
        f"""
T={UINT}
UINT_MAX=$(getconf UINT_MAX)
echo -n $UINT_MAX > $T && echo "max ok"
echo -n $((UINT_MAX + 1)) > $T 2>/dev/null || echo "max+1 refused"
echo -n -3 > $T 2>/dev/null || echo "neg refused"
""",
    )
    assert out == "max ok\nmax+1 refused\nneg refused\n"


@pytest.mark.parametrize("target", [INT, UINT])
def test_limit_digit_511_blanks_then_a_digit_fit_512_do_not(mount, target):
    out = run(
        mount,
        f"""
T={target}
(perl -e 'print " " x 511'; echo "3") | dd of=$T 2>/dev/null; echo "a:$(cat $T)"
(perl -e 'print " " x 512'; echo "4") | dd of=$T 2>/dev/null; echo "b:$(cat $T)"
""",
    )
    assert out == "a:3\nb:3\n"


def test_int_array_partial_writes_and_limits(mount):
    out = run(
        mount,
        f"""
T={INT_ARRAY}
echo -n "4 3 2 1" > $T; echo "a:$(cat $T)"
echo -n "100 101" > $T; echo "b:$(cat $T)"
(perl -e 'print " " x 511'; echo "9") | dd of=$T 2>/dev/null; echo "c:$(cat $T)"
(perl -e 'print " " x 512'; echo "7") | dd of=$T 2>/dev/null; echo "d:$(cat $T)"
""",
    )
    assert out.split("\n")[:4] == ["a:4\t3\t2\t1", "b:100\t101\t2\t1", "c:9\t101\t2\t1", "d:9\t101\t2\t1"]


def test_string_patterns(mount):
    out = run(
        mount,
        f"""
T={STRING}
tmp=$(mktemp); test_str="Testing sysctl"; echo -n "$test_str" > $tmp
echo -n "$test_str" | dd of=$T bs=1 2>/dev/null; echo "bytewise:$(cat $T)"
dd if=$tmp of=$T bs=1 seek=1 skip=1 2>/dev/null; echo "synced:$(cat $T)"
dd if=$tmp of=$T bs=1 seek=1 2>/dev/null; echo "unsynced:$(cat $T)"
(perl -e 'print "A" x 63;'; echo "B") | dd bs=65 of=$T 2>/dev/null; echo "fits:$(cat $T)"
(perl -e 'print "A" x 64;'; echo "B") | dd bs=64 of=$T 2>/dev/null; echo "bs64:$(cat $T)"
(perl -e 'print "A" x 64;'; echo "B") | dd of=$T 2>/dev/null; echo "one:$(cat $T)"
(perl -e 'print "A" x 64;'; echo "BB") | dd of=$T 2>/dev/null; echo "oneBB:$(cat $T)"
rm -f $tmp
""",
    )
    got = dict(line.split(":", 1) for line in out.strip().split("\n"))
    assert got["bytewise"] == "Testing sysctl"
    assert got["synced"] == "Testing sysctl"
    assert got["unsynced"] == "TTesting sysctl"
    assert got["fits"] == "A" * 63 + "B"
    assert got["bs64"] == got["one"] == got["oneBB"] == "A" * 64


def _bitmap_list(seed: int) -> str:
    rng = random.Random(seed)
    parts, bit = [], rng.randrange(0, 40)
    while True:
        length = rng.choice((0, 0, 1, 3, 17))
        if bit + length >= 65536:
            break
        parts.append(str(bit) if length == 0 else f"{bit}-{bit + length}")
        bit += length + rng.randrange(2, 30)
    return ",".join(parts)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bitmap_written_with_cat_reads_back_equal(mount, tmp_path, seed):
    text = _bitmap_list(seed)
    assert len(text) > 8192  # several 4095-byte kernel writes, merged at increasing offsets
    source = tmp_path / "bitmap.txt"
    source.write_text(text + "\n")
    out = run(
        mount,
        f"""
cat {source} > {BITMAP}
cat {BITMAP} > {tmp_path}/read.txt
diff -w -q {source} {tmp_path}/read.txt >/dev/null && echo same
""",
    )
    assert out == "same\n"
