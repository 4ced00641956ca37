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
from typing import TYPE_CHECKING

from fakeproc.demo._text import text
from fakeproc.demo._world import Demo, Output
from fakeproc.model import Kernel, NamespaceSet
from fakeproc.sysctlconf import apply, parse

if TYPE_CHECKING:
    from fakeproc.kubernetes import PodResult

__all__ = ["CHILD_SEM", "HOST_SEM", "POD_NAME", "POD_SEM", "STEPS", "Step", "asset_text", "copy_asset"]

#: The value the article sets on the host before the IPC namespace test.
HOST_SEM = "33000 1024000000 500 32000"
#: The value the shell in a new IPC namespace writes in step 4 (its own, not the host's).
CHILD_SEM = "20000 1024000000 500 32000"
#: The pod's kernel.sem, as the article's YAML writes it.
POD_SEM = "10000   1024000000      500     32000"
POD_NAME = "joo-modify-sysctl"


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough.

    Attributes:
        number: 1-based step number (``--step N``).
        key: Its sentences' prefix in :mod:`fakeproc.demo._text` (``KEY.title`` is the heading).
        run: The step's body.
    """

    number: int
    key: str
    run: Callable[[Demo], None]

    def title(self, lang: str = "en") -> str:
        """The heading in ``lang``."""
        return text(f"{self.key}.title", lang)


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


def _procps(k: Kernel, conf: str, filename: str, ns: NamespaceSet | None = None) -> Output:
    """procps ``sysctl -p``/``-w`` through :func:`fakeproc.sysctlconf.apply`, output in order."""
    doc = parse(conf, "procps", filename=filename)
    report = apply(k, doc, "procps", ns=ns)
    lines = [e.message for e in doc.errors]
    for o in report.outcomes:
        if o.status == "written":
            lines.append(f"{o.write.key} = {o.write.value}")
        if o.message:
            lines.append(o.message)
    return "".join(line + "\n" for line in lines), report.exit_status


def _inproc_sysctl_w(k: Kernel, assignment: str, ns: NamespaceSet | None = None) -> Output:
    return _procps(k, assignment + "\n", "<command line>", ns)


def _inproc_sysctl_p(k: Kernel, path: Path) -> Output:
    return _procps(k, path.read_text(encoding="utf-8"), path.name)


def _inproc_unshare_sysctl(k: Kernel, value: str) -> Output:
    """``unshare --ipc sh -c 'cat; sysctl -w kernel.sem=VALUE; cat'`` through the model."""
    child = k.unshare(k.init_ns, ipc=True, label="demo-unshare-ipc")
    try:
        parts = [_inproc_cat(k, "/proc/sys/kernel/sem", child), _inproc_sysctl_w(k, f"kernel.sem={value}", child),
                 _inproc_cat(k, "/proc/sys/kernel/sem", child)]
    finally:
        k.drop_namespaces(child)  # the shell exits, its namespace goes
    return "".join(out for out, _ in parts), parts[-1][1]


def _fresh_ipc_sem(k: Kernel) -> str:
    """kernel.sem as a new IPC namespace starts it (the compile-time defaults)."""
    scratch = k.unshare(k.init_ns, ipc=True)
    try:
        return k.read("kernel.sem", ns=scratch)
    finally:
        k.drop_namespaces(scratch)


def _inproc_ipc_test(k: Kernel) -> Output:
    """The ipcns program through the model: the host's value, then a new IPC namespace's."""
    parent = k.read("kernel.sem")
    child_ns = k.unshare(k.init_ns, ipc=True, label="demo-ipcns-child")
    child = k.read("kernel.sem", ns=child_ns)
    k.drop_namespaces(child_ns)  # the child exits, its namespace goes
    return f"at parent - host ipc ns\n{parent}\n\nat child - new ipc ns\n{child}\n\n", 0


# ---------------------------------------------------------------------- step 1: procfs


def step_tree(d: Demo) -> None:
    k = d.kernel
    d.say("tree.intro")
    d.sh(None, ["ls", "-C", "/proc/sys"], lambda: _inproc_ls(k, "/proc/sys"), expect=("kernel",))
    d.say("tree.read")
    d.sh(None, ["cat", "/proc/sys/kernel/sem"], lambda: _inproc_cat(k, "/proc/sys/kernel/sem"),
         expect=("\t1024000000\t500\t",))
    d.sh(None, ["sysctl", "kernel.sem"], lambda: _inproc_sysctl_read(k, ["kernel.sem"]),
         expect=("kernel.sem = ",))
    d.say("tree.size0")
    path = "/proc/sys/kernel/sem"
    d.sh(None, ["stat", "-c", "size %s, mode %A: %n", path], lambda: _inproc_stat(k, path), expect=("size 0",))
    d.sh(None, ["wc", "-c", path], lambda: _inproc_wc(k, path))


# ---------------------------------------------------------------------- step 2: sysctl -w, reboot, -p, boot


def step_persistence(d: Demo) -> None:
    k = d.kernel
    d.say("persist.w")
    d.sh(None, ["sysctl", "vm.swappiness"], lambda: _inproc_sysctl_read(k, ["vm.swappiness"]))
    d.sh(None, ["sysctl", "-w", "vm.swappiness=10"], lambda: _inproc_sysctl_w(k, "vm.swappiness=10"),
         expect=("vm.swappiness = 10",))
    d.sh(None, ["cat", "/proc/sys/vm/swappiness"], lambda: _inproc_cat(k, "/proc/sys/vm/swappiness"))
    d.say("persist.reboot")
    d.api("fakeproc reboot", lambda: (d.reboot().text(), 0), expect=("vm.swappiness: 10 -> ",))
    d.sh(None, ["sysctl", "vm.swappiness"], lambda: _inproc_sysctl_read(k, ["vm.swappiness"]))

    d.say("persist.p")
    conf = copy_asset("demo.conf", d.workdir / "demo.conf")
    d.host(None, ["cat", conf.name])
    d.sh(None, ["sysctl", "-p", conf.name], lambda: _inproc_sysctl_p(k, conf),
         expect=("net.core.somaxconn = 1024", 'sysctl: setting key "vm.swappiness": Invalid argument'))

    d.say("persist.boot")
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
    d.say("sem.fields")
    path = "/proc/sys/kernel/sem"

    def fields() -> Output:
        out, rc = _inproc_cat(k, path)
        names = ("SEMMSL", "SEMMNS", "SEMOPM", "SEMMNI")
        return " ".join(f"{n}={v}" for n, v in zip(names, out.split())) + "\n", rc

    d.sh(None, ["awk", '{print "SEMMSL="$1, "SEMMNS="$2, "SEMOPM="$3, "SEMMNI="$4}', path], fields,
         expect=("SEMOPM=500",))
    d.say("sem.defaults")

    profile = d.profile_arg or k.profile.name
    d.host(f"fakeproc explain kernel.sem --kernel {k.profile.name}",
           [sys.executable, "-m", "fakeproc", "explain", "kernel.sem", "--kernel", profile],
           expect=("namespace:   ipc",))
    # What a write is checked against depends on the kernel version's handler.
    checked = k.spec("kernel.sem").handler == "proc_ipc_sem_dointvec"
    bad = "kernel.sem=31000 1024000000 500 99999"
    if checked:
        d.say("sem.checked")
        expect: tuple[str, ...] = ('sysctl: setting key "kernel.sem": Numerical result out of range',)
        after: tuple[str, ...] = ("31000\t1024000000\t500\t32000",)
    else:
        d.say("sem.unchecked", profile=k.profile.name, handler=k.spec("kernel.sem").handler)
        expect, after = ("kernel.sem = 31000 1024000000 500 99999",), ("31000\t1024000000\t500\t99999",)
    d.sh(None, ["sysctl", "-w", bad], lambda: _inproc_sysctl_w(k, bad), expect=expect)
    d.sh(None, ["cat", path], lambda: _inproc_cat(k, path), expect=after)


# ---------------------------------------------------------------------- step 4: sysctl -w on both sides


def _tabs(value: str) -> str:
    return "\t".join(value.split())


def step_ipc_sysctl(d: Demo) -> None:
    k = d.kernel
    path = "/proc/sys/kernel/sem"
    d.say("ipc.host")
    d.sh(f'sysctl -w kernel.sem="{HOST_SEM}"', ["sysctl", "-w", f"kernel.sem={HOST_SEM}"],
         lambda: _inproc_sysctl_w(k, f"kernel.sem={HOST_SEM}"), expect=(f"kernel.sem = {HOST_SEM}",))
    d.sh(None, ["cat", path], lambda: _inproc_cat(k, path), expect=(_tabs(HOST_SEM),))
    d.say("ipc.child")
    if not d.mounted:
        d.say("ipc.inproc")
    script = f'cat {path}; sysctl -w kernel.sem="{CHILD_SEM}"; cat {path}'
    fresh = _fresh_ipc_sem(k)
    d.sh(f"unshare --ipc sh -c '{script}'", ["unshare", "--ipc", "sh", "-c", script],
         lambda: _inproc_unshare_sysctl(k, CHILD_SEM),
         expect=(fresh + f"kernel.sem = {CHILD_SEM}\n{_tabs(CHILD_SEM)}\n",), fallback_ok=True)
    d.say("ipc.after")
    d.sh(None, ["cat", path], lambda: _inproc_cat(k, path), expect=(_tabs(HOST_SEM),))


# ---------------------------------------------------------------------- step 5: the C program


def step_c_program(d: Demo) -> None:
    k = d.kernel
    d.say("cprog.intro")
    src = copy_asset("ipcns.c", d.workdir / "ipcns.c")
    expect = ("at parent - host ipc ns\n" + k.read("kernel.sem"),
              "at child - new ipc ns\n" + _fresh_ipc_sem(k))
    gcc = shutil.which("gcc") or shutil.which("cc")
    argv: list[str]
    if gcc is not None:
        _, rc = d.host(f"{Path(gcc).name} -o ipcns ipcns.c", [gcc, "-o", "ipcns", src.name])
        argv, display = ["./ipcns"], "./ipcns"
        if rc != 0:
            gcc = None
    if gcc is None:
        d.say("cprog.nocc")
        script = copy_asset("ipcns.py", d.workdir / "ipcns.py")
        argv, display = [sys.executable, script.name], f"python3 {script.name}"
    if not d.mounted:
        d.say("cprog.inproc")
    d.sh(display, argv, lambda: _inproc_ipc_test(k), expect=expect, fallback_ok=True)
    d.say("cprog.after")


# ---------------------------------------------------------------------- step 6: Kubernetes


def _kube(d: Demo) -> tuple[Path, str, str]:
    """The pod YAML in the work directory, the version flag shown, and the version."""
    from fakeproc.kubernetes import DEFAULT_VERSION, KubeVersion

    yaml_file = d.workdir / "sysctl_test.yaml"
    if not yaml_file.exists():
        copy_asset("sysctl_test.yaml", yaml_file)
    version = d.kubernetes_version
    v = KubeVersion.parse(version) if version else DEFAULT_VERSION
    return yaml_file, f" --kubernetes-version {version}" if version else "", str(v)


def _apply(d: Demo, yaml_file: Path, vflag: str, allow: str | None) -> None:
    from fakeproc.kubernetes import NodeConfig, apply_manifests, load_manifests
    from fakeproc.kubernetes.kubectl import apply_lines

    def run() -> Output:
        node = NodeConfig.create(kubernetes_version=d.kubernetes_version, allowed_unsafe_sysctls=allow)
        manifests = load_manifests(yaml_file.read_text(encoding="utf-8"), source=yaml_file.name)
        results = apply_manifests(manifests, d.kernel, node)
        return apply_lines(results) + "\n", 0 if all(r.http_status is None for r in results) else 1

    flag = f" --allowed-unsafe-sysctls '{allow}'" if allow else ""
    d.api(f"fakeproc pod apply -f {yaml_file.name}{vflag}{flag}", run, expect=(f"pod/{POD_NAME} created",))


def step_kubernetes(d: Demo) -> None:
    from fakeproc.kubernetes import KubeVersion, delete_pod, get_pod
    from fakeproc.kubernetes.kubectl import describe_pod, get_pods
    from fakeproc.kubernetes.versions import KUBELET_NOT_LISTED, pick

    k = d.kernel
    yaml_file, vflag, version = _kube(d)
    not_listed = pick(KUBELET_NOT_LISTED, KubeVersion.parse(version)) % '"kernel.sem"'
    d.say("k8s.intro")
    d.host(None, ["cat", yaml_file.name], expect=("name: kernel.sem",))
    d.say("k8s.refused")
    delete_pod(k, POD_NAME)  # a fresh start when the step runs twice
    _apply(d, yaml_file, vflag, None)

    def get(wide: bool) -> Output:
        from fakeproc.kubernetes import list_pods

        return get_pods(list_pods(k, "default"), wide=wide) + "\n", 0

    d.api("fakeproc pod get -o wide", lambda: get(True), expect=("SysctlForbidden",))

    def describe() -> Output:
        pod = get_pod(k, POD_NAME)
        return (describe_pod(pod) + "\n", 0) if pod else (f'Error from server (NotFound): pods "{POD_NAME}" not found\n', 1)

    d.api(f"fakeproc pod describe {POD_NAME}", describe,
          expect=("SysctlForbidden", f"forbidden sysctl: {not_listed}"))
    if "allowlisted" not in not_listed:
        d.say("k8s.status", version=version, word=not_listed.split(" ", 1)[1])
    d.say("k8s.allow")
    d.api(f"fakeproc pod delete {POD_NAME}",
          lambda: (f'pod "{POD_NAME}" deleted\n' if delete_pod(k, POD_NAME) else "", 0),
          expect=(f'pod "{POD_NAME}" deleted',))
    _apply(d, yaml_file, vflag, "kernel.sem")
    d.say("k8s.running")
    d.api("fakeproc pod get -o wide", lambda: get(True), expect=("Running",))


# ---------------------------------------------------------------------- step 7: exec


def _running_pod(d: Demo) -> PodResult | None:
    """The demo's pod, applied first when an earlier step did not leave it running."""
    from fakeproc.kubernetes import Verdict, get_pod

    pod = get_pod(d.kernel, POD_NAME)
    if pod is None or pod.verdict is not Verdict.RUNNING:
        d.say("exec.setup")
        yaml_file, vflag, _ = _kube(d)
        _apply(d, yaml_file, vflag, "kernel.sem")
        pod = get_pod(d.kernel, POD_NAME)
    return pod


def step_exec(d: Demo) -> None:
    from fakeproc.kubernetes import Verdict

    k = d.kernel
    pod = _running_pod(d)
    d.say("exec.intro")
    node_value = k.read("kernel.sem")
    d.sh(None, ["cat", "/proc/sys/kernel/sem"], lambda: _inproc_cat(k, "/proc/sys/kernel/sem"),
         expect=(node_value,))
    if pod is None or pod.verdict is not Verdict.RUNNING or pod.ns_label is None:
        d.printer.fail(d.text("exec.failed", verdict=pod.verdict.value if pod else "NotFound"))
        d.transcript.failures += 1
        return
    pod_ns = k.namespace_by_label(pod.ns_label)
    d.sh(f"fakeproc pod exec {POD_NAME} -- cat /proc/sys/kernel/sem", ["cat", "/proc/sys/kernel/sem"],
         lambda: _inproc_cat(k, "/proc/sys/kernel/sem", ns=pod_ns), base=pod_ns,
         expect=(_tabs(POD_SEM) + "\n",))


# ---------------------------------------------------------------------- step 8: the namespaces as a tree


def step_ns_tree(d: Demo) -> None:
    from fakeproc.demo.nstree import namespace_tree, render_text

    k = d.kernel
    _running_pod(d)
    d.say("tree8.intro")
    keys = ["kernel.sem", "kernel.hostname"]
    d.api("fakeproc ns tree " + " ".join(f"--key {key}" for key in keys),
          lambda: (render_text(namespace_tree(k, keys)) + "\n", 0),
          expect=(f"pod sandbox default/{POD_NAME}  kernel.sem = {POD_SEM.split()[0]} 1024000000 500 32000",
                  f"pod sandbox default/{POD_NAME}  kernel.hostname = {POD_NAME}"))


STEPS: tuple[Step, ...] = (
    Step(1, "tree", step_tree),
    Step(2, "persist", step_persistence),
    Step(3, "sem", step_sem),
    Step(4, "ipc", step_ipc_sysctl),
    Step(5, "cprog", step_c_program),
    Step(6, "k8s", step_kubernetes),
    Step(7, "exec", step_exec),
    Step(8, "tree8", step_ns_tree),
)
