"""The task graph drawing: a column per partition, short labels inside the picture, the same
bytes from run to run; graphviz's dot through dask.visualize, and networkx without it."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from conftest import REPO
from sda.text import taskgraph
from sda.text.lesson import cleaning_chain

SCRIPTS = REPO / "scripts"

CHAIN = ["file_to_blocks", "list", "bag-from-delayed", "translate", "lower", "split", "flatten"]
CHAIN += ["frequencies-part"]
JOIN = ["frequencies-aggregate", "dictitems", "topk-part", "topk-aggregate"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def files(synthetic_corpus) -> list[str]:
    """A small corpus: three files of 5 kB."""
    return synthetic_corpus(5_000)


def top5(files):
    return cleaning_chain(files).frequencies().topk(5, key=lambda x: x[1])


def test_labels_are_the_task_names_without_tokens(files):
    g = taskgraph.graph_of(top5(files))
    labels = sorted(d["label"] for _, d in g.nodes(data=True))
    assert labels == sorted(CHAIN * 3 + JOIN)
    assert taskgraph.short_label(("operator.methodcaller('lower')-" + "a" * 32, 0)) == "lower"
    assert taskgraph.short_label("flatten-" + "0f" * 16) == "flatten"


def test_one_column_per_partition_and_no_crossing_edges(files):
    h = taskgraph.layered(taskgraph.graph_of(top5(files)))
    column = {n: d["column"] for n, d in h.nodes(data=True)}
    label = {n: d["label"] for n, d in h.nodes(data=True)}
    for name in CHAIN:  # each partition's chain in its own column, 0, 1, 2
        assert sorted(column[n] for n in h if label[n] == name) == [0.0, 1.0, 2.0], name
    for a, b in h.edges:  # edges stay in their column until the join above the middle
        if label[b] in CHAIN:
            assert column[a] == column[b], (label[a], label[b])
        else:
            assert column[b] == 1.0
    layers = {n: d["layer"] for n, d in h.nodes(data=True)}
    assert all(layers[a] < layers[b] for a, b in h.edges)
    # edges between the same two layers never cross: their order is the same at both ends
    for a, b in h.edges:
        for c, d in h.edges:
            if layers[a] == layers[c] and layers[b] == layers[d]:
                assert (column[a] - column[c]) * (column[b] - column[d]) >= 0


def _border_is_blank(png: Path) -> bool:
    pixels = mpimg.imread(png)[..., :3]
    edge = np.concatenate([pixels[:3].ravel(), pixels[-3:].ravel()])
    edge = np.concatenate([edge, pixels[:, :3].ravel(), pixels[:, -3:].ravel()])
    return bool(edge.min() > 0.9)


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param(e, marks=pytest.mark.graphviz) if e == "graphviz" else e
        for e in taskgraph.ENGINES
    ],
)
def test_drawing_is_readable_and_the_same_every_time(files, tmp_path, engine):
    png, svg = tmp_path / "g.png", tmp_path / "g.svg"
    assert taskgraph.draw(top5(files), png, svg, title="chain", engine=engine) == engine
    assert png.read_bytes().startswith(PNG)
    height, width = mpimg.imread(png).shape[:2]
    assert width >= 500 and height >= 600  # large enough to read at the size the page shows
    assert _border_is_blank(png), "a label or box is cut at the edge of the picture"
    text = html.unescape(svg.read_text(encoding="utf-8"))
    for name in CHAIN + JOIN:  # as text (dot) or as outlines named in a comment (matplotlib)
        assert f">{name}<" in text or f"<!-- {name} -->" in text, name
    # Another process (other key tokens, other string hashes) draws the same bytes.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from sda.text import taskgraph;"
        "from sda.text.lesson import cleaning_chain;"
        "top = cleaning_chain(sys.argv[2:]).frequencies().topk(5, key=lambda x: x[1]);"
        f"taskgraph.draw(top, 'g.png', 'g.svg', title='chain', engine={engine!r})"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = tmp_path / "other"
    other.mkdir()
    cmd = [sys.executable, "-c", code, str(SCRIPTS), *files]
    subprocess.run(cmd, cwd=other, env=env, check=True, capture_output=True)
    assert (other / "g.png").read_bytes() == png.read_bytes()
    assert (other / "g.svg").read_bytes() == svg.read_bytes()


@pytest.mark.graphviz
def test_graphviz_draws_a_column_per_partition(files, tmp_path):
    svg = tmp_path / "g.svg"
    taskgraph.draw(top5(files), tmp_path / "g.png", svg, engine="graphviz")
    xs: dict[str, list[float]] = {}
    for x, name in re.findall(
        r'<text text-anchor="middle" x="([-\d.]+)"[^>]*>([^<]+)</text>',
        html.unescape(svg.read_text()),
    ):
        xs.setdefault(name, []).append(float(x))
    columns = sorted(xs["translate"])
    assert len(columns) == 3 and columns[1] - columns[0] > 50
    for name in ("bag-from-delayed", "lower", "split", "flatten", "frequencies-part"):
        assert np.allclose(sorted(xs[name]), columns, atol=10), (name, xs[name])
    assert xs["frequencies-aggregate"][0] == pytest.approx(columns[1], abs=10)


def test_unknown_engine_is_refused(files, tmp_path):
    with pytest.raises(ValueError, match="task graph engine 'dot'"):
        taskgraph.draw(top5(files), tmp_path / "g.png", tmp_path / "g.svg", engine="dot")
