"""Unmodified tools inside the sandbox: procps sysctl, busybox sysctl, systemd-sysctl, cat, echo, dd."""

from __future__ import annotations

import os

import pytest

from tests.fuse.support import requires_fuse, requires_tool, sh

pytestmark = requires_fuse

SYSTEMD_SYSCTL = "/lib/systemd/systemd-sysctl"


def _expected_sysctl_a(kernel) -> set[str]:
    """Keys procps `sysctl -a` prints: readable by root (S_IRUSR) and readable without error,
    minus the deprecated neigh entries it hides without --deprecated."""
    keys = set()
    for key in kernel.keys():  # noqa: SIM118 - Kernel.keys() is a method, not a dict view
        if key.rsplit(".", 1)[-1] in ("base_reachable_time", "retrans_time"):
            continue
        st = kernel.stat(key.replace(".", "/").replace("//", "/"))
        if not st.mode & 0o400:
            continue
        try:
            if kernel.read(key) == "":  # e.g. vm.stat_refresh: nothing to print
                continue
        except OSError:
            continue
        keys.add(key)
    return keys


@requires_tool("sysctl")
def test_procps_sysctl_a_lists_every_readable_key_once(mount):
    done = sh(mount, "sysctl -a")
    printed = [line.split(" = ", 1)[0] for line in done.stdout.splitlines()]
    assert done.stderr == ""
    expected = _expected_sysctl_a(mount.kernel)
    assert set(printed) == expected
    assert len(printed) >= len(expected)  # multi-line values repeat their key
    # stable_secret reads fail with EIO: skipped silently, exit status 0 (as on the real 6.18 host).
    assert done.returncode == 0


@requires_tool("sysctl")
def test_procps_sysctl_read_write_names_values_quiet_and_ignore(mount):
    out = sh(
        mount,
        """
sysctl kernel.sem
sysctl -n kernel.sem
sysctl -N kernel.sem
sysctl -w kernel.sem="33000 1024000000 500 32000"
sysctl -q -w vm.swappiness=10; echo "quiet rc=$?"
sysctl -n vm.swappiness
sysctl -e no.such.key; echo "ignore rc=$?"
sysctl no.such.key; echo "missing rc=$?"
sysctl -w vm.swappiness=abc; echo "einval rc=$?"
sysctl -w kernel.sem="1 2 3 99999999"; echo "erange rc=$?"
sysctl -n kernel.sem
""",
    )
    assert out.stdout.splitlines() == [
        "kernel.sem = 32000\t1024000000\t500\t32000",
        "32000\t1024000000\t500\t32000",
        "kernel.sem",
        "kernel.sem = 33000 1024000000 500 32000",
        "quiet rc=0",
        "10",
        "ignore rc=0",
        "missing rc=1",
        "einval rc=1",
        "erange rc=1",
        # proc_ipc_sem_dointvec stores the vector, then puts back only semmni on ERANGE.
        "1\t2\t3\t32000",
    ]
    errors = out.stderr.splitlines()
    assert errors == [
        "sysctl: cannot stat /proc/sys/no/such/key: No such file or directory",
        'sysctl: setting key "vm.swappiness": Invalid argument',
        'sysctl: setting key "kernel.sem": Numerical result out of range',
    ]


@requires_tool("sysctl")
def test_procps_sysctl_p_applies_a_file_and_system_runs(mount, tmp_path):
    conf = tmp_path / "test.conf"
    conf.write_text(
        "# comment\n; other comment\nkernel.domainname = fake.example\nvm.swappiness=33\n"
        "-no.such.key = 1\nkernel.sem = 250 32000 32 128\n"
    )
    out = sh(mount, f"sysctl -p {conf}; echo rc=$?; sysctl -n kernel.domainname vm.swappiness kernel.sem")
    assert out.stdout.splitlines() == [
        "kernel.domainname = fake.example",
        "vm.swappiness = 33",
        "kernel.sem = 250 32000 32 128",
        "rc=1",  # a "-" prefix does not silence the stat error of a missing key (procps 4.0.2)
        "fake.example",
        "33",
        "250\t32000\t32\t128",
    ]
    system = sh(mount, "sysctl --system >/dev/null; echo rc=$?")
    assert system.stdout.strip() in ("rc=0", "rc=1")  # host config files; unknown keys may fail
    assert mount.kernel.read("kernel.domainname") == "fake.example\n"


@requires_tool("sysctl")
def test_procps_sysctl_refuses_a_read_only_key_without_writing(mount):
    out = sh(mount, "sysctl -w kernel.ostype=foo; cat /proc/sys/kernel/ostype")
    assert out.stdout.endswith("Linux\n")
    assert 'setting key "kernel.ostype"' in out.stderr
    assert not [r for r in mount.kernel.write_log if r.key == "kernel.ostype"]


@requires_tool("busybox")
def test_busybox_sysctl(mount):
    out = sh(
        mount,
        """
busybox sysctl kernel.sem
busybox sysctl -w kernel.domainname=bb.example
busybox sysctl -n kernel.domainname
busybox sysctl -w no.such.key=1; echo "missing rc=$?"
busybox sysctl -w vm.swappiness=abc; echo "einval rc=$?"
busybox sysctl -a 2>/dev/null | grep -c . >/dev/null; echo "all rc=$?"
ls /proc/sys/no 2>/dev/null; echo "created? rc=$?"
""",
    )
    lines = out.stdout.splitlines()
    assert lines[0] == "kernel.sem = 32000\t1024000000\t500\t32000"
    assert lines[1] == "kernel.domainname = bb.example"
    assert lines[2] == "bb.example"
    assert "missing rc=1" in lines and "einval rc=1" in lines and "all rc=0" in lines
    assert lines[-1] == "created? rc=2"  # O_CREAT on a missing key creates nothing
    assert "'no/such/key' is an unknown key" in out.stderr and "Invalid argument" in out.stderr


@pytest.mark.skipif(
    not os.path.exists(SYSTEMD_SYSCTL), reason="systemd-sysctl is not installed (apt-get install systemd)"
)
def test_systemd_sysctl_applies_a_config_file(mount, tmp_path):
    conf = tmp_path / "50-test.conf"
    conf.write_text(
        "kernel.domainname = sd.example\nvm.swappiness = 44\n-no.such.key = 1\nkernel.ostype = nope\n"
    )
    out = sh(
        mount, f"{SYSTEMD_SYSCTL} {conf}; echo rc=$?; cat /proc/sys/kernel/domainname /proc/sys/vm/swappiness"
    )
    assert out.stdout.splitlines()[-2:] == ["sd.example", "44"]
    assert mount.kernel.read("kernel.ostype") == "Linux\n"


@requires_tool("dd")
def test_cat_echo_printf_and_dd(mount):
    out = sh(
        mount,
        """
echo 1234 > /proc/sys/kernel/domainname; cat /proc/sys/kernel/domainname
printf 'abc' > /proc/sys/kernel/domainname; cat /proc/sys/kernel/domainname
echo 7 | dd of=/proc/sys/vm/swappiness 2>/dev/null; cat /proc/sys/vm/swappiness
dd if=/proc/sys/kernel/ostype bs=1 skip=2 2>/dev/null
cat /proc/sys/kernel/domainname > /proc/sys/kernel/hostname; cat /proc/sys/kernel/hostname
echo 1 > /proc/sys/kernel/ostype; echo "rc=$?"
""",
    )
    assert out.stdout.splitlines() == ["1234", "abc", "7", "nux", "abc", "rc=2"]
    assert "Permission denied" in out.stderr
