"""``fakeproc ns tree``: the namespaces as a tree, as text and as an image."""

from __future__ import annotations

import re
import shutil
import textwrap

import pytest

from fakeproc import Kernel
from fakeproc.cli.main import main
from fakeproc.demo.nstree import namespace_tree, render_image, render_text
from fakeproc.errors import UnavailableError, UsageError


def _kernel() -> Kernel:
    """The seed's story: a host value, an unshared child with its own, a grandchild, a pod."""
    from fakeproc.kubernetes import NodeConfig, apply, pod

    k = Kernel("6.18")
    k.set("kernel.sem", "33000 1024000000 500 32000")
    child = k.unshare(k.init_ns, ipc=True, uts=True, label="shell")
    k.write("kernel.sem", "20000 1024000000 500 32000", ns=child)
    k.write("kernel.hostname", "box", ns=child)
    k.unshare(child, ipc=True)  # unlabelled, as the mount's real namespaces are
    apply(pod("web", {"kernel.sem": "10000 1024000000 500 32000"}), k,
          NodeConfig.create(allowed_unsafe_sysctls="kernel.sem"))
    return k


def test_tree_shows_each_namespace_under_its_parent_with_the_values_that_differ() -> None:
    assert render_text(namespace_tree(_kernel(), ["kernel.sem", "kernel.hostname", "net.core.somaxconn"])) == \
        textwrap.dedent("""\
        ipc 3  initial  kernel.sem = 33000 1024000000 500 32000
        ├── ipc 6  unshare "shell"  kernel.sem = 20000 1024000000 500 32000
        │   └── ipc 8  unlabelled  kernel.sem = 32000 1024000000 500 32000
        └── ipc 9  pod sandbox default/web  kernel.sem = 10000 1024000000 500 32000
        net 4  initial  net.core.somaxconn = 4096  devices: lo, eth0, ifb0, ifb1
        └── net 10  pod sandbox default/web  devices: lo, eth0
        uts 5  initial  kernel.hostname = (none)
        ├── uts 7  unshare "shell"  kernel.hostname = box
        └── uts 11  pod sandbox default/web  kernel.hostname = web
        user 2  initial""")


def test_a_value_equal_to_the_parents_is_not_repeated() -> None:
    k = Kernel("6.18")
    k.unshare(k.init_ns, ipc=True, label="same")
    assert render_text(namespace_tree(k, ["kernel.sem"], types=["ipc"])) == (
        "ipc 3  initial  kernel.sem = 32000 1024000000 500 32000\n└── ipc 6  unshare \"same\"")


@pytest.mark.parametrize(("key", "message"), [
    ("vm.swappiness", ("vm.swappiness is not namespaced: the whole kernel has one value, so it is the same "
                       "in every namespace")),
    ("kernel.nope", "unknown sysctl 'kernel.nope' in this kernel (6.18)"),
])
def test_keys_must_be_namespaced_sysctls(key: str, message: str) -> None:
    with pytest.raises(UsageError) as e:
        namespace_tree(Kernel("6.18"), [key])
    assert str(e.value) == message


def test_cli_draws_the_state_files_kernel(tmp_path, capsys) -> None:
    state = str(tmp_path / "state.json")
    _kernel().save(state)
    assert main(["ns", "tree", "--state", state, "--key", "kernel.sem"]) == 0
    assert capsys.readouterr().out.splitlines()[:4] == [
        "ipc 3  initial  kernel.sem = 33000 1024000000 500 32000",
        '├── ipc 6  unshare "shell"  kernel.sem = 20000 1024000000 500 32000',
        "│   └── ipc 8  unlabelled  kernel.sem = 32000 1024000000 500 32000",
        "└── ipc 9  pod sandbox default/web  kernel.sem = 10000 1024000000 500 32000"]


def test_cli_refuses_a_global_key_in_one_line(tmp_path, capsys) -> None:
    assert main(["ns", "tree", "--state", str(tmp_path / "s.json"), "--key", "vm.swappiness"]) == 2
    assert capsys.readouterr().err == ("fakeproc: vm.swappiness is not namespaced: the whole kernel has one value, "
                                       "so it is the same in every namespace\n")


def _graphviz_ok() -> bool:
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


@pytest.mark.skipif(not _graphviz_ok(), reason="the image extra (graphviz package) or Graphviz's dot is missing")
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_image_has_a_box_per_namespace_and_an_edge_per_parent(tmp_path, capsys, suffix: str) -> None:
    state = str(tmp_path / "state.json")
    _kernel().save(state)
    out = tmp_path / f"tree{suffix}"
    assert main(["ns", "tree", "--state", state, "--key", "kernel.sem", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out} (10 namespaces)\n"
    data = out.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        return
    svg = data.decode()
    assert svg.count('class="node"') == 10 and svg.count('class="edge"') == 6
    assert "ipc 9: pod sandbox default/web" in svg
    assert "kernel.sem = 10000 1024000000 500 32000" in svg


def test_image_without_the_graphviz_package_fails_in_one_line(tmp_path, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    with pytest.raises(UnavailableError) as e:
        render_image(namespace_tree(Kernel("6.18")), tmp_path / "x.svg")
    assert str(e.value) == ("drawing an image needs the graphviz package: pip install 'fakeproc[image]' "
                            "(and Graphviz itself: apt-get install graphviz)")
    assert not (tmp_path / "x.svg").exists()


def test_image_suffix_must_be_svg_or_png(tmp_path) -> None:
    with pytest.raises(UsageError, match=r"x\.gif: the image must be \.svg or \.png"):
        render_image(namespace_tree(Kernel("6.18")), tmp_path / "x.gif")


def _fuse_ok() -> bool:
    from fakeproc.sandbox import fuse_available

    return fuse_available()[0]


@pytest.mark.fuse
@pytest.mark.skipif(not _fuse_ok(), reason="FUSE is not usable here")
def test_a_real_namespace_seen_through_the_mount_is_drawn_under_its_parent() -> None:
    import subprocess

    import fakeproc

    k = Kernel("6.18")
    k.set("kernel.sem", "33000 1024000000 500 32000")
    with fakeproc.mounted(kernel=k) as m:
        p = m.popen(["unshare", "--ipc", "sh", "-c", "sysctl -q -w kernel.sem='1 2 3 4'; echo ready; read x"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert p.stdout is not None and p.stdout.readline() == "ready\n"
            tree = render_text(namespace_tree(k, ["kernel.sem"], types=["ipc"]))
        finally:
            p.communicate("\n", timeout=60)
    first, *rest = tree.splitlines()
    assert first == "ipc 3  initial  kernel.sem = 33000 1024000000 500 32000"
    # The id is whatever the resolver gave the real namespace; everything else is exact.
    assert len(rest) == 1 and re.fullmatch(r"└── ipc \d+  unlabelled  kernel\.sem = 1 2 3 4", rest[0]), rest
