"""The task graph of a dask collection, drawn to be read: one column per partition, inputs at
the bottom, the result at the top, short labels inside boxes.

With graphviz installed (the ``dot`` program and the ``graphviz`` Python package) the drawing
is dask's own ``dask.visualize`` with ``dot``'s layered layout; otherwise networkx and
matplotlib draw the same layers, each partition's chain in its own column (so the chains never
cross) and the aggregations centred above the columns they join. Both write a PNG and an SVG
whose bytes depend only on the graph's shape and labels, not on dask's key tokens.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

from sda.io import atomic_path

FILL = "#c6dbef"
EDGE = "#6b6b6b"
ENGINES = ("graphviz", "networkx")
_TOKEN = re.compile(r"-[0-9a-f]{32}$")
_METHOD = re.compile(r"methodcaller\('(\w+)'")


def has_graphviz() -> bool:
    """Both halves of graphviz: the ``dot`` program and the Python package dask calls."""
    return shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None


def short_label(key) -> str:
    """A task's name without dask's token: ``('operator.methodcaller('lower')-9f…', 0)`` ->
    ``lower``, ``('flatten-3a…', 1)`` -> ``flatten``."""
    name = key[0] if isinstance(key, tuple) else str(key)
    method = _METHOD.search(name)
    if method:
        return method.group(1)
    return _TOKEN.sub("", name)


def graph_of(collection):
    """The task graph of a dask collection as a networkx DiGraph (edges: dependency -> task),
    each node labelled with :func:`short_label`."""
    import networkx as nx
    from dask.core import get_dependencies

    dsk = dict(collection.__dask_graph__())
    g = nx.DiGraph()
    for key in dsk:
        g.add_node(key, label=short_label(key))
        for dep in get_dependencies(dsk, key):
            g.add_edge(dep, key)
    return g


def columns(g) -> dict:
    """The column of every node: a partitioned task (a key ``(name, i)`` whose name has
    several partitions) sits in column ``i``; a task feeding one column sits in it; a task
    joining columns sits at their mean."""
    import networkx as nx

    parts: dict[str, set] = {}
    for key in g:
        if isinstance(key, tuple) and len(key) > 1 and isinstance(key[1], int):
            parts.setdefault(key[0], set()).add(key[1])
    col = {
        key: float(key[1]) for key in g if isinstance(key, tuple) and len(parts.get(key[0], ())) > 1
    }
    order = list(nx.topological_sort(g))
    for key in reversed(order):  # the inputs of one column: in it
        if key not in col:
            below = {col[s] for s in g.successors(key) if s in col}
            if len(below) == 1:
                col[key] = below.pop()
    for key in order:  # what joins columns: above their middle
        if key not in col:
            preds = [col[p] for p in g.predecessors(key) if p in col]
            col[key] = sum(preds) / len(preds) if preds else 0.0
    return col


def layered(g):
    """A copy of ``g`` with integer nodes numbered layer by layer (each sorted by column,
    label and the numbers of its dependencies), each with ``label``, ``layer`` (its
    topological generation: 0 for inputs) and ``column``: the same drawing whatever dask's
    key tokens and the order the graph was built in."""
    import networkx as nx

    col = columns(g)
    ids: dict = {}
    h = nx.DiGraph()
    for layer, nodes in enumerate(nx.topological_generations(g)):
        keyed = []
        for n in nodes:
            deps = sorted(ids[d] for d in g.predecessors(n))
            keyed.append(((col[n], g.nodes[n]["label"], deps), n))
        for (column, label, _), node in sorted(keyed, key=lambda item: item[0]):
            ids[node] = len(ids)
            h.add_node(ids[node], label=label, layer=layer, column=column)
    h.add_edges_from(sorted((ids[a], ids[b]) for a, b in g.edges))
    return h


def networkx_figure(g, title: str = ""):
    """``g`` (a :func:`graph_of` graph) drawn with matplotlib: a column per partition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = layered(g)
    ncols = int(max((d["column"] for _, d in h.nodes(data=True)), default=0)) + 1
    nlayers = max((d["layer"] for _, d in h.nodes(data=True)), default=0) + 1
    fig, ax = plt.subplots(figsize=(max(5.0, 2.8 * ncols), 0.62 * nlayers + 1.0))
    pos = {n: (d["column"], d["layer"]) for n, d in h.nodes(data=True)}
    for a, b in h.edges:
        ax.annotate(
            "",
            xy=pos[b],
            xytext=pos[a],
            arrowprops={"arrowstyle": "-|>", "color": EDGE, "shrinkA": 9, "shrinkB": 9, "lw": 1},
        )
    box = {"boxstyle": "round,pad=0.3", "facecolor": FILL, "edgecolor": "#3182bd"}
    for n, d in h.nodes(data=True):
        ax.text(*pos[n], d["label"], ha="center", va="center", fontsize=10, bbox=box)
    for c in range(ncols if ncols > 1 else 0):
        ax.text(c, -0.8, f"partition {c}", ha="center", va="center", fontsize=9, color="#555")
    ax.set_xlim(-0.6, ncols - 0.4)
    ax.set_ylim(-1.2, nlayers - 0.4)
    if title:
        ax.set_title(title, fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    return fig


def draw_networkx(g, png: str | Path, svg: str | Path, title: str = "") -> None:
    """Draw ``g`` (a :func:`graph_of` graph) with matplotlib (:func:`networkx_figure`)."""
    import matplotlib.pyplot as plt

    fig = networkx_figure(g, title)
    with atomic_path(png, ".png") as tmp:
        fig.savefig(tmp, dpi=100, metadata={"Software": None})
    with atomic_path(svg, ".svg") as tmp:
        plt.rcParams["svg.hashsalt"] = "sda"
        fig.savefig(tmp, metadata={"Date": None, "Creator": None})
    plt.close(fig)


def draw_graphviz(collection, png: str | Path, svg: str | Path, title: str = "") -> None:
    """Draw ``collection``'s task graph with ``dask.visualize`` and graphviz's ``dot``."""
    import dask
    from dask.dot import name

    dsk = dict(collection.__dask_graph__())
    box = {"shape": "box", "style": "rounded,filled", "fillcolor": FILL}
    attrs = {key: {**box, "label": short_label(key)} for key in dsk}
    options = {
        "rankdir": "BT",
        "collapse_outputs": True,
        "function_attributes": attrs,
        "data_attributes": attrs,
        "node_attr": {"fontsize": "14", "margin": "0.15,0.05", "height": "0.3"},
        "edge_attr": {"color": EDGE, "arrowsize": "0.7"},
        "graph_attr": {"label": title, "labelloc": "t", "fontsize": "14", "fontname": "helvetica"},
        "ranksep": "0.3",
        "nodesep": "0.4",
        "dpi": "96",
    }
    with atomic_path(png, ".png") as tmp:
        dask.visualize(collection, filename=str(tmp), engine="graphviz", **options)
    with atomic_path(svg, ".svg") as tmp:
        dask.visualize(collection, filename=str(tmp), engine="graphviz", **options)
        # dot names nodes by Python's hash of the key, which changes between processes:
        # number them in order of appearance instead.
        names = {name(k) for k in dsk}
        tmp.write_text(_renumber(tmp.read_text(encoding="utf-8"), names), encoding="utf-8")


def _renumber(svg: str, names: set[str]) -> str:
    """Replace dot's node names (in titles and comments) by ``task0``, ``task1``, ... in the
    order of the nodes, and list the edges sorted by their endpoints."""
    escaped = {n.replace("-", "&#45;"): n for n in names} | {n: n for n in names}
    numbers: dict[str, str] = {}
    for title in re.findall(r'class="node">\n<title>(.*?)</title>', svg):
        if title in escaped:
            numbers.setdefault(escaped[title], f"task{len(numbers)}")

    def inside(match: re.Match) -> str:
        parts = re.split(r"(&#45;&gt;|->)", match.group(2))
        renamed = (numbers.get(escaped.get(p, ""), p) for p in parts)
        return match.group(1) + "".join(renamed) + match.group(3)

    svg = re.sub(r"(<title>|<!-- )(.*?)(</title>| -->)", inside, svg)
    edge = re.compile(r'<!-- ([^>]*?) -->\n<g id="edge\d+" class="edge">.*?</g>\n', re.S)
    blocks = sorted(m.group(0) for m in edge.finditer(svg))
    blocks = [re.sub(r'id="edge\d+"', f'id="edge{i + 1}"', b) for i, b in enumerate(blocks)]
    queue = iter(blocks)
    return edge.sub(lambda m: next(queue), svg)


def draw(collection, png: str | Path, svg: str | Path, title: str = "", engine: str = "") -> str:
    """Draw ``collection``'s task graph as ``png`` and ``svg``; ``engine`` 'graphviz' or
    'networkx' ('' : graphviz where installed). Returns the engine used."""
    engine = engine or ("graphviz" if has_graphviz() else "networkx")
    if engine not in ENGINES:
        raise ValueError(f"task graph engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if engine == "graphviz":
        draw_graphviz(collection, png, svg, title)
    else:
        draw_networkx(graph_of(collection), png, svg, title)
    return engine
