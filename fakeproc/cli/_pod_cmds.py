"""``fakeproc pod ...``: Kubernetes pod sysctls on the fake node (apply, get, describe, exec, delete, check)."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from fakeproc.cli.result import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CommandResult

__all__ = ["register"]


def _add_node_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster and node")
    g.add_argument("--kubernetes-version", metavar="VERSION",
                   help="API server and kubelet version, 1.16 to 1.37 (default: 1.36)")
    g.add_argument("--allowed-unsafe-sysctls", metavar="LIST",
                   help="the kubelet's comma-separated allowlist patterns, e.g. 'kernel.sem,kernel.msg*'")
    g.add_argument("--kubelet-config", metavar="FILE",
                   help="a KubeletConfiguration file; its allowedUnsafeSysctls are used")
    g.add_argument("--pod-security", choices=("privileged", "baseline", "restricted"),
                   help="Pod Security enforce level of the namespace (default: privileged)")
    g.add_argument("--pod-security-warn", choices=("privileged", "baseline", "restricted"),
                   help="Pod Security warn level of the namespace (default: privileged)")
    g.add_argument("--pod-security-audit", choices=("privileged", "baseline", "restricted"),
                   help="Pod Security audit level of the namespace: violations are recorded as audit "
                   "annotations (default: privileged)")
    g.add_argument("--pod-security-version", default="latest", metavar="VERSION",
                   help="enforce-/warn-/audit-version label: latest or v1.N (default: latest)")
    g.add_argument("--pod-security-config", metavar="FILE",
                   help="a PodSecurityConfiguration (or AdmissionConfiguration): its defaults and "
                   "exemptions (usernames, runtimeClasses, namespaces)")
    g.add_argument("--pod-security-policy", metavar="FILE",
                   help="PodSecurityPolicy objects (Kubernetes 1.16-1.24): the PodSecurityPolicy admission "
                   "plugin checks pods against their forbiddenSysctls and allowedUnsafeSysctls")
    g.add_argument("--as", dest="user", default="kubernetes-admin", metavar="USER",
                   help="the user making the requests, for Pod Security exemptions (default: kubernetes-admin)")
    g.add_argument("--container-runtime", default="containerd-2",
                   choices=("containerd-1.7", "containerd-2", "cri-o"), help="default: containerd-2")
    g.add_argument("--node-name", help="node name in events (default: the kernel's hostname, else node1)")


def _add_state_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", metavar="FILE", help="state file (default: $FAKEPROC_STATE or ~/.local/state)")
    p.add_argument("--kernel", metavar="PROFILE", help="profile for a new state (default: 6.18)")
    p.add_argument("-n", "--namespace", default=None, metavar="NAMESPACE",
                   help="Kubernetes namespace (default: default; for apply, the manifests' own)")


def _node(args: argparse.Namespace) -> Any:
    from fakeproc.kubernetes import NodeConfig

    return NodeConfig.create(
        kubernetes_version=args.kubernetes_version,
        allowed_unsafe_sysctls=args.allowed_unsafe_sysctls,
        kubelet_config=args.kubelet_config,
        runtime=args.container_runtime,
        pod_security=args.pod_security,
        pod_security_warn=args.pod_security_warn,
        pod_security_version=args.pod_security_version,
        node_name=args.node_name,
        pod_security_audit=args.pod_security_audit,
        pod_security_config=args.pod_security_config,
        pod_security_policy=args.pod_security_policy,
        user=args.user,
    )


def _state(args: argparse.Namespace) -> Any:
    from fakeproc.state import StateFile

    return StateFile(args.state)


def _kubelet_refused(e: Exception) -> CommandResult:
    return CommandResult(exit_code=EXIT_USAGE, errors=(f"kubelet would not start: {e}",))


# ---------------------------------------------------------------------------- apply


def _add_apply(sub: Any) -> None:
    p = sub.add_parser("apply", help="apply the objects of a manifest to the fake cluster, as kubectl apply does",
                       description="Apply each Pod or workload of FILE (several documents allowed) as kubectl apply "
                       "does: a new object is created, the same one again is unchanged, a changed one is configured "
                       "or refused with the API server's immutability error. Each pod runs through API validation, "
                       "Pod Security Admission (and PodSecurityPolicy), kubelet admission and the runtime, and is kept "
                       "in the state file.")
    p.add_argument("-f", "--filename", required=True, metavar="FILE", help="multi-document YAML manifest")
    _add_state_options(p)
    _add_node_options(p)
    p.set_defaults(func=_cmd_apply)


def _cmd_apply(args: argparse.Namespace) -> CommandResult:
    from fakeproc.kubernetes import KubeletStartupError, apply_manifests, in_namespace, load_manifest_file
    from fakeproc.kubernetes.kubectl import apply_lines

    manifests = load_manifest_file(args.filename)
    if args.namespace is not None:
        manifests = [in_namespace(m, args.namespace) for m in manifests]
    node = _node(args)
    results = []
    try:
        with _state(args).open(profile=args.kernel) as k:
            results = apply_manifests(manifests, k, node)
    except KubeletStartupError as e:
        return _kubelet_refused(e)
    refused = any(r.http_status is not None for r in results)
    return CommandResult(exit_code=EXIT_FAILURE if refused else EXIT_OK, text=apply_lines(results),
                         data=[r.to_dict() for r in results])


# ---------------------------------------------------------------------------- get / describe / delete


def _add_get(sub: Any) -> None:
    p = sub.add_parser("get", help="list pods (or events) as kubectl get pods / get events does")
    p.add_argument("name", nargs="?", help="one pod, or 'events' for the namespace's events")
    p.add_argument("-o", "--output", choices=("wide", "yaml", "json"),
                   help="wide: more columns; yaml/json: the pod objects")
    _add_state_options(p)
    p.set_defaults(func=_cmd_get)


def _ns(args: argparse.Namespace) -> str:
    return args.namespace if args.namespace is not None else "default"


def _cmd_get(args: argparse.Namespace) -> CommandResult:
    from fakeproc.kubernetes import get_pod, list_pods, list_results, resync
    from fakeproc.kubernetes.kubectl import get_events, get_pods, pod_objects

    ns = _ns(args)
    with _state(args).open(profile=args.kernel) as k:
        resync(k)
        if args.name == "events":
            pods = list_results(k, ns)
            return CommandResult(text=get_events(pods, namespace=ns),
                                 data=[e for p in pods for e in p.to_dict()["events"]])
        if args.name:
            found = get_pod(k, args.name, ns)
            if found is None:
                return _not_found(args.name)
            pods = [found]
        else:
            pods = list_pods(k, ns)
    if args.output in ("yaml", "json"):
        return CommandResult(text=pod_objects(pods, args.output, single=bool(args.name)),
                             data=[p.to_dict() for p in pods])
    return CommandResult(text=get_pods(pods, wide=args.output == "wide", namespace=ns),
                         data=[p.to_dict() for p in pods])


def _not_found(name: str, resource: str = "pods") -> CommandResult:
    return CommandResult(exit_code=EXIT_USAGE, errors=(f'Error from server (NotFound): {resource} "{name}" not found',))


def _add_describe(sub: Any) -> None:
    p = sub.add_parser("describe", help="show a pod's (or workload's) status and events as kubectl describe does",
                       description="NAME is a pod, or KIND/NAME for a workload: deployment/web, "
                       "replicaset/web-5d4..., statefulset/es, daemonset/x, job/pi, cronjob/c.")
    p.add_argument("name")
    _add_state_options(p)
    p.set_defaults(func=_cmd_describe)


def _cmd_describe(args: argparse.Namespace) -> CommandResult:
    from fakeproc.kubernetes import find_workload, get_pod, resync
    from fakeproc.kubernetes.kubectl import describe_pod, describe_workload

    ns = _ns(args)
    kind, _, name = args.name.rpartition("/")
    with _state(args).open(profile=args.kernel) as k:
        resync(k)
        if kind and kind.lower() not in ("pod", "pods", "po"):
            workload = find_workload(k, kind, name, ns)
            if workload is None:
                return _not_found(name, kind.lower().split(".")[0] + "s")
            found_kind, pod = workload
            return CommandResult(text=describe_workload(found_kind, name, pod), data=pod.to_dict())
        found = get_pod(k, name, ns)
    if found is None:
        return _not_found(name)
    return CommandResult(text=describe_pod(found), data=found.to_dict())


def _add_delete(sub: Any) -> None:
    p = sub.add_parser("delete", help="delete a pod and its namespaces")
    p.add_argument("name")
    _add_state_options(p)
    p.set_defaults(func=_cmd_delete)


def _cmd_delete(args: argparse.Namespace) -> CommandResult:
    from fakeproc.kubernetes import delete_pod

    with _state(args).open(profile=args.kernel) as k:
        deleted = delete_pod(k, args.name, _ns(args))
    if not deleted:
        return _not_found(args.name)
    return CommandResult(text=f'pod "{args.name}" deleted', data={"deleted": args.name})


# ---------------------------------------------------------------------------- exec


def _add_exec(sub: Any) -> None:
    p = sub.add_parser("exec", help="run a command that sees /proc/sys of the pod's namespaces",
                       description="Run CMD with the fake /proc/sys mounted, as the pod's containers see it "
                       "(needs FUSE; without it only 'cat /proc/sys/...' is answered in-process).")
    p.add_argument("name")
    _add_state_options(p)
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD", help="the command")
    p.set_defaults(func=_cmd_exec)


def _cmd_exec(args: argparse.Namespace) -> CommandResult | int:
    from fakeproc.errors import UnavailableError
    from fakeproc.kubernetes import Verdict, get_pod, resync

    argv = list(args.argv)
    if "--" in argv:
        # Options given after NAME land in the remainder: parse what precedes "--".
        cut = argv.index("--")
        opts = argparse.ArgumentParser(prog="fakeproc pod exec", add_help=False)
        _add_state_options(opts)
        extra = opts.parse_args(argv[:cut])
        for key in ("state", "kernel"):
            if getattr(extra, key) is not None:
                setattr(args, key, getattr(extra, key))
        if extra.namespace is not None:
            args.namespace = extra.namespace
        argv = argv[cut + 1:]
    if not argv:
        return CommandResult(exit_code=EXIT_USAGE, errors=("no command given (usage: fakeproc pod exec NAME -- CMD)",))
    state = _state(args)
    with state.open(profile=args.kernel) as k:
        resync(k)
        found = get_pod(k, args.name, _ns(args))
    if found is None:
        return _not_found(args.name)
    if found.verdict is not Verdict.RUNNING:
        return CommandResult(exit_code=EXIT_FAILURE, errors=(
            f"cannot exec into a container in a completed pod; current phase is {found.phase}"
            if found.phase == "Failed" else ('unable to upgrade connection: container not found '
            f'("{found.containers[0] if found.containers else ""}")'),))
    from fakeproc.sandbox import run_command

    try:
        return run_command(argv, state=str(state.path), ns_label=found.ns_label)
    except UnavailableError:
        return _exec_in_process(argv, state, args.kernel, found.ns_label)


def _exec_in_process(argv: list[str], state: Any, profile: str | None, label: str | None) -> CommandResult:
    """``cat /proc/sys/...`` answered from the model when no FUSE sandbox is available."""
    paths = argv[1:]
    if argv[0] not in ("cat", "/bin/cat") or not paths or not all(p.startswith("/proc/sys/") for p in paths):
        return CommandResult(exit_code=EXIT_USAGE, errors=(
            (f"cannot run {shlex.join(argv)}: pod exec needs the FUSE sandbox (fakeproc run); "
             "without it only 'cat /proc/sys/...' is supported"),))
    out: list[str] = []
    errors: list[str] = []
    with state.open(profile=profile, save=False) as k:
        ns = k.namespace_by_label(label) if label else k.init_ns
        for path in paths:
            try:
                out.append(k.read(path, ns=ns))
            except OSError as e:
                errors.append(f"cat: {path}: {e.strerror}")
    return CommandResult(exit_code=EXIT_FAILURE if errors else EXIT_OK, text="".join(out),
                         data={"output": "".join(out)}, errors=tuple(errors))


# ---------------------------------------------------------------------------- check


def _add_check(sub: Any) -> None:
    p = sub.add_parser("check", help="exit 0 if every pod of the manifests would start on the node, else 1",
                       description="A lint for manifests in CI: run each pod through the pipeline on a throwaway "
                       "node and report why any would not start.")
    p.add_argument("-f", "--filename", required=True, action="append", metavar="FILE",
                   help="manifest (repeatable)")
    p.add_argument("--kernel", metavar="PROFILE", help="the node's kernel profile (default: 6.18)")
    p.add_argument("-n", "--namespace", default=None, metavar="NAMESPACE",
                   help="namespace for objects that name none (default: their own, else default)")
    _add_node_options(p)
    p.set_defaults(func=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> CommandResult:
    from fakeproc.kubernetes import KubeletStartupError, check, in_namespace, load_manifest_file

    manifests = [m for f in args.filename for m in load_manifest_file(f)]
    if args.namespace is not None:
        manifests = [in_namespace(m, args.namespace) for m in manifests]
    try:
        results = check(manifests, _node(args), profile=args.kernel)
    except KubeletStartupError as e:
        return _kubelet_refused(e)
    lines = []
    for m, r in zip(manifests, results):
        where = f"{m.source}: {m.resource}" + (f" (pod {r.name})" if m.is_workload else "")
        if r.started:
            lines.append(f"ok    {where}: Running")
        else:
            lines.append(f"FAIL  {where}: {r.verdict.value} at {r.stage.value}")
            lines.extend("      " + line for msg in r.messages for line in msg.splitlines())
        lines.extend(f"      warning: {w}" for w in r.warnings)
        lines.extend(f"      audit: {a}" for a in r.audit)
    failed = sum(1 for r in results if not r.started)
    lines.append(f"{len(results) - failed} of {len(results)} pods would start")
    return CommandResult(exit_code=EXIT_FAILURE if failed else EXIT_OK, text="\n".join(lines),
                         data=[r.to_dict() for r in results])


# ---------------------------------------------------------------------------- registration


def register(subparsers: Any) -> None:
    """Add ``pod`` and its subcommands to the top-level parser."""
    p = subparsers.add_parser("pod", help="Kubernetes pod sysctls on the fake node",
                              description="Run pods through the Kubernetes sysctl pipeline on the fake kernel.")
    sub = p.add_subparsers(dest="pod_command", metavar="SUBCOMMAND")
    for add in (_add_apply, _add_get, _add_describe, _add_exec, _add_delete, _add_check):
        add(sub)
    p.set_defaults(func=lambda args: CommandResult(exit_code=EXIT_USAGE, text=p.format_help()))
