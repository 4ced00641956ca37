"""Can this host mount FUSE file systems and make user namespaces? If not, say how to fix it.

>>> ok, why = fuse_available()
>>> isinstance(ok, bool) and isinstance(why, str)
True
"""

from __future__ import annotations

import errno
import functools
import importlib
import os
import shutil
import stat
import subprocess
import sys

__all__ = [
    "fuse_available",
    "fuse_problem",
    "has_cap_sys_admin",
    "mount_problem",
    "redirect_needed",
    "require_fuse",
    "require_userns",
    "userns_problem",
]

_DOCKER = "in Docker/Podman, run the container with `--device /dev/fuse --cap-add SYS_ADMIN`"
_CAP_SYS_ADMIN = 21


def _status(field: str) -> int | None:
    """A numeric field of /proc/self/status (``CapEff`` and ``CapBnd`` are hexadecimal)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    value = line.split()[1]
                    return int(value, 16 if field.startswith("Cap") else 10)
    except (OSError, ValueError, IndexError):
        pass
    return None


def has_cap_sys_admin() -> bool:
    """Whether this process has CAP_SYS_ADMIN in its own user namespace."""
    caps = _status("CapEff")
    return os.geteuid() == 0 if caps is None else bool(caps >> _CAP_SYS_ADMIN & 1)


def _setuid_problem() -> str | None:
    """Why the setuid fusermount could not mount for this process even though it is installed:
    it gains nothing under no_new_privs, and no more than the capability bounding set allows
    (Docker drops CAP_SYS_ADMIN from it unless ``--cap-add SYS_ADMIN``)."""
    if _status("NoNewPrivs"):
        return ("the setuid fusermount cannot mount under no_new_privs (set on this process or an "
                "ancestor, e.g. by a seccomp sandbox): run fakeproc outside it, or as root")
    bounding = _status("CapBnd")
    if bounding is not None and not bounding >> _CAP_SYS_ADMIN & 1:
        return ("the setuid fusermount cannot mount: CAP_SYS_ADMIN is not in this process's capability "
                f"bounding set (a container started without it); {_DOCKER}")
    return None


def _fusermount() -> str | None:
    for name in ("fusermount", "fusermount3"):
        path = shutil.which(name) or (f"/bin/{name}" if os.path.exists(f"/bin/{name}") else None)
        if path:
            try:
                if os.stat(path).st_mode & stat.S_ISUID:
                    return path
            except OSError:
                continue
    return None


def fuse_problem(*, for_userns: bool = False) -> str | None:
    """What prevents a FUSE mount here, with the fix; None if nothing does.

    Args:
        for_userns: The mount will be made as root of a new user namespace
            (``fakeproc run`` as non-root), so the setuid fusermount is not needed.
    """
    if not os.path.exists("/dev/fuse"):
        return f"/dev/fuse does not exist: load the fuse kernel module (`modprobe fuse`) or, {_DOCKER}"
    try:
        fd = os.open("/dev/fuse", os.O_RDWR)
        os.close(fd)
    except OSError as e:
        if os.geteuid() == 0:
            return f"cannot open /dev/fuse ({e.strerror}): {_DOCKER}"
        return (
            f"cannot open /dev/fuse ({e.strerror}): it must be usable by your user; most distributions "
            "ship it as mode 0666 (fix with `sudo chmod 0666 /dev/fuse`), or run as root; "
            f"{_DOCKER}"
        )
    from fakeproc.backends.fuse import load_fusepy
    from fakeproc.errors import UnavailableError

    try:
        load_fusepy()
    except UnavailableError as e:
        return str(e)
    if os.geteuid() == 0 and not has_cap_sys_admin():
        return f"root without CAP_SYS_ADMIN cannot mount: {_DOCKER}"
    if os.geteuid() != 0 and not for_userns:
        if _fusermount() is None:
            return (
                "mounting as a non-root user needs the setuid fusermount: install it with "
                "`apt-get install fuse3` (Debian/Ubuntu) or run as root"
            )
        return _setuid_problem()
    return None


def mount_problem() -> str | None:
    """What prevents :func:`~fakeproc.sandbox.mounted` (a plain FUSE mount served by this process)
    here, with the fix; None if nothing does. A normal user mounts through the setuid fusermount."""
    return fuse_problem()


#: A child that makes a user + mount namespace the way the namespaces backend does, and prints the
#: first step that fails with its errno ("ok" if none does).
_USERNS_PROBE = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
uid, gid = os.geteuid(), os.getegid()
if libc.unshare(0x10000000 | 0x20000) != 0:
    raise SystemExit(print("unshare", ctypes.get_errno()))
for name, text in (("uid_map", f"0 {uid} 1"), ("setgroups", "deny"), ("gid_map", f"0 {gid} 1")):
    try:
        fd = os.open("/proc/self/" + name, os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as e:
        raise SystemExit(print("writing /proc/self/" + name, e.errno))
if libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None) != 0:
    raise SystemExit(print("mount", ctypes.get_errno()))
print("ok 0")
"""


def _userns_failure() -> tuple[str, int] | None:
    """The first step of making a user + mount namespace that fails here, with its errno."""
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _USERNS_PROBE], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    step, _, code = done.stdout.strip().rpartition(" ")
    if not code.isdigit() or step == "ok":
        return None
    return step, int(code)


def userns_problem() -> str | None:
    """What prevents an unprivileged user + mount namespace here, with the fix; None if nothing does.

    Where a namespace is created but gets no capabilities inside (AppArmor's restriction on
    Ubuntu 23.10+: the uid_map write fails with EPERM, a mount with EACCES), the message says so:
    the creation succeeding is not enough.
    """
    if shutil.which("unshare") is None:
        return "the `unshare` command is missing: install util-linux (`apt-get install util-linux`)"
    try:
        done = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "true"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"cannot run unshare: {e}"
    if done.returncode == 0:
        return None
    failure = _userns_failure()
    # AppArmor's restriction: the maps need CAP_SYS_ADMIN inside (EPERM, setgroups EACCES), and a
    # mount is refused by its profile (EACCES); a mount refused with EPERM is something else.
    confined = failure is not None and (
        failure[0].startswith("writing") and failure[1] in (errno.EPERM, errno.EACCES)
        or failure == ("mount", errno.EACCES)
    )
    if failure and confined:
        return (
            f"user namespaces are created here but get no capabilities inside ({failure[0]}: "
            f"{os.strerror(failure[1])}), as AppArmor's restriction of unprivileged user namespaces does "
            "(Ubuntu 23.10+): lift it with `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, "
            "or use `--backend seccomp`, which needs no user namespace"
        )
    detail = done.stderr.decode(errors="replace").strip().splitlines()
    return (
        f"unprivileged user namespaces are not available ({detail[-1] if detail else 'unshare failed'}): "
        "allow them with `sysctl -w user.max_user_namespaces=15000` (and "
        "`kernel.unprivileged_userns_clone=1` on older Debian kernels, "
        "`kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 23.10+); in Docker, the default "
        "seccomp profile forbids them: use `--security-opt seccomp=unconfined` or run as root"
    )


@functools.cache
def redirect_needed() -> bool:
    """Whether a command that must see a mount at ``/proc/sys`` is run under the seccomp backend's
    redirection instead of a user + mount namespace: for a normal user where user namespaces are
    unusable (Docker's seccomp profile, AppArmor's restriction) and the backend can run.
    Checked once per process."""
    if os.geteuid() == 0 or userns_problem() is None:
        return False
    try:
        seccomp = importlib.import_module("fakeproc.backends.seccomp")
    except ModuleNotFoundError:
        return False
    return seccomp.available() is None


def fuse_available() -> tuple[bool, str]:
    """Whether ``fakeproc run``/``mounted()`` can work here, and the reason when not.

    As root this needs a usable /dev/fuse, libfuse2 and CAP_SYS_ADMIN. As a
    normal user it also needs unprivileged user namespaces (for ``run``) or the
    setuid ``fusermount`` (for a plain ``mount``).
    """
    if os.geteuid() == 0:
        problem = fuse_problem()
    else:
        problem = fuse_problem(for_userns=True) or userns_problem()
    return (problem is None, problem or "")


def require_fuse(*, for_userns: bool = False) -> None:
    """Raise :class:`~fakeproc.errors.UnavailableError` if FUSE cannot be used.

    Raises:
        UnavailableError: with what is missing and how to enable it.
    """
    from fakeproc.errors import UnavailableError

    problem = fuse_problem(for_userns=for_userns)
    if problem:
        raise UnavailableError(problem)


def require_userns() -> None:
    """Raise :class:`~fakeproc.errors.UnavailableError` if unprivileged user namespaces are unavailable."""
    from fakeproc.errors import UnavailableError

    problem = userns_problem()
    if problem:
        raise UnavailableError(problem)
