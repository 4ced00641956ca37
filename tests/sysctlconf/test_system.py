"""--system: directory precedence, shadowing and order."""

from __future__ import annotations

import os

from fakeproc.sysctlconf import system_files, system_order


def test_basename_order_across_directories_and_shadowing():
    files = system_order({
        "/etc/sysctl.d": ["99-local.conf", "10-a.conf"],
        "/run/sysctl.d": ["10-a.conf", "50-run.conf"],
        "/usr/lib/sysctl.d": ["50-default.conf", "99-local.conf", "README"],
    })
    assert [f.path for f in files] == ["/etc/sysctl.d/10-a.conf", "/usr/lib/sysctl.d/50-default.conf",
                                       "/run/sysctl.d/50-run.conf", "/etc/sysctl.d/99-local.conf"]
    assert files[0].shadows == ("/run/sysctl.d/10-a.conf",)
    assert files[3].shadows == ("/usr/lib/sysctl.d/99-local.conf",)


def test_byte_order_not_natural_order():
    names = [f.name for f in system_order({"/etc/sysctl.d": ["9-b.conf", "10-a.conf", "Z.conf", "a.conf"]})]
    assert names == ["10-a.conf", "9-b.conf", "Z.conf", "a.conf"]


def test_hidden_files_procps_reads_them_systemd_does_not():
    listing = {"/etc/sysctl.d": [".hidden.conf", ".conf"]}
    assert [f.name for f in system_order(listing, "procps")] == [".conf", ".hidden.conf"]
    assert system_order(listing, "systemd") == []


def test_procps_appends_etc_sysctl_conf_systemd_never():
    assert system_order({}, "procps", etc_sysctl_conf=True)[-1].path == "/etc/sysctl.conf"
    assert system_order({}, "systemd", etc_sysctl_conf=True) == []


def test_system_files_on_disk_under_a_root(tmp_path):
    for d, name in [("etc/sysctl.d", "a.conf"), ("usr/lib/sysctl.d", "a.conf"), ("usr/lib/sysctl.d", "b.conf"),
                    ("lib/sysctl.d", "c.conf")]:
        os.makedirs(tmp_path / d, exist_ok=True)
        (tmp_path / d / name).write_text("x = 1\n")
    (tmp_path / "etc" / "sysctl.conf").write_text("")
    procps = [f.path for f in system_files(dialect="procps", root=tmp_path)]
    systemd = [f.path for f in system_files(dialect="systemd", root=tmp_path)]
    assert procps == ["/etc/sysctl.d/a.conf", "/usr/lib/sysctl.d/b.conf", "/lib/sysctl.d/c.conf", "/etc/sysctl.conf"]
    assert systemd == ["/etc/sysctl.d/a.conf", "/usr/lib/sysctl.d/b.conf"]
