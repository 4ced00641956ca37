"""Where a caller's path lands: the quick decisions (by name, by one lookup of our own) agree with
the component-by-component walk, and a changed root or mount switches to the walk for good."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakeproc.backends.seccomp import available
from fakeproc.backends.seccomp._paths import AT_FDCWD, UNDECIDED, Resolver, by_name

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

ME = os.getpid()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the kinds of symlinks a path can take into or out of /proc/sys."""
    t = tmp_path_factory.mktemp("paths")
    (t / "d").mkdir()
    (t / "d" / "f").write_text("x")
    links = {
        "to_vm": "/proc/sys/vm",                         # absolute, into the fake
        "to_proc": "/proc",                               # into procfs above /proc/sys
        "rel_up": "../" + t.name + "/d",                  # relative, back into the tree
        "to_etc": "/etc",                                 # out of everything
        "dangling_fake": "/proc/sys/net/ipv4/conf/fake0",  # missing on the host, present in a fake
        "dangling": t.name + "/nowhere",                  # missing anywhere
        "to_self_root": "/proc/self/root/proc/sys",       # through a magic link
        "chain": "to_vm",                                 # a symlink to a symlink
    }
    for name, target in links.items():
        (t / name).symlink_to(target)
    return t


CASES = [
    "/proc/sys/kernel/sem", "/proc/sys/", "/proc/sys", "/proc", "/proc/", "/", "/etc/hostname",
    "/proc/sys/kernel/../vm/swappiness", "/proc/sys/../sys/vm", "/proc/sys/../../etc",
    "/proc/self/root/proc/sys/kernel/sem", "/proc/thread-self/root/proc/../proc/sys/vm",
    "/proc/self/status", "/proc/meminfo", "/dev/stdin", "/dev/null", "/nonexistent/x",
    "/proc/sys/net/ipv4/conf/fake0/forwarding", "/etc/../proc/sys/vm", "/usr/bin/../../proc/sys",
    # the prefix test of resolve(): plain names only, else way 1 or the walk decides
    "/proc/sys/kernel/", "/proc/sys/net/ipv4/conf/lo.1/forwarding", "/proc/sys//kernel/sem",
    "/proc/sys/./kernel", "/proc/sys/.hidden", "/proc/sys/kernel/..", "/proc/sys/kernel/sem//",
]
TREE_CASES = [
    "to_vm/swappiness", "to_vm", "to_proc/sys/kernel", "to_proc/self/status", "rel_up/f", "to_etc/hostname",
    "dangling_fake", "dangling_fake/forwarding", "dangling", "to_self_root/kernel/sem", "chain/swappiness",
    "d/f", "d/missing", "d/f/below", "d/../to_vm/", "missing/also", ".", "..",
]


def _both(r: Resolver, dirfd: int, path: bytes, follow: bool) -> tuple[object, object]:
    return r.resolve(ME, dirfd, path, follow=follow), r.walk(ME, dirfd, path, follow=follow)


@pytest.mark.parametrize("follow", [True, False])
@pytest.mark.parametrize("path", CASES)
def test_absolute_paths_land_where_the_walk_says(path: str, follow: bool) -> None:
    quick, walked = _both(Resolver(), AT_FDCWD, path.encode(), follow)
    assert quick == walked


@pytest.mark.parametrize("follow", [True, False])
@pytest.mark.parametrize("path", TREE_CASES)
def test_paths_through_symlinks_and_dirfds_land_where_the_walk_says(tree: Path, path: str, follow: bool) -> None:
    r = Resolver()
    absolute = _both(r, AT_FDCWD, str(tree / path).encode(), follow)
    assert absolute[0] == absolute[1]
    d = os.open(tree, os.O_RDONLY | os.O_DIRECTORY)
    try:
        relative = _both(r, d, path.encode(), follow)
    finally:
        os.close(d)
    assert relative[0] == relative[1]


def test_the_quick_ways_find_the_cases_above() -> None:
    """The table above is answered by the quick ways for its plain paths (not all by the walk)."""
    r = Resolver()
    assert r._quick(ME, AT_FDCWD, b"/proc/sys/kernel/sem", True) == ("kernel/sem", False)
    assert r._quick(ME, AT_FDCWD, b"/etc/hostname", True) is None
    assert r._quick(ME, AT_FDCWD, b"/nonexistent-fakeproc/x", True) is UNDECIDED  # no parent
    assert r._quick(ME, AT_FDCWD, b"/etc/nonexistent-fakeproc", True) is None
    assert r._quick(ME, AT_FDCWD, b"/dev/stdin", True) is UNDECIDED  # a magic link on the way
    assert r._quick(ME, AT_FDCWD, b"/proc/meminfo", True) is UNDECIDED  # procfs: walked


def test_relative_paths_from_a_cwd_of_slash_are_walked_from_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    assert Resolver().walk(ME, AT_FDCWD, b"proc/sys/kernel/sem") == ("kernel/sem", False)
    assert Resolver().resolve(ME, AT_FDCWD, b"proc/sys/kernel/sem") == ("kernel/sem", False)


def test_a_changed_root_or_mount_makes_every_path_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    r = Resolver()
    r.view_changed("test")
    assert r.simple is False

    def no_quick(*_args: object) -> object:
        raise AssertionError("quick decision after a change of view")

    monkeypatch.setattr(r, "_quick", no_quick)
    assert r.resolve(ME, AT_FDCWD, b"/proc/sys/kernel/sem") == ("kernel/sem", False)
    assert r.resolve(ME, AT_FDCWD, b"/etc/hostname") is None


NAMES = st.sampled_from(["proc", "sys", "kernel", "vm", "..", ".", "", "self", "root", "etc", "tmp", "d"])


@given(st.lists(NAMES, min_size=1, max_size=8), st.booleans(), st.booleans())
def test_by_name_never_disagrees_with_the_walk(names: list[str], absolute: bool, slash: bool) -> None:
    path = ("/" if absolute else "") + "/".join(names) + ("/" if slash else "")
    found = by_name(path.encode()) if absolute else UNDECIDED
    if found is not UNDECIDED:
        assert found == Resolver().walk(ME, AT_FDCWD, path.encode())
    assert Resolver().resolve(ME, AT_FDCWD, path.encode()) == Resolver().walk(ME, AT_FDCWD, path.encode())


def _fake_dirs(asked: list[str]) -> Resolver:
    """A resolver whose fake has directories kernel/ and vm/ and files in them (and nothing else)."""
    import errno

    def check_dir(pid: int, rel: str) -> None:
        asked.append(rel)
        if rel not in ("kernel", "vm", "kernel/random"):
            raise OSError(errno.ENOTDIR if rel.count("/") == 1 else errno.ENOENT, rel)

    r = Resolver()
    r.check_dir = check_dir
    return r


@pytest.mark.parametrize("quick", [True, False])
@pytest.mark.parametrize(("path", "err"), [
    (b"/proc/sys/kernel/msgmax/.", "ENOTDIR"), (b"/proc/sys/kernel/msgmax/..", "ENOTDIR"),
    (b"/proc/sys/kernel/msgmax/../../vm", "ENOTDIR"), (b"/proc/sys/missing/..", "ENOENT"),
])
def test_dot_or_dotdot_after_a_file_is_refused_as_link_path_walk_does(path: bytes, err: str, quick: bool) -> None:
    import errno

    r = _fake_dirs([])
    with pytest.raises(OSError) as e:
        r.resolve(ME, AT_FDCWD, path) if quick else r.walk(ME, AT_FDCWD, path)
    assert e.value.errno == getattr(errno, err)


@pytest.mark.parametrize("quick", [True, False])
def test_dot_and_dotdot_after_directories_ask_and_resolve(quick: bool) -> None:
    asked: list[str] = []
    r = _fake_dirs(asked)
    path = b"/proc/sys/kernel/random/../../vm/./swappiness"
    found = r.resolve(ME, AT_FDCWD, path) if quick else r.walk(ME, AT_FDCWD, path)
    assert found == ("vm/swappiness", False)
    assert asked == ["kernel/random", "kernel", "vm"]


def test_without_check_dir_a_file_is_taken_for_a_directory() -> None:
    assert Resolver().resolve(ME, AT_FDCWD, b"/proc/sys/kernel/msgmax/..") == ("kernel", False)
