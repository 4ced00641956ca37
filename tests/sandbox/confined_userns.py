"""AppArmor's restriction of unprivileged user namespaces, simulated for one process tree.

On Ubuntu 23.10+ (``kernel.apparmor_restrict_unprivileged_userns=1``, GitHub's ``ubuntu-24.04``)
``unshare(CLONE_NEWUSER)`` succeeds, but the unconfined caller moves to the
``unprivileged_userns`` profile, which denies every capability inside the new namespace and
has no mount rules. What the tools then see, from the kernel sources:

* ``write(2)`` of ``/proc/<pid>/uid_map`` (or ``gid_map``, ``projid_map``) opened inside:
  EPERM (``map_write``: the opener lacks CAP_SYS_ADMIN over the map's namespace); the open
  itself succeeds. ``unshare -Ur`` prints ``write failed /proc/self/uid_map: Operation not
  permitted``;
* ``open(2)`` of ``/proc/<pid>/setgroups`` for writing: EACCES (``proc_setgroups_open``);
* ``mount(2)``: EACCES (AppArmor's ``sb_mount`` hook runs before ``may_mount``);
* the other mount calls, and a further ``unshare``/``clone`` of a non-user namespace: EPERM
  (the capability check).

Processes that never left the initial user namespace (the setuid ``fusermount3`` among them)
are not affected. There is no AppArmor on the machines this suite runs on, so root traces the
test's process tree with ptrace: a seccomp filter (installed as root, so setuid binaries keep
working, and without a listener, so fakeproc's own seccomp backend can still install its
filter) sends only the calls above to the tracer, which answers them as the restriction
would for a caller outside the initial user namespace and lets everything else continue.
Other capability checks inside the namespace (``sethostname``, ``setgroups(2)``...) and
``clone3`` are not simulated. The tracer ends with the first process; one that outlives it gets
ENOSYS for the traced calls (a daemon started inside should be stopped before).

A map file opened for writing inside is redirected to the same file of a throw-away
namespace held by a helper of the caller's uid: its reads give the same (empty) map, and
its writes fail with the same EPERM (``proc_uid_map_write``: a namespace that is neither
the opener's nor its parent).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import signal
import struct
import sys
from collections.abc import Sequence

__all__ = ["run_confined"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long

AUDIT_ARCH_X86_64 = 0xC000003E
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_TRACE = 0x7FF00000
PTRACE_CONT, PTRACE_GETREGS, PTRACE_SETREGS = 7, 12, 13
PTRACE_SEIZE, PTRACE_LISTEN = 0x4206, 0x4208
PTRACE_O_TRACEFORK, PTRACE_O_TRACEVFORK, PTRACE_O_TRACECLONE, PTRACE_O_TRACESECCOMP = 2, 4, 8, 0x80
PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP = 7, 128
WALL = 0x40000000
PR_SET_DUMPABLE = 4
CLONE_NEWUSER = 0x10000000
#: Namespace flags other than CLONE_NEWUSER (CLONE_NEWTIME is unshare-only).
OTHER_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x20000000 | 0x40000000 | 0x80
OPEN_TREE_CLONE = 1
AT_FDCWD = -100

# x86_64 syscall numbers.
NR_OPEN, NR_CLONE, NR_PIVOT_ROOT, NR_MOUNT, NR_UMOUNT2 = 2, 56, 155, 165, 166
NR_OPENAT, NR_UNSHARE = 257, 272
NR_OPEN_TREE, NR_MOVE_MOUNT, NR_FSOPEN, NR_FSMOUNT, NR_FSPICK = 428, 429, 430, 432, 433
NR_OPENAT2, NR_MOUNT_SETATTR = 437, 442

#: Calls refused inside a confined namespace, and the errno the restriction gives.
REFUSED = {NR_MOUNT: errno.EACCES, NR_UMOUNT2: errno.EPERM, NR_PIVOT_ROOT: errno.EPERM,
           NR_MOVE_MOUNT: errno.EPERM, NR_FSOPEN: errno.EPERM, NR_FSMOUNT: errno.EPERM,
           NR_FSPICK: errno.EPERM, NR_MOUNT_SETATTR: errno.EPERM}
_MAP_FILE = re.compile(r"^/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/(uid_map|gid_map|projid_map|setgroups)$")

# user_regs_struct indexes (arch/x86/include/uapi/asm/ptrace.h).
R10, RAX, RDX, RSI, RDI, ORIG_RAX, RSP = 7, 10, 12, 13, 14, 15, 19


def _filter() -> bytes:
    """The classic BPF program: RET_TRACE for the calls the restriction can refuse, else ALLOW."""
    traced = (NR_MOUNT, NR_UMOUNT2, NR_PIVOT_ROOT, NR_UNSHARE, NR_OPEN_TREE, NR_MOVE_MOUNT, NR_FSOPEN,
              NR_FSMOUNT, NR_FSPICK, NR_OPENAT2, NR_MOUNT_SETATTR)
    # (code, jt, jf, k) with symbolic jump targets resolved below.
    prog: list[tuple[int, object, object, int]] = [
        (0x20, 0, 0, 4), (0x15, 0, "allow", AUDIT_ARCH_X86_64), (0x20, 0, 0, 0)]
    prog += [(0x15, "trace", 0, nr) for nr in traced]
    prog += [(0x15, "openat", 0, NR_OPENAT), (0x15, "open", 0, NR_OPEN), (0x15, "clone", 0, NR_CLONE),
             (0x06, 0, 0, SECCOMP_RET_ALLOW)]
    labels = {"openat": len(prog)}
    prog += [(0x20, 0, 0, 16 + 2 * 8), (0x45, "trace", "allow", 3)]  # O_WRONLY|O_RDWR in args[2]
    labels["open"] = len(prog)
    prog += [(0x20, 0, 0, 16 + 1 * 8), (0x45, "trace", "allow", 3)]
    labels["clone"] = len(prog)
    prog += [(0x20, 0, 0, 16), (0x45, "trace", "allow", OTHER_NAMESPACES)]
    labels["trace"] = len(prog)
    prog.append((0x06, 0, 0, SECCOMP_RET_TRACE))
    labels["allow"] = len(prog)
    prog.append((0x06, 0, 0, SECCOMP_RET_ALLOW))

    def jump(at: int, target: object) -> int:
        return labels[target] - at - 1 if isinstance(target, str) else int(target)  # type: ignore[call-overload]

    return b"".join(struct.pack("HBBI", code, jump(i, jt), jump(i, jf), k) for i, (code, jt, jf, k) in enumerate(prog))


def _install_filter() -> None:
    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    raw = _filter()
    buf = ctypes.create_string_buffer(raw, len(raw))
    prog = Prog(len(raw) // 8, ctypes.addressof(buf))
    if _libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp")


def _ptrace(request: int, pid: int, addr: int = 0, data: int = 0) -> None:
    if _libc.ptrace(request, pid, addr, data) != 0:
        raise OSError(ctypes.get_errno(), f"ptrace({request})")


class _Tracer:
    def __init__(self, main: int) -> None:
        self.main = main
        self.initial_userns = os.readlink("/proc/self/ns/user")
        self.helpers: dict[tuple[int, int], int] = {}
        self.keep: list[int] = []  # write ends of the helpers' pipes: they live as long as the tracer

    def confined(self, pid: int) -> bool:
        try:
            return os.readlink(f"/proc/{pid}/ns/user") != self.initial_userns
        except OSError:
            return False

    def helper(self, pid: int) -> int:
        """A process with the caller's uid and gid in a throw-away user namespace of its own."""
        with open(f"/proc/{pid}/status") as f:
            ids = {line.split(":")[0]: int(line.split()[4]) for line in f if line.startswith(("Uid:", "Gid:"))}
        key = (ids["Uid"], ids["Gid"])
        if key not in self.helpers:
            hold_r, hold_w = os.pipe()
            ready_r, ready_w = os.pipe()
            child = os.fork()
            if child == 0:  # pragma: no cover - the helper
                try:
                    os.close(hold_w)
                    os.setgroups([])
                    os.setresgid(key[1], key[1], key[1])
                    os.setresuid(key[0], key[0], key[0])
                    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # else its /proc files belong to root
                    if _libc.unshare(CLONE_NEWUSER) != 0:
                        os._exit(1)
                    os.write(ready_w, b"1")
                    os.read(hold_r, 1)
                finally:
                    os._exit(0)
            os.close(hold_r)
            os.close(ready_w)
            os.read(ready_r, 1)
            os.close(ready_r)
            self.keep.append(hold_w)
            self.helpers[key] = child
        return self.helpers[key]

    def path(self, pid: int, dirfd: int, address: int) -> str:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            mem.seek(address)
            raw = mem.read(4096).split(b"\0", 1)[0]
        text = raw.decode("utf-8", "surrogateescape")
        if not text.startswith("/"):
            base = os.readlink(f"/proc/{pid}/cwd" if dirfd == AT_FDCWD else f"/proc/{pid}/fd/{dirfd}")
            text = os.path.join(base, text)
        return os.path.normpath(text)

    def answer(self, pid: int) -> None:
        """One seccomp stop: refuse the call, redirect a map file, or let it run."""
        regs = (ctypes.c_ulonglong * 27)()
        _ptrace(PTRACE_GETREGS, pid, 0, ctypes.addressof(regs))
        if not self.confined(pid):
            return
        nr = regs[ORIG_RAX]
        refusal = REFUSED.get(nr)
        clones_tree = nr == NR_OPEN_TREE and regs[RDX] & OPEN_TREE_CLONE
        new_namespace = nr in (NR_UNSHARE, NR_CLONE) and regs[RDI] & OTHER_NAMESPACES
        if clones_tree or new_namespace:
            refusal = errno.EPERM
        elif nr in (NR_OPEN, NR_OPENAT, NR_OPENAT2):
            slot = RDI if nr == NR_OPEN else RSI
            dirfd = AT_FDCWD if nr == NR_OPEN else ctypes.c_int(regs[RDI] & 0xFFFFFFFF).value
            try:
                match = _MAP_FILE.match(self.path(pid, dirfd, regs[slot]))
            except OSError:
                match = None
            if match and match.group(1) == "setgroups":
                refusal = errno.EACCES
            elif match:
                new = f"/proc/{self.helper(pid)}/{match.group(1)}".encode() + b"\0"
                address = (regs[RSP] - 256 - len(new)) & ~0xF  # below the red zone
                with open(f"/proc/{pid}/mem", "r+b", buffering=0) as mem:
                    mem.seek(address)
                    mem.write(new)
                regs[slot] = address
        if refusal is not None:
            regs[ORIG_RAX] = 2**64 - 1  # skip the call...
            regs[RAX] = 2**64 - refusal  # ...and return -errno
        _ptrace(PTRACE_SETREGS, pid, 0, ctypes.addressof(regs))

    def loop(self) -> int:
        """Serve the tracees until the main one ends; its exit status (128+N for signal N)."""
        seen = {self.main}
        while True:
            try:
                pid, status = os.waitpid(-1, WALL)
            except ChildProcessError:
                return 1
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                if pid == self.main:
                    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
                continue
            if not os.WIFSTOPPED(status):
                continue
            sig, event = os.WSTOPSIG(status), status >> 16
            inject = 0
            try:
                if event == PTRACE_EVENT_SECCOMP:
                    self.answer(pid)
                elif event == PTRACE_EVENT_STOP:
                    if pid in seen and sig in (signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
                        _ptrace(PTRACE_LISTEN, pid)  # a group stop: stay stopped until SIGCONT
                        continue
                    seen.add(pid)  # a new tracee's first stop
                elif event == 0:
                    inject = sig  # a signal for the tracee: deliver it
                _ptrace(PTRACE_CONT, pid, 0, inject)
            except (ProcessLookupError, FileNotFoundError):
                continue  # killed meanwhile
            except OSError as e:
                if e.errno != errno.ESRCH:
                    raise


def run_confined(argv: Sequence[str]) -> int:
    """Run ``argv`` (as a child of this root process) with user namespaces confined as AppArmor's
    restriction does; its exit status."""
    go_r, go_w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the traced child
        try:
            os.close(go_w)
            _install_filter()
            os.read(go_r, 1)  # traced from here on
            os.execvp(argv[0], list(argv))
        except OSError as e:
            sys.stderr.write(f"confined_userns: {e}\n")
        finally:
            os._exit(127)
    os.close(go_r)
    options = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACESECCOMP
    _ptrace(PTRACE_SEIZE, child, 0, options)
    os.write(go_w, b"1")
    os.close(go_w)
    return _Tracer(child).loop()
