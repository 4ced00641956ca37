"""Callers are attributed to their real namespaces; each new real namespace gets a model one."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest

from fakeproc.serve import NS_TYPES, NamespaceResolver
from fakeproc.spec import NamespaceType
from tests.fuse.support import requires_fuse, requires_root, requires_tool, sh

DEFAULT_SEM = "32000\t1024000000\t500\t32000"


# ---------------------------------------------------------------------- resolver, no FUSE needed


def test_own_process_maps_to_the_base_set(kernel):
    resolver = NamespaceResolver(kernel)
    assert resolver.resolve(os.getpid()) is kernel.init_ns


def test_pid_zero_gets_the_initial_namespaces_and_one_log_line(kernel, caplog):
    resolver = NamespaceResolver(kernel)
    with caplog.at_level(logging.WARNING, logger="fakeproc.serve"):
        assert resolver.resolve(0) is kernel.init_ns
    assert len([r for r in caplog.records if "cannot be attributed" in r.getMessage()]) == 1


def test_unreadable_ns_links_get_the_initial_namespaces(kernel, caplog, monkeypatch):
    import fakeproc.serve._resolver as mod

    def denied(pid):
        raise PermissionError(13, "Permission denied")

    resolver = NamespaceResolver(kernel)
    monkeypatch.setattr(mod, "ns_inodes", denied)
    with caplog.at_level(logging.WARNING, logger="fakeproc.serve"):
        assert resolver.resolve(12345) is kernel.init_ns
    assert any("Permission denied" in r.getMessage() for r in caplog.records)


def test_a_labelled_base_set_is_what_own_namespaces_map_to(kernel):
    pod = kernel.unshare(kernel.init_ns, ipc=True, net=True, uts=True, label="pod/x")
    resolver = NamespaceResolver(kernel, kernel.namespace_by_label("pod/x"))
    assert resolver.resolve(os.getpid()) == pod


@requires_root
@requires_tool("unshare")
def test_a_new_real_ipc_namespace_maps_to_a_new_model_one_with_compile_defaults(kernel):
    kernel.write("kernel.sem", "1 2 3 4")
    resolver = NamespaceResolver(kernel)
    child = subprocess.Popen(["unshare", "--ipc", "sleep", "30"])
    try:
        _wait_unshared(child.pid)
        nsset = resolver.resolve(child.pid)
        assert nsset.ipc is not kernel.init_ns.ipc and nsset.net is kernel.init_ns.net
        assert kernel.read("kernel.sem", ns=nsset) == DEFAULT_SEM + "\n"
        assert resolver.resolve(child.pid) is nsset
    finally:
        child.kill()
        child.wait()
    assert resolver.maybe_sweep(force=True) == 1
    assert kernel.namespaces(NamespaceType.IPC) == [kernel.init_ns.ipc]


@requires_root
@requires_tool("unshare")
def test_a_thread_acting_for_a_caller_is_attributed_as_that_caller(kernel):
    resolver = NamespaceResolver(kernel)
    me = threading.get_native_id()
    child = subprocess.Popen(["unshare", "--ipc", "sleep", "30"])
    try:
        _wait_unshared(child.pid)
        with resolver.acting_for(child.pid):
            nsset = resolver.resolve(me)
            assert nsset.ipc is not kernel.init_ns.ipc
            assert resolver.resolve_for(me, (NS_TYPES.index("ipc"),)) is nsset
        assert resolver.resolve(me) is kernel.init_ns
        assert resolver.proxies == {}
    finally:
        child.kill()
        child.wait()


def _wait_unshared(pid: int) -> None:
    import time

    own = os.stat("/proc/self/ns/ipc").st_ino
    for _ in range(200):
        try:
            if (
                os.readlink(f"/proc/{pid}/exe").endswith("sleep")
                and os.stat(f"/proc/{pid}/ns/ipc").st_ino != own
            ):
                return
        except OSError:
            pass
        time.sleep(0.01)


# ---------------------------------------------------------------------- through the mount


@requires_fuse
@requires_root
@requires_tool("unshare", "sysctl")
def test_kernel_sem_is_split_between_the_host_and_unshare_ipc(mount):
    out = sh(
        mount,
        """
sysctl -q -w kernel.sem="33000 1024000000 500 32000"
unshare --ipc cat /proc/sys/kernel/sem
cat /proc/sys/kernel/sem
unshare --ipc sh -c 'echo 1 2 3 4 > /proc/sys/kernel/sem; cat /proc/sys/kernel/sem'
cat /proc/sys/kernel/sem
""",
    ).stdout
    assert out.split("\n")[:4] == [
        DEFAULT_SEM,
        "33000\t1024000000\t500\t32000",
        "1\t2\t3\t4",
        "33000\t1024000000\t500\t32000",
    ]


@requires_fuse
@requires_root
@requires_tool("unshare")
def test_a_reused_namespace_inode_does_not_inherit_a_dead_namespace_values(mount):
    out = sh(
        mount,
        """
for i in 1 2 3; do
  unshare --ipc sh -c 'cat /proc/sys/kernel/sem; echo $i $i $i $i > /proc/sys/kernel/sem; /bin/cat /proc/sys/kernel/sem' i=$i
done
""",
    ).stdout.split("\n")
    # Every fresh namespace starts from the compile-time default, whatever inode number it got.
    assert out[0::2][:3] == [DEFAULT_SEM] * 3


@requires_fuse
@requires_root
@requires_tool("unshare")
def test_a_namespace_outlives_its_first_writer(mount):
    out = sh(
        mount,
        """
unshare --ipc sh -c '/bin/sh -c "echo 5 6 7 8 > /proc/sys/kernel/sem"; sleep 0.1; cat /proc/sys/kernel/sem'
""",
    ).stdout
    assert out == "5\t6\t7\t8\n"


@requires_fuse
@requires_root
@requires_tool("unshare", "ls")
def test_unshare_net_sees_a_fresh_net_namespace_with_lo_only(mount):
    out = sh(
        mount,
        """
echo 1 > /proc/sys/net/ipv4/ip_forward
echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
ls /proc/sys/net/ipv4/conf | tr '\\n' ' '; echo
unshare --net sh -c 'ls /proc/sys/net/ipv4/conf | tr "\\n" " "; echo
                     cat /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/ip_forward'
cat /proc/sys/net/ipv6/conf/all/forwarding
""",
    ).stdout.split("\n")
    assert "lo" in out[0].split() and len(out[0].split()) > 3
    assert out[1].split() == ["all", "default", "lo"]
    # devconf_inherit_init_net=0: IPv6 conf/all resets to the default, IPv4 inherits init_net's.
    assert out[2:5] == ["0", "1", "1"]


@requires_fuse
@requires_root
@requires_tool("unshare")
def test_unshare_uts_copies_the_parent_hostname_and_keeps_its_own(mount):
    out = sh(
        mount,
        """
echo outer > /proc/sys/kernel/hostname
unshare --uts sh -c 'cat /proc/sys/kernel/hostname; echo inner > /proc/sys/kernel/hostname;
                     unshare --uts cat /proc/sys/kernel/hostname; cat /proc/sys/kernel/hostname'
cat /proc/sys/kernel/hostname
""",
    ).stdout
    assert out.split("\n")[:4] == ["outer", "inner", "inner", "outer"]


@requires_fuse
@requires_root
@requires_tool("unshare")
def test_unshare_user_sees_its_own_user_limits(mount):
    out = sh(
        mount,
        """
cat /proc/sys/user/max_user_namespaces
unshare --user cat /proc/sys/user/max_user_namespaces
""",
    ).stdout.split("\n")
    assert out[1] == "2147483647" and out[0] != out[1]


C_PROGRAM = textwrap.dedent(r"""
    #define _GNU_SOURCE
    #include <fcntl.h>
    #include <pthread.h>
    #include <sched.h>
    #include <signal.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/wait.h>
    #include <unistd.h>

    static void show(const char *who) {
        char buf[256]; int fd = open("/proc/sys/kernel/sem", O_RDONLY);
        ssize_t n = read(fd, buf, sizeof buf - 1); close(fd);
        buf[n > 0 ? n : 0] = 0; buf[strcspn(buf, "\n")] = 0;
        for (char *p = buf; *p; p++) if (*p == '\t') *p = ' ';
        printf("%s %s\n", who, buf); fflush(stdout);
    }
    static int child(void *arg) {
        show("child-before");
        int fd = open("/proc/sys/kernel/sem", O_WRONLY);
        if (write(fd, "111 222 333 444\n", 16) != 16) perror("write");
        close(fd);
        show("child-after");
        return 0;
    }
    static void *thread(void *arg) {
        if (unshare(CLONE_NEWIPC)) perror("unshare");
        show("thread");
        return NULL;
    }
    int main(void) {
        static char stack[1 << 16];
        show("parent-before");
        pid_t pid = clone(child, stack + sizeof stack, CLONE_NEWIPC | SIGCHLD, NULL);
        if (pid < 0) { perror("clone"); return 1; }
        waitpid(pid, NULL, 0);
        show("parent-after");
        pthread_t t; pthread_create(&t, NULL, thread, NULL); pthread_join(t, NULL);
        show("parent-end");
        return 0;
    }
""")


@requires_fuse
@requires_root
@pytest.mark.skipif(
    shutil.which("gcc") is None, reason="gcc is not installed (apt-get install gcc libc6-dev)"
)
def test_a_c_program_with_clone_newipc_and_a_unsharing_thread_sees_the_split(mount, tmp_path):
    source = tmp_path / "ipcsplit.c"
    source.write_text(C_PROGRAM)
    binary = tmp_path / "ipcsplit"
    subprocess.run(["gcc", "-O1", "-pthread", "-o", str(binary), str(source)], check=True)
    mount.kernel.write("kernel.sem", "33000 1024000000 500 32000")
    out = mount.run([str(binary)], capture_output=True, text=True, timeout=60, check=True).stdout
    host = "33000 1024000000 500 32000"
    default = DEFAULT_SEM.replace("\t", " ")
    assert out.split("\n")[:6] == [
        f"parent-before {host}",
        f"child-before {default}",
        "child-after 111 222 333 444",
        f"parent-after {host}",
        f"thread {default}",
        f"parent-end {host}",
    ]


@requires_fuse
@requires_root
@requires_tool("unshare")
def test_with_zero_timeouts_a_new_netns_never_sees_the_host_devices_cached_entries(kernel):
    from fakeproc.sandbox import mounted

    with mounted(kernel, attr_timeout=0) as m:
        out = sh(
            m,
            """
cat /proc/sys/net/ipv4/conf/eth0/rp_filter >/dev/null && echo host-has-eth0
unshare --net sh -c 'test -e /proc/sys/net/ipv4/conf/eth0/rp_filter && echo leaked || echo absent'
""",
        ).stdout
    assert out == "host-has-eth0\nabsent\n"


@requires_fuse
@requires_root
def test_a_live_process_that_unshares_is_seen_at_its_next_open(mount):
    # One process: read kernel.sem, unshare(CLONE_NEWIPC), read again (the per-pid cache must
    # notice the changed ipc link: one readlink, not a fresh attribution).
    script = textwrap.dedent(
        """
        import ctypes
        def read(key):
            with open("/proc/sys/" + key) as f:
                return f.read()
        print(read("kernel/sem"), end="")
        assert ctypes.CDLL(None, use_errno=True).unshare(0x08000000) == 0  # CLONE_NEWIPC
        print(read("kernel/sem"), end="")
        """
    )
    mount.kernel.write("kernel.sem", "1 2 3 4")
    done = mount.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert out.split("\n")[:2] == ["1\t2\t3\t4", DEFAULT_SEM], out
