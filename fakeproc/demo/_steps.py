"""The article's steps, as data: a title and a function per step.

Each step function shows its commands with :class:`~fakeproc.demo._world.Demo`;
every command names the real program (run against the mount) and its
in-process equivalent through :class:`fakeproc.Kernel` (used when there is no
mount). The small ``_inproc_*`` functions below are those equivalents: they
print what procps ``sysctl``, ``cat``, ``ls`` and friends print.
"""

from __future__ import annotations

import shutil
import stat as stat_mod
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fakeproc.demo._world import Demo, Output
from fakeproc.model import Kernel, NamespaceSet
from fakeproc.sysctlconf import apply, parse

__all__ = ["HOST_SEM", "POD_SEM", "STEPS", "Step", "asset_text", "copy_asset"]

#: The value the article sets on the host before the IPC namespace test.
HOST_SEM = "33000 1024000000 500 32000"
#: The pod's kernel.sem, as the article's YAML writes it.
POD_SEM = "10000   1024000000      500     32000"
POD_NAME = "joo-modify-sysctl"


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough.

    Attributes:
        number: 1-based step number (``--step N``).
        title: Heading.
        run: The step's body.
    """

    number: int
    title: str
    run: Callable[[Demo], None]


# ---------------------------------------------------------------------- assets


def asset_text(name: str) -> str:
    """The text of a packaged asset (``fakeproc/demo/assets/NAME``)."""
    return resources.files("fakeproc.demo").joinpath("assets", name).read_text(encoding="utf-8")


def copy_asset(name: str, dest: Path) -> Path:
    """Copy a packaged asset to ``dest`` (a file path); returns ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(asset_text(name), encoding="utf-8")
    return dest


# ---------------------------------------------------------------------- in-process equivalents


def _rel(path: str) -> str:
    return path[len("/proc/sys"):].strip("/") if path.startswith("/proc/sys") else path


def _inproc_cat(k: Kernel, path: str, ns: NamespaceSet | None = None) -> Output:
    try:
        return k.read(_rel(path), ns=ns), 0
    except OSError as e:
        return f"cat: {path}: {e.strerror}\n", 1


def _inproc_ls(k: Kernel, path: str) -> Output:
    """``ls -C``: one line if it fits in 80 columns, else one name per line."""
    names = sorted(k.listdir(_rel(path)))
    line = "  ".join(names)
    return (line if len(line) <= 80 else "\n".join(names)) + "\n", 0


def _inproc_stat(k: Kernel, path: str) -> Output:
    st = k.stat(_rel(path))
    kind = stat_mod.S_IFDIR if st.is_dir else stat_mod.S_IFREG
    return f"size {st.size}, mode {stat_mod.filemode(kind | st.mode)}: {path}\n", 0


def _inproc_wc(k: Kernel, path: str) -> Output:
    return f"{len(k.read(_rel(path)).encode())} {path}\n", 0


def _inproc_sysctl_read(k: Kernel, keys: list[str], *, values_only: bool = False) -> Output:
    out = []
    rc = 0
    for key in keys:
        try:
            value = k.read(key).rstrip("\n")
        except OSError as e:
            out.append(f"sysctl: cannot stat /proc/sys/{key.replace('.', '/')}: {e.strerror}")
            rc = 1
            continue
        out.append(value if values_only else f"{key} = {value}")
    return "\n".join(out) + "\n", rc


def _procps(k: Kernel, text: str, filename: str) -> Output:
    """procps ``sysctl -p``/``-w`` through :func:`fakeproc.sysctlconf.apply`, output in order."""
    doc = parse(text, "procps", filename=filename)
    report = apply(k, doc, "procps")
    lines = [e.message for e in doc.errors]
    for o in report.outcomes:
        if o.status == "written":
            lines.append(f"{o.write.key} = {o.write.value}")
        if o.message:
            lines.append(o.message)
    return "".join(line + "\n" for line in lines), report.exit_status


def _inproc_sysctl_w(k: Kernel, assignment: str) -> Output:
    return _procps(k, assignment + "\n", "<command line>")


def _inproc_sysctl_p(k: Kernel, path: Path) -> Output:
    return _procps(k, path.read_text(encoding="utf-8"), path.name)


def _inproc_ipc_test(k: Kernel) -> Output:
    """The ipcns program through the model: the host's value, then a new IPC namespace's."""
    parent = k.read("kernel.sem")
    child_ns = k.unshare(k.init_ns, ipc=True, label="demo-ipcns-child")
    child = k.read("kernel.sem", ns=child_ns)
    k.drop_namespaces(child_ns)  # the child exits, its namespace goes
    return f"at parent - host ipc ns\n{parent}\n\nat child - new ipc ns\n{child}\n\n", 0


# ---------------------------------------------------------------------- step 1: the tree


def step_tree(d: Demo) -> None:
    k = d.kernel
    d.note("/proc/sys is where the kernel shows its tunable parameters (sysctls) as files.\n"
           "One directory per subsystem:")
    d.sh(None, ["ls", "-C", "/proc/sys"], lambda: _inproc_ls(k, "/proc/sys"), expect=("kernel",))
    d.note("Reading a file asks the kernel for the value; it is formatted at the moment of the read.")
    d.sh(None, ["cat", "/proc/sys/kernel/sem"], lambda: _inproc_cat(k, "/proc/sys/kernel/sem"),
         expect=("\t1024000000\t500\t",))
    d.sh(None, ["sysctl", "kernel.sem"], lambda: _inproc_sysctl_read(k, ["kernel.sem"]),
         expect=("kernel.sem = ",))
    d.note("No file stores the value: it lives in kernel memory, so stat reports size 0\n"
           "although a read returns bytes.")
    path = "/proc/sys/kernel/sem"
    d.sh(None, ["stat", "-c", "size %s, mode %A: %n", path], lambda: _inproc_stat(k, path), expect=("size 0",))
    d.sh(None, ["wc", "-c", path], lambda: _inproc_wc(k, path))


# ---------------------------------------------------------------------- step 2: sysctl -w, reboot, -p, boot


def step_persistence(d: Demo) -> None:
    k = d.kernel
    d.note("sysctl -w changes a value at runtime, in kernel memory only.")
    d.sh(None, ["sysctl", "vm.swappiness"], lambda: _inproc_sysctl_read(k, ["vm.swappiness"]))
    d.sh(None, ["sysctl", "-w", "vm.swappiness=10"], lambda: _inproc_sysctl_w(k, "vm.swappiness=10"),
         expect=("vm.swappiness = 10",))
    d.sh(None, ["cat", "/proc/sys/vm/swappiness"], lambda: _inproc_cat(k, "/proc/sys/vm/swappiness"))
    d.note("Nothing was saved anywhere: after a reboot the boot default is back.")
    d.api("fakeproc reboot", lambda: (d.reboot().text(), 0), expect=("vm.swappiness: 10 -> ",))
    d.sh(None, ["sysctl", "vm.swappiness"], lambda: _inproc_sysctl_read(k, ["vm.swappiness"]))

    d.note("sysctl -p FILE loads KEY = VALUE lines from FILE (default /etc/sysctl.conf),\n"
           "each written like sysctl -w; the kernel still checks every value.")
    conf = copy_asset("demo.conf", d.workdir / "demo.conf")
    d.host(None, ["cat", conf.name])
    d.sh(None, ["sysctl", "-p", conf.name], lambda: _inproc_sysctl_p(k, conf),
         expect=("net.core.somaxconn = 1024", 'sysctl: setting key "vm.swappiness": Invalid argument'))

    d.note("At boot, once /proc is mounted, `sysctl --system` (or systemd-sysctl) applies\n"
           "/etc/sysctl.d/*.conf and then /etc/sysctl.conf. Here etc/ stands for /etc:")
    etc = d.workdir / "etc"
    copy_asset("etc-sysctl.conf", etc / "sysctl.conf")
    copy_asset("60-somaxconn.conf", etc / "sysctl.d" / "60-somaxconn.conf")
    d.host(None, ["cat", "etc/sysctl.conf", "etc/sysctl.d/60-somaxconn.conf"])
    d.api("fakeproc reboot --etc etc", lambda: (d.reboot(etc=etc).text(), 0),
          expect=("* Applying /etc/sysctl.d/60-somaxconn.conf ...", "vm.swappiness = 10"))
    d.sh(None, ["sysctl", "vm.swappiness", "net.core.somaxconn"],
         lambda: _inproc_sysctl_read(k, ["vm.swappiness", "net.core.somaxconn"]),
         expect=("vm.swappiness = 10", "net.core.somaxconn = 8192"))


# ---------------------------------------------------------------------- step 3: kernel.sem


def step_sem(d: Demo) -> None:
    k = d.kernel
    d.note("kernel.sem holds four System V semaphore limits: SEMMSL (semaphores per array),\n"
           "SEMMNS (semaphores system-wide), SEMOPM (operations per semop call), SEMMNI (arrays).")
    path = "/proc/sys/kernel/sem"

    def fields() -> Output:
        text, rc = _inproc_cat(k, path)
        names = ("SEMMSL", "SEMMNS", "SEMOPM", "SEMMNI")
        return " ".join(f"{n}={v}" for n, v in zip(names, text.split())) + "\n", rc

    d.sh(None, ["awk", '{print "SEMMSL="$1, "SEMMNS="$2, "SEMOPM="$3, "SEMMNI="$4}', path], fields,
         expect=("SEMOPM=500",))
    d.note("The defaults come from include/uapi/linux/sem.h: SEMMNI 32000, SEMMSL 32000,\n"
           "SEMMNS = SEMMNI*SEMMSL, SEMOPM 500. fakeproc knows them per kernel version:")

    profile = d.profile_arg or k.profile.name
    d.host(f"fakeproc explain kernel.sem --kernel {k.profile.name}",
           [sys.executable, "-m", "fakeproc", "explain", "kernel.sem", "--kernel", profile],
           expect=("namespace:   ipc",))
    # What a write is checked against depends on the kernel version's handler.
    checked = k.spec("kernel.sem").handler == "proc_ipc_sem_dointvec"
    bad = "kernel.sem=31000 1024000000 500 99999"
    if checked:
        d.note("This kernel checks SEMMNI against IPCMNI (32768): ERANGE. Only SEMMNI is put back;\n"
               "the other three fields were stored before the check (ipc/ipc_sysctl.c).")
        expect: tuple[str, ...] = ('sysctl: setting key "kernel.sem": Numerical result out of range',)
        after: tuple[str, ...] = ("31000\t1024000000\t500\t32000",)
    else:
        d.note(f"This kernel ({k.profile.name}, handler {k.spec('kernel.sem').handler}) does not check\n"
               "the fields: any int is stored.")
        expect, after = ("kernel.sem = 31000 1024000000 500 99999",), ("31000\t1024000000\t500\t99999",)
    d.sh(None, ["sysctl", "-w", bad], lambda: _inproc_sysctl_w(k, bad), expect=expect)
    d.sh(None, ["cat", path], lambda: _inproc_cat(k, path), expect=after)


# ---------------------------------------------------------------------- step 4: IPC namespace


def step_ipcns(d: Demo) -> None:
    k = d.kernel
    d.note("kernel.sem belongs to the IPC namespace. Set a host value first:")
    d.sh(f'sysctl -w kernel.sem="{HOST_SEM}"', ["sysctl", "-w", f"kernel.sem={HOST_SEM}"],
         lambda: _inproc_sysctl_w(k, f"kernel.sem={HOST_SEM}"), expect=(f"kernel.sem = {HOST_SEM}",))
    d.note("The article's program prints kernel.sem in its own IPC namespace, then clones a child\n"
           "with CLONE_NEWIPC that prints it again:")
    src = copy_asset("ipcns.c", d.workdir / "ipcns.c")
    expect = ("at parent - host ipc ns\n33000\t1024000000\t500\t32000",
              "at child - new ipc ns\n32000\t1024000000\t500\t32000")
    gcc = shutil.which("gcc") or shutil.which("cc")
    argv: list[str]
    if gcc is not None:
        _, rc = d.host(f"{Path(gcc).name} -o ipcns ipcns.c", [gcc, "-o", "ipcns", src.name])
        argv, display = ["./ipcns"], "./ipcns"
        if rc != 0:
            gcc = None
    if gcc is None:
        d.note("No working C compiler here: the same test in Python (fork, then unshare(CLONE_NEWIPC)):")
        script = copy_asset("ipcns.py", d.workdir / "ipcns.py")
        argv, display = [sys.executable, script.name], f"python3 {script.name}"
    if not d.mounted:
        d.note("Without the mount the program would read the host's /proc/sys, so the same test\n"
               "runs through the model: Kernel.unshare(ipc=True), then a read in the child's namespace.")
    d.sh(display, argv, lambda: _inproc_ipc_test(k), expect=expect, fallback_ok=True)
    d.note("The child got the compile-time defaults, not the host's 33000: a new IPC namespace\n"
           "never copies its creator's IPC sysctls. Containers (and pods) each get one.")


# ---------------------------------------------------------------------- step 5: Kubernetes


def step_kubernetes(d: Demo) -> None:
    from fakeproc.kubernetes import NodeConfig, Verdict, load_manifests
    from fakeproc.kubernetes import apply as kube_apply
    from fakeproc.kubernetes.kubectl import apply_lines, describe_pod

    k = d.kernel
    d.note("Kubernetes sets sysctls per pod (spec.securityContext.sysctls). Safe ones are allowed\n"
           "everywhere; kernel.sem is unsafe, so the kubelet refuses it unless allowlisted.")
    yaml_file = copy_asset("sysctl_test.yaml", d.workdir / "sysctl_test.yaml")
    d.host(None, ["cat", yaml_file.name], expect=("name: kernel.sem",))
    manifest = load_manifests(yaml_file.read_text(encoding="utf-8"), source=yaml_file.name)[0]
    version = d.kubernetes_version
    vflag = f" --kubernetes-version {version}" if version else ""
    results = {}

    def run(allow: str | None) -> Output:
        node = NodeConfig.create(kubernetes_version=version, allowed_unsafe_sysctls=allow)
        r = kube_apply(manifest, k, node)
        results[allow] = r
        return apply_lines([r], [manifest.resource]) + "\n", 0 if r.http_status is None else 1

    d.api(f"fakeproc pod apply -f {yaml_file.name}{vflag}", lambda: run(None),
          expect=(f"pod/{POD_NAME} created",))
    d.api(f"fakeproc pod describe {POD_NAME}", lambda: (describe_pod(results[None]) + "\n", 0),
          expect=("SysctlForbidden", 'forbidden sysctl: "kernel.sem" not allowlisted'))
    d.note("The cluster admin allows it on the node: kubelet --allowed-unsafe-sysctls 'kernel.sem'\n"
           "(the article adds it to KUBELET_EXTRA_ARGS and restarts the kubelet). Apply again:")
    allow = "kernel.sem"
    d.api(f"fakeproc pod apply -f {yaml_file.name}{vflag} --allowed-unsafe-sysctls '{allow}'", lambda: run(allow),
          expect=(f"pod/{POD_NAME} created",))
    d.api(f"fakeproc pod describe {POD_NAME}", lambda: (describe_pod(results[allow]) + "\n", 0),
          expect=("Running",))
    pod = results[allow]
    d.note("The node keeps its own value; the pod has its own IPC namespace holding the pod's:")
    d.sh(None, ["cat", "/proc/sys/kernel/sem"], lambda: _inproc_cat(k, "/proc/sys/kernel/sem"))
    if pod.verdict is not Verdict.RUNNING or pod.ns_label is None:
        d.printer.fail(f"the pod did not start: {pod.verdict.value}")
        return
    pod_ns = k.namespace_by_label(pod.ns_label)
    d.sh(f"fakeproc pod exec {POD_NAME} -- cat /proc/sys/kernel/sem", ["cat", "/proc/sys/kernel/sem"],
         lambda: _inproc_cat(k, "/proc/sys/kernel/sem", ns=pod_ns), base=pod_ns,
         expect=("10000\t1024000000\t500\t32000",))


STEPS: tuple[Step, ...] = (
    Step(1, "the /proc/sys tree", step_tree),
    Step(2, "sysctl -w, reboot, sysctl -p and the boot configuration", step_persistence),
    Step(3, "kernel.sem: fields and defaults", step_sem),
    Step(4, "a new IPC namespace gets the defaults", step_ipcns),
    Step(5, "Kubernetes: an unsafe sysctl in a pod", step_kubernetes),
)
