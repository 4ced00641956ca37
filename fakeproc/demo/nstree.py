"""The fake kernel's namespaces as a tree, with the values that differ from each parent.

Every live namespace of a :class:`fakeproc.Kernel` hangs under the one it was
created from: the initial namespaces at the roots, then each ``unshare``, each
pod sandbox (labelled ``pod/NAMESPACE/NAME`` by the Kubernetes runtime) and
each real namespace the FUSE mount followed (unlabelled, like an unlabelled
``Kernel.unshare``). For the chosen keys, a root shows its values and every
other namespace the values that differ from its parent's. :func:`render_text`
draws it for a terminal; :func:`render_image` writes SVG or PNG with Graphviz
(the optional ``image`` extra and Graphviz's ``dot``).

>>> from fakeproc import Kernel
>>> k = Kernel("6.18")
>>> k.set("kernel.sem", "33000 1024000000 500 32000")
>>> child = k.unshare(k.init_ns, ipc=True, label="demo")
>>> print(render_text(namespace_tree(k, ["kernel.sem"], types=["ipc"])))
ipc 3  initial  kernel.sem = 33000 1024000000 500 32000
└── ipc 6  unshare "demo"  kernel.sem = 32000 1024000000 500 32000
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fakeproc.errors import UnavailableError, UsageError
from fakeproc.model import NamespaceSet
from fakeproc.spec import NAMESPACE_TYPES, NamespaceType

if TYPE_CHECKING:
    from fakeproc.model import Kernel, Namespace

__all__ = ["DEFAULT_KEYS", "NsNode", "namespace_tree", "render_image", "render_text"]

#: Keys shown when none are chosen: one per namespace type of the seed's story.
DEFAULT_KEYS = ("kernel.sem", "net.core.somaxconn", "kernel.hostname")
_TYPES = ("ipc", "net", "uts", "user")
_POD_PREFIX = "pod/"


@dataclass(frozen=True)
class NsNode:
    """One namespace in the tree.

    Attributes:
        type: ``ipc``, ``net``, ``uts`` or ``user``.
        id: The model's namespace id.
        origin: ``initial``, ``pod sandbox NS/NAME``, ``unshare "LABEL"``, or ``unlabelled``
            (an unlabelled ``unshare``, or a real namespace followed through the mount).
        values: ``(key, value)`` shown: all chosen keys at a root, the differing ones below.
        devices: Network devices (net namespaces only).
        children: The namespaces created from this one, oldest first.
    """

    type: str
    id: int
    origin: str
    values: tuple[tuple[str, str], ...]
    devices: tuple[str, ...]
    children: tuple[NsNode, ...]

    def walk(self) -> Iterable[NsNode]:
        """This node and every descendant, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()


def _origin(ns: Namespace) -> str:
    if ns.is_init:
        return "initial"
    if ns.label and ns.label.startswith(_POD_PREFIX):
        return f"pod sandbox {ns.label[len(_POD_PREFIX):]}"
    if ns.label:
        return f'unshare "{ns.label}"'
    return "unlabelled"


def _nsset(kernel: Kernel, ns: Namespace) -> NamespaceSet:
    """A set made of ``ns`` and the initial namespaces of the other types (enough to read its keys)."""
    members = {t.value: kernel.init_ns.get(t) for t in NAMESPACE_TYPES}
    members[ns.type.value] = ns
    return NamespaceSet(**members)  # type: ignore[arg-type]


def _read(kernel: Kernel, key: str, ns: Namespace) -> str | None:
    try:
        return " ".join(kernel.read(key, ns=_nsset(kernel, ns)).split())
    except OSError:  # absent in this namespace (a per-device key without its device)
        return None


def _keys_by_type(kernel: Kernel, keys: Sequence[str]) -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = {t: [] for t in _TYPES}
    for key in keys:
        try:
            spec = kernel.spec(key)
        except OSError:
            raise UsageError(f"unknown sysctl {key!r} in this kernel ({kernel.profile.name})") from None
        if spec.namespace is NamespaceType.GLOBAL:
            raise UsageError(f"{key} is not namespaced: the whole kernel has one value, so it is the same "
                             "in every namespace")
        by_type[spec.namespace.value].append(key)
    return by_type


def namespace_tree(kernel: Kernel, keys: Sequence[str] = DEFAULT_KEYS, *,
                   types: Sequence[str] = _TYPES) -> list[NsNode]:
    """One tree per namespace type, rooted at the initial namespace.

    Args:
        kernel: The kernel whose live namespaces are drawn.
        keys: Sysctls to show; each belongs to one namespace type.
        types: Which namespace types (default all four).

    Raises:
        UsageError: an unknown key, or one that is not namespaced.
    """
    by_type = _keys_by_type(kernel, keys)
    roots = []
    for t in types:
        live = kernel.namespaces(NamespaceType(t))
        ids = {ns.id for ns in live}
        children: dict[int | None, list[Namespace]] = {}
        for ns in live:
            parent = ns.parent.id if ns.parent is not None and ns.parent.id in ids else None
            children.setdefault(None if ns.is_init else parent, []).append(ns)

        def build(ns: Namespace, parent_values: dict[str, str | None] | None, t: str = t,
                  children: dict[int | None, list[Namespace]] = children) -> NsNode:
            mine = {key: _read(kernel, key, ns) for key in by_type[t]}
            shown = tuple((k, v) for k, v in mine.items() if v is not None
                          and (parent_values is None or parent_values.get(k) != v))
            kids = tuple(build(c, mine) for c in sorted(children.get(ns.id, []), key=lambda n: n.id))
            devices = tuple(ns.devices) if t == "net" else ()
            return NsNode(t, ns.id, _origin(ns), shown, devices, kids)

        # Roots: the initial namespace, then any whose parent is gone.
        for ns in sorted(children.get(None, []), key=lambda n: (not n.is_init, n.id)):
            roots.append(build(ns, None))
    return roots


def _describe(node: NsNode) -> str:
    parts = [f"{node.type} {node.id}", node.origin]
    parts += [f"{k} = {v}" for k, v in node.values]
    if node.devices:
        parts.append("devices: " + ", ".join(node.devices))
    return "  ".join(parts)


def render_text(roots: Sequence[NsNode]) -> str:
    """The trees drawn with box-drawing characters, one namespace per line."""
    lines: list[str] = []

    def draw(node: NsNode, prefix: str, last: bool, top: bool) -> None:
        lines.append(_describe(node) if top else f"{prefix}{'└── ' if last else '├── '}{_describe(node)}")
        inner = prefix if top else prefix + ("    " if last else "│   ")
        for i, c in enumerate(node.children):
            draw(c, inner, i == len(node.children) - 1, False)

    for root in roots:
        draw(root, "", True, True)
    return "\n".join(lines)


#: Output formats :func:`render_image` writes, by file suffix.
IMAGE_FORMATS = {".svg": "svg", ".png": "png"}


def render_image(roots: Sequence[NsNode], path: str | Path) -> Path:
    """Write the trees as an image (``.svg`` or ``.png``) laid out by Graphviz.

    Raises:
        UsageError: another suffix.
        UnavailableError: the ``graphviz`` package or Graphviz's ``dot`` is missing.
    """
    path = Path(path)
    fmt = IMAGE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: the image must be .svg or .png")
    try:
        import graphviz
    except ImportError:
        raise UnavailableError("drawing an image needs the graphviz package: pip install 'fakeproc[image]' "
                               "(and Graphviz itself: apt-get install graphviz)") from None
    g = graphviz.Digraph("namespaces", graph_attr={"rankdir": "TB", "fontname": "sans-serif"},
                         node_attr={"shape": "box", "style": "rounded,filled", "fontname": "monospace",
                                    "fontsize": "10"})
    colours = {"ipc": "#dbeafe", "net": "#dcfce7", "uts": "#fef3c7", "user": "#f3e8ff"}
    for root in roots:
        for node in root.walk():
            label = "\n".join([f"{node.type} {node.id}: {node.origin}",
                               *(f"{k} = {v}" for k, v in node.values),
                               *(["devices: " + ", ".join(node.devices)] if node.devices else [])])
            g.node(f"{node.type}{node.id}", label, fillcolor=colours[node.type])
            for c in node.children:
                g.edge(f"{node.type}{node.id}", f"{c.type}{c.id}")
    try:
        data: bytes = g.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise UnavailableError("drawing an image needs Graphviz's dot program: apt-get install graphviz") from None
    path.write_bytes(data)
    return path
