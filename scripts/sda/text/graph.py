"""The task graph, drawn with networkx + matplotlib (no graphviz)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sda.io import atomic_path
from sda.text.lesson import cleaning_chain


def _key_label(key) -> str:
    name = key[0] if isinstance(key, tuple) else str(key)
    base = name.rsplit("-", 1)[0] if "-" in name else name
    part = f" {key[1]}" if isinstance(key, tuple) and len(key) > 1 else ""
    return f"{base}{part}"


def graph_of(collection):
    """The task graph of a dask collection as a networkx DiGraph (edges: dependency -> task)."""
    import networkx as nx
    from dask.core import get_dependencies

    dsk = dict(collection.__dask_graph__())
    g = nx.DiGraph()
    for key in dsk:
        g.add_node(key, label=_key_label(key))
        for dep in get_dependencies(dsk, key):
            g.add_edge(dep, key)
    return g


def cleaning_graph(files: Sequence[str], errors: str = "replace"):
    """The task graph of the lesson's cleaning chain up to its top-5, one partition per file."""
    top = cleaning_chain(files, errors).frequencies().topk(5, key=lambda x: x[1])
    return graph_of(top)


def canonical_graph(g):
    """A copy of ``g`` whose node ids and order depend only on its shape and labels.

    dask's keys carry tokens that can change between processes (lambdas are tokenized by
    identity), and a layered layout places nodes in insertion order: relabelling nodes
    0, 1, ... layer by layer, sorted by (label, ids of their dependencies), makes the drawing
    byte-identical from run to run.
    """
    import networkx as nx

    ids: dict = {}
    h = nx.DiGraph()
    for layer, nodes in enumerate(nx.topological_generations(g)):
        keyed = [
            ((g.nodes[n]["label"], sorted(ids[d] for d in g.predecessors(n))), n) for n in nodes
        ]
        for sort_key, node in sorted(keyed, key=lambda item: item[0]):
            ids[node] = len(ids)
            h.add_node(ids[node], label=sort_key[0], layer=layer)
    h.add_edges_from(sorted((ids[a], ids[b]) for a, b in g.edges))
    return h


def draw_graph(g, png: str | Path, svg: str | Path, title: str = "") -> None:
    """Layered drawing, bottom (inputs) to top (result), like ``dask.visualize``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = canonical_graph(g)
    pos = nx.multipartite_layout(g, subset_key="layer", align="horizontal")
    pos = {k: (x, y) for k, (x, y) in pos.items()}
    width = max(6.0, 1.6 * max(len(list(n)) for n in nx.topological_generations(g)))
    fig, ax = plt.subplots(
        figsize=(
            min(width, 40),
            1.2 * (g.nodes and max(d["layer"] for _, d in g.nodes(data=True)) + 2),
        )
    )
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=8, edge_color="#888888")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=300, node_color="#9ecae1")
    labels = {k: d["label"] for k, d in g.nodes(data=True)}
    nx.draw_networkx_labels(g, pos, labels, ax=ax, font_size=6)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    with atomic_path(png, ".png") as tmp:
        fig.savefig(tmp, dpi=120, metadata={"Software": None})
    with atomic_path(svg, ".svg") as tmp:
        plt.rcParams["svg.hashsalt"] = "sda"
        fig.savefig(tmp, metadata={"Date": None, "Creator": None})
    plt.close(fig)
