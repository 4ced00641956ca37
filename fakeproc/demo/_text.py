"""What the demo says, in English and in Korean (the seed article's language).

Only the explanations and headings are translated; commands and their outputs
are never touched. The Korean lines reuse the article's own wording and terms
(``proc file system``, ``커널 파라미터``, ``host ipc namespace``, ``자식 process``,
``safe``/``unsafe`` 파라미터, ``cluster admin``, ``스케줄링까지는 되지만, launch는 실패``).

>>> text("ipc.title", "ko")
'IPC namespace 분리 시 kernel.sem 값 확인: sysctl -w'
>>> text("k8s.status", "en", version="1.20", word="not whitelisted")
'Kubernetes 1.20 still says "not whitelisted" ("not allowlisted" from 1.22 on).'
"""

from __future__ import annotations

from fakeproc.errors import UsageError

__all__ = ["LANGUAGES", "TEXT", "check_lang", "text"]

#: ``--lang`` values.
LANGUAGES = ("en", "ko")

#: key -> (English, Korean). ``{name}`` fields are filled by :func:`text`.
TEXT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ frame
    "intro": (
        ("fakeproc demo: a throw-away {profile} kernel; the host's /proc/sys is not touched.\n"
         "Commands run in {tmp}; {how}."),
        ("fakeproc demo: 일회용 {profile} 커널을 씁니다. host의 /proc/sys는 건드리지 않습니다.\n"
         "명령은 {tmp}에서 실행됩니다. {how}."),
    ),
    "how.mount": (
        "real programs see the fake kernel at /proc/sys (FUSE mount, private mount namespace)",
        "실제 프로그램이 /proc/sys에서 가짜 커널을 봅니다(FUSE mount, 별도 mount namespace)",
    ),
    "how.inproc": (
        "in-process through fakeproc's API: {why}",
        "fakeproc API를 통해 프로세스 안에서 실행합니다: {why}",
    ),
    "step": ("Step {n}/{total}: {title}", "{n}/{total}단계: {title}"),
    "pause": ("[Enter: step {n}]", "[Enter: {n}단계로]"),
    "how.title": ("How this ran", "실행 방식"),
    "how.steps": (
        "step{s} {which} ran in-process only (through fakeproc's API, not real programs): {why}",
        "{which}단계는 프로세스 안에서만 실행되었습니다(실제 프로그램이 아니라 fakeproc API): {why}",
    ),
    "failed": ("some expected values did not appear (see above)", "기대한 값 중 일부가 나오지 않았습니다(위 참고)"),
    # ------------------------------------------------------------------ step 1
    "tree.title": ("procfs: the /proc/sys tree", "proc file system: /proc/sys 하위 구조"),
    "tree.intro": (
        ("/proc is a pseudo filesystem: the kernel shows processes and system information as files.\n"
         "/proc/sys is the interface to the kernel options that can be set at runtime (sysctls),\n"
         "one directory per subsystem:"),
        ("/proc은 프로세스와 다른 시스템 정보를 파일 구조 같은 형식으로 보여주는 pseudo filesystem입니다.\n"
         "/proc/sys는 동적으로 설정 가능한 커널 옵션들에 대한 인터페이스이며,\n"
         "하위 시스템별로 디렉토리가 있습니다:"),
    ),
    "tree.read": (
        "Reading a file asks the kernel for the value; it is formatted at the moment of the read.",
        "user가 cat으로 파일을 읽으면, 커널에서 데이터를 유저에게 일정한 포맷으로 뿌려줍니다.",
    ),
    "tree.size0": (
        ("No file stores the value: it lives in kernel memory, so stat reports size 0\n"
         "although a read returns bytes."),
        ("procfs의 데이터는 파일에 저장되는 것이 아니라 커널 메모리에 저장합니다.\n"
         "그래서 stat은 크기 0을 보여주지만 read는 바이트를 돌려줍니다."),
    ),
    # ------------------------------------------------------------------ step 2
    "persist.title": ("sysctl -w and sysctl -p", "sysctl command: sysctl -w와 sysctl -p"),
    "persist.w": (
        "sysctl -w {param}=\"{value}\" sets a parameter for now, in kernel memory only.",
        "sysctl -w {param}=\"{value}\": 일시적으로 해당 파라미터를 설정합니다(커널 메모리에만).",
    ),
    "persist.reboot": (
        "It is not kept across a reboot: the boot default is back.",
        "재부팅 시 유지되지 않습니다: 부팅 기본값으로 돌아옵니다.",
    ),
    "persist.p": (
        ("sysctl -p {file_path} loads the settings from file_path (/etc/sysctl.conf when none is given),\n"
         "each written like sysctl -w; the kernel still checks every value."),
        ("sysctl -p {file_path}: file_path로부터 sysctl 설정을 로드합니다(file_path가 주어지지 않으면\n"
         "/etc/sysctl.conf을 로드). 각 줄은 sysctl -w처럼 쓰이고, 커널은 여전히 값을 검사합니다."),
    ),
    "persist.boot": (
        ("At boot, once /proc is mounted, sysctl loads /etc/sysctl.conf (`sysctl --system` applies\n"
         "/etc/sysctl.d/*.conf first). Here etc/ stands for /etc:"),
        ("부팅 시점에 /proc mount 후 sysctl에 의해 /etc/sysctl.conf가 자동으로 로드됩니다\n"
         "(`sysctl --system`은 /etc/sysctl.d/*.conf를 먼저 적용). 여기서는 etc/가 /etc 역할을 합니다:"),
    ),
    # ------------------------------------------------------------------ step 3
    "sem.title": ("kernel.sem: fields and defaults", "kernel.sem 기본값 확인"),
    "sem.fields": (
        ("kernel.sem holds four System V semaphore limits: SEMMSL (max semaphores per array),\n"
         "SEMMNS (maximum semaphores system-wide), SEMOPM (maximum operations per semop call),\n"
         "SEMMNI (maximum arrays)."),
        ("kernel.sem은 System V 세마포어 한도 네 개입니다: SEMMSL(max semaphores per array),\n"
         "SEMMNS(maximum semaphores system-wide), SEMOPM(maximum operations per semop call),\n"
         "SEMMNI(maximum arrays)."),
    ),
    "sem.defaults": (
        ("The defaults come from the kernel source, include/uapi/linux/sem.h: SEMMNI 32000,\n"
         "SEMMSL 32000, SEMMNS = SEMMNI*SEMMSL, SEMOPM 500. fakeproc knows them per kernel version:"),
        ("기본값은 kernel src include/uapi/linux/sem.h에 있습니다: SEMMNI 32000, SEMMSL 32000,\n"
         "SEMMNS = SEMMNI*SEMMSL, SEMOPM 500. fakeproc은 커널 버전별로 알고 있습니다:"),
    ),
    "sem.checked": (
        ("This kernel checks SEMMNI against IPCMNI (32768): ERANGE. Only SEMMNI is put back;\n"
         "the other three fields were stored before the check (ipc/ipc_sysctl.c)."),
        ("이 커널은 SEMMNI를 IPCMNI(32768)와 비교합니다: ERANGE. SEMMNI만 되돌려지고,\n"
         "나머지 세 값은 검사 전에 이미 저장됩니다(ipc/ipc_sysctl.c)."),
    ),
    "sem.unchecked": (
        "This kernel ({profile}, handler {handler}) does not check the fields: any int is stored.",
        "이 커널({profile}, handler {handler})은 값을 검사하지 않습니다: 어떤 int든 저장됩니다.",
    ),
    # ------------------------------------------------------------------ step 4
    "ipc.title": ("sysctl -w in the parent and in a new IPC namespace",
                  "IPC namespace 분리 시 kernel.sem 값 확인: sysctl -w"),
    "ipc.host": (
        "kernel.sem belongs to the IPC namespace. Change it with sysctl in the parent (host) namespace:",
        "kernel.sem parameter는 IPC namespace에 속합니다. host ipc namespace에서 sysctl로 kernel.sem을 변경합니다:",
    ),
    "ipc.child": (
        ("unshare --ipc starts a shell in a new IPC namespace. It starts from the defaults, not from\n"
         "the host's value, and its own sysctl -w changes only its own namespace:"),
        ("unshare --ipc로 새로운 ipc ns를 갖는 자식 process(shell)를 만듭니다. IPC namespace가 분리되면\n"
         "host와 다른 값(default 값)을 가지며, 그 안의 sysctl -w는 자기 namespace의 값만 바꿉니다:"),
    ),
    "ipc.after": (
        "Back in the parent, the host's value is untouched: each side kept its own value.",
        "host ipc namespace로 돌아오면 host 값은 그대로입니다: 두 namespace가 각자의 값을 유지합니다.",
    ),
    "ipc.inproc": (
        ("Without the mount the shell would see the host's /proc/sys, so the same runs through the\n"
         "model: Kernel.unshare(ipc=True), then sysctl's reads and writes in the child's namespace."),
        ("mount 없이는 shell이 host의 /proc/sys를 보게 되므로, 같은 과정을 모델로 실행합니다:\n"
         "Kernel.unshare(ipc=True) 후 자식 namespace에서 sysctl이 읽고 씁니다."),
    ),
    # ------------------------------------------------------------------ step 5
    "cprog.title": ("the article's C program (clone with CLONE_NEWIPC)",
                    "IPC namespace 분리 시 kernel.sem 값 확인: a.out"),
    "cprog.intro": (
        ("The article's program prints kernel.sem in the host IPC namespace, then creates a child\n"
         "process with a new IPC namespace (clone, CLONE_NEWIPC) that prints it again:"),
        ("host ipc namespace에서의 kernel.sem을 출력하고, 새로운 ipc ns를 갖는 자식 process를\n"
         "생성하여(clone, CLONE_NEWIPC) kernel.sem을 출력하는 프로그램을 실행합니다(a.out 소스):"),
    ),
    "cprog.nocc": (
        "No working C compiler here: the same test in Python (fork, then unshare(CLONE_NEWIPC)):",
        "C 컴파일러가 없어서 같은 테스트를 Python으로 합니다(fork 후 unshare(CLONE_NEWIPC)):",
    ),
    "cprog.inproc": (
        ("Without the mount the program would read the host's /proc/sys, so the same test\n"
         "runs through the model: Kernel.unshare(ipc=True), then a read in the child's namespace."),
        ("mount 없이는 프로그램이 host의 /proc/sys를 읽게 되므로, 같은 테스트를 모델로 실행합니다:\n"
         "Kernel.unshare(ipc=True) 후 자식 namespace에서 읽습니다."),
    ),
    "cprog.after": (
        ("The child got the compile-time defaults, not the host's value: a new IPC namespace\n"
         "never copies its creator's IPC sysctls. Containers (and pods) each get one."),
        ("자식은 host 값이 아니라 default 값을 가집니다: 새 IPC namespace는 만든 process의\n"
         "IPC 파라미터를 복사하지 않습니다. 컨테이너(그리고 pod)는 각자 하나씩 가집니다."),
    ),
    # ------------------------------------------------------------------ step 6
    "k8s.title": ("Kubernetes: the pod refused, then allowed", "K8S에서의 sysctl 설정: pod 실패, 그리고 성공"),
    "k8s.intro": (
        ("Kubernetes sets kernel parameters per pod (spec.securityContext.sysctls). Safe parameters\n"
         "are enabled by default; unsafe ones must be enabled per node by the cluster admin.\n"
         "kernel.sem is unsafe. The article's pod:"),
        ("K8S에서 커널 파라미터 변경을 위해 sysctls spec을 설정할 수 있습니다. safe 파라미터는 default로\n"
         "enable되고, unsafe 파라미터는 cluster admin을 통해 node별로 enable해야 합니다.\n"
         "kernel.sem은 unsafe 파라미터입니다. 글의 pod:"),
    ),
    "k8s.refused": (
        "A pod using a disabled unsafe sysctl is scheduled, but fails to launch (SysctlForbidden):",
        "disabled unsafe sysctls를 사용한 pod은 스케줄링까지는 되지만, launch는 실패합니다(SysctlForbidden):",
    ),
    "k8s.status": (
        'Kubernetes {version} still says "{word}" ("not allowlisted" from 1.22 on).',
        'Kubernetes {version}은 아직 "{word}"라고 씁니다(1.22부터 "not allowlisted").',
    ),
    "k8s.allow": (
        ("The cluster admin enables it on the node: kubelet --allowed-unsafe-sysctls 'kernel.sem'\n"
         "(the article adds it to KUBELET_EXTRA_ARGS, then daemon-reload and restarts the kubelet).\n"
         "A failed pod stays failed, so delete it and deploy the pod again:"),
        ("kubelet config에 sysctl unsafe parameter를 활성화합니다: kubelet --allowed-unsafe-sysctls 'kernel.sem'\n"
         "(글에서는 KUBELET_EXTRA_ARGS에 추가하고 daemon-reload 후 kubelet restart).\n"
         "실패한 pod은 그대로 남으므로 지우고 pod 다시 deploy:"),
    ),
    "k8s.running": ("The deploy succeeded:", "deploy 성공:"),
    # ------------------------------------------------------------------ step 7
    "exec.title": ("exec: kernel.sem on the node and in the pod", "kernel.sem 비교: node와 pod (exec)"),
    "exec.setup": (
        "The pod of step 6 is not here (this step ran alone): deploy it with kernel.sem allowed.",
        "6단계의 pod이 없습니다(이 단계만 실행): kernel.sem을 허용하고 deploy합니다.",
    ),
    "exec.intro": (
        "The node keeps its own value; the pod has its own IPC namespace holding the pod's:",
        "kernel.sem 비교: node는 자기 값을 유지하고, pod은 자기 IPC namespace에 pod의 값을 가집니다:",
    ),
    "exec.failed": ("the pod did not start: {verdict}", "pod이 시작되지 않았습니다: {verdict}"),
    # ------------------------------------------------------------------ step 8
    "tree8.title": ("the namespaces as a tree", "namespace를 tree로 보기"),
    "tree8.intro": (
        ("Every namespace the fake kernel holds now, each under the one it was created from, with the\n"
         "values that differ from its parent: the pod's sandbox hangs off the host's namespaces.\n"
         "Through the mount, a real namespace a program made (unshare, clone) shows as unlabelled\n"
         "until its last process is gone. (fakeproc ns tree -o namespaces.svg draws it as an image.)"),
        ("가짜 커널이 지금 가진 모든 namespace를 만들어진 namespace 아래에 보여주고, 부모와 다른 값만\n"
         "표시합니다: pod의 sandbox가 host namespace 아래에 붙어 있습니다.\n"
         "mount를 통해 프로그램이 만든 실제 namespace(unshare, clone)는 마지막 process가 끝날 때까지\n"
         "unlabelled로 보입니다. (fakeproc ns tree -o namespaces.svg는 그림으로 그립니다.)"),
    ),
}


def check_lang(lang: str) -> str:
    """``lang`` if the demo speaks it.

    Raises:
        UsageError: an unknown language.
    """
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return lang


def text(key: str, lang: str = "en", **fields: object) -> str:
    """The sentence ``key`` in ``lang``, with ``fields`` filled in."""
    template = TEXT[key][LANGUAGES.index(lang)]
    return template.format(**fields) if fields else template
