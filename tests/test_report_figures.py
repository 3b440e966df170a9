"""Figures that read: every figure the report draws, at the full-scale run's magnitudes, has no
text running into another (tick labels, bar labels, titles, legends), no offset or multiplier
on an axis, and counts with separators or SI suffixes (tests/test_workflow_report.py draws
them again on a real run's results)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from oracles import axis_offsets, text_overlaps
from sda.blocks.report import block_io_figure
from sda.diagnostics.read import Record
from sda.diagnostics.show import dask_figure
from sda.engines.report import figure as engines_figure
from sda.report.lesson import compare, read_lesson
from sda.report.run import rule_times_figure
from sda.report.style import then_and_now
from sda.scaling.report import figure as scaling_figure
from sda.stores.paths import SOURCES, STORE_OF
from sda.stores.report import bench_figure, means_figure, reads_figure
from sda.tables.report import countries_figure
from sda.text.report import bench_figure as text_bench_figure
from sda.text.report import schedulers_figure, words_figure

BLOCK_IO = pd.read_csv(
    io.StringIO("""\
what,method,seconds,peak_mib,bytes
save_block,npy,0.0152788,,8000128
save_block,csv,1.87836,,25000000
load_block,npy,0.0145767,7.457,8000000
load_block_allocations,npy,,7.637,8000000
load_block,csv,1.04798,8.777,8000000
load_block_allocations,csv,,9.146,8000000
""")
)
TOP10 = pd.DataFrame(
    {
        "word": ["the", "of", "and", "in", "a", "--", "to", "The", "was", "is"],
        "n": [1291289, 613969, 397417, 292408, 230929, 205980, 190133, 181112, 160661, 139524],
    }
)
CLEAN = pd.DataFrame(
    {"word": ["the", "of", "and", "in", "a"], "n": [1723322, 819179, 530544, 390133, 308148]}
)


def _reads() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "source": SOURCES,
            "store": [STORE_OF[s] for s in SOURCES],
            "seconds": rng.uniform(0.03, 5.4, len(SOURCES)),
            "bytes_on_disk": [
                743440384 if STORE_OF[s] == "npz_compressed" else 800358400 for s in SOURCES
            ],
        }
    )


def _stores_bench() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = [("write", s, rng.uniform(0.5, 52), None) for s in dict.fromkeys(STORE_OF.values())]
    for what in ("read_mean_warm", "read_mean_cold"):
        rows += [(what, s, rng.uniform(0.03, 9), rng.uniform(1, 160)) for s in SOURCES]
    return pd.DataFrame(rows, columns=["what", "method", "seconds", "peak_mib"])


def _schedulers() -> pd.DataFrame:
    names = ["sync", "threads", "processes", "distributed LocalCluster"]
    seconds = [2.565, 1.791, 4.464, 15.55, 0.5723, 0.6037, 1.911, 2.541]
    return pd.DataFrame(
        {
            "pipeline": ["lesson"] * 4 + ["ours"] * 4,
            "scheduler": names * 2,
            "seconds": seconds,
            "identical": ["yes"] * 7 + ["no"],
        }
    )


def _countries() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    names = [
        "USA",
        "D.R.",
        "Venezuela",
        "P.R.",
        "CAN",
        "Cuba",
        "Mexico",
        "Japan",
        "Panama",
        "(null)",
        "United Kingdom",
        "Ireland",
        "Germany",
        "Australia",
        "Colombia",
    ]
    players = sorted([17395, 792, *rng.integers(16, 430, len(names) - 2)], reverse=True)
    return pd.DataFrame({"birthCountry": names, "players": players})


def _engines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "workload": ["csv_describe"] * 3,
            "engine": ["dask", "polars", "duckdb"],
            "seconds": [2.16, 1.58, 2.45],
            "peak_mib": [488, 491, 862],
            "ratio": [1.37, 1, 1.56],
        }
    )


def _rules() -> pd.DataFrame:
    names = [
        "generate_blocks",
        "store_npz",
        "block_means",
        "text_delayed",
        "wiki_synthetic",
        "bench_text_schedulers",
        "text_counts",
        "csv_describe",
        "lahman_build",
        "store_zarr",
        "store_hdf5",
        "array_summary",
        "store_hdf5_chunked",
        "store_memmap",
        "bench_block_io",
        "lahman_backends",
    ]
    return pd.DataFrame({"rule": names, "seconds": np.geomspace(142, 0.8, len(names))})


def _comparisons():
    lesson = read_lesson()
    today = {
        "save_npy": 0.0153,
        "save_csv": 1.88,
        "load_mean_100_npy": 0.276,
        "load_mean_per_file_npy": 0.00276,
        "memmap_mean_100": 0.0378,
        "memmap_per_file": 0.000378,
        "hdf5_write_wall": 12.0,
        "hdf5_mean_100": 1.21,
        "dask_hdf5_mean_100": 0.324,
    }
    return [
        compare(lesson, "t", m, what=lesson.get(m).ran[:40], today=v, today_ran="x")
        for m, v in today.items()
    ]


def _scaling_rows():
    rows = []
    for size in (1, 2, 4, 8, 16, 32):
        for step, cache in (
            ("generate", "write"),
            ("summary", "cold"),
            ("means", "cold"),
            ("summary", "warm"),
            ("wordcount", "cold"),
        ):
            for cores in (1, 2):
                rows.append(
                    {
                        "step": step,
                        "cache": cache,
                        "cores": cores,
                        "size_bytes": size * 10**9,
                        "wall_s": 5.0 * size / cores,
                        "peak_rss_bytes": 150 * 2**20,
                        "ram_bytes": 25 * 10**9,
                        "dd_read_gb_per_s": 0.11,
                    }
                )
    return rows


def _record(tasks: int, threads: int, prefixes: list[str], wall: float, data: float) -> Record:
    """A diagnostics record at a full-scale run's magnitudes: ``tasks`` tasks spread over
    ``threads`` threads after a planning pause, memory rising to a plateau."""
    rng = np.random.default_rng(5)
    times = np.arange(0, wall, 0.1)
    memory = 60e6 + 50e6 * (1 - np.exp(-times)) + rng.uniform(0, 5e6, len(times))
    starts = np.sort(rng.uniform(0.2 * wall, 0.95 * wall, tasks))
    frame = pd.DataFrame(
        {
            "prefix": [prefixes[i % len(prefixes)] for i in range(tasks)],
            "worker": [f"thread {i % threads}" for i in range(tasks)],
            "start_s": starts,
            "end_s": starts + 0.04 * wall / max(1, tasks / threads),
        }
    )
    resources = pd.DataFrame({"time_s": times, "memory_bytes": memory, "cpu_percent": 190.0})
    info = {
        "scheduler": "threads",
        "workers": threads,
        "data_bytes": data,
        "wall_s": wall,
        "tasks": tasks,
    }
    return Record(resources, frame, info, {})


DESCRIBE_PREFIXES = [
    "read-csv", "one_block", "chunk", "partition_percentiles", "to_string_dtype", "min-tree",
    "max-tree", "count-tree", "mean-tree", "std-tree", "percentiles", "finalize",
]  # fmt: skip


def _graph():
    import dask.bag as db

    from sda.text.taskgraph import graph_of

    bag = db.from_sequence([f"text {i}" for i in range(3)], npartitions=3)
    chain = bag.str.lower().str.split().flatten().frequencies().topk(5, key=lambda x: x[1])
    return graph_of(chain)


FIGURES = {
    "blocks npy vs csv": lambda: block_io_figure(BLOCK_IO),
    "stores reads": lambda: reads_figure(_reads()),
    "stores bench": lambda: bench_figure(_stores_bench()),
    "stores means": lambda: means_figure(
        pd.DataFrame(
            {
                "block": range(100),
                **{s: 100 + np.random.default_rng(4).normal(0, 0.01, 100) for s in SOURCES},
            }
        )
    ),
    "text words": lambda: words_figure(TOP10, CLEAN),
    "text schedulers": lambda: schedulers_figure(_schedulers()),
    "text bench": lambda: text_bench_figure(
        pd.DataFrame({"method": ["ours", "python", "lesson_bag"], "seconds": [1.2, 14.5, 35.8]})
    ),
    "tables countries": lambda: countries_figure(_countries()),
    "engines": lambda: engines_figure(_engines(), "csv_describe"),
    "run rule times": lambda: rule_times_figure(_rules()),
    "then and now": lambda: then_and_now(_comparisons()),
    "scaling": lambda: scaling_figure(_scaling_rows()),
    "dask summary": lambda: dask_figure(
        _record(1503, 2, ["chunk", "combine-partial", "aggregate-aggregate"], 2.1, 8.0e9)
    ),
    "dask describe": lambda: dask_figure(_record(98, 4, DESCRIBE_PREFIXES, 6.4, 2.5e8)),
    "dask past the RAM line": lambda: dask_figure(
        _record(8000, 2, ["chunk", "combine-partial"], 300, 32e9), ram_bytes=23.5 * 2**30
    ),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_no_text_of_a_figure_runs_into_another(name):
    import matplotlib.pyplot as plt

    fig = FIGURES[name]()
    try:
        assert text_overlaps(fig) == [], name
        assert not any(axis_offsets(fig)), name
    finally:
        plt.close(fig)


def test_the_task_graph_drawn_without_graphviz_reads():
    import matplotlib.pyplot as plt

    from sda.text.taskgraph import networkx_figure

    fig = networkx_figure(_graph(), "chain")
    try:
        assert text_overlaps(fig) == []
    finally:
        plt.close(fig)


def test_the_overlap_oracle_finds_labels_that_collide():
    """The old top-words axis: seven long tick labels on a narrow axis run into each other."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2))
    ax.barh(range(3), [0, 600_000, 1_200_000])
    ax.set_xticks(np.arange(0, 1_300_000, 200_000))
    ax.ticklabel_format(axis="x", style="plain")
    try:
        assert text_overlaps(fig) != []
    finally:
        plt.close(fig)


def test_counts_on_an_axis_read_with_si_suffixes():
    import matplotlib.pyplot as plt

    fig = words_figure(TOP10, CLEAN)
    try:
        fig.canvas.draw()
        labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
        assert labels and all(label.endswith(("k", "M")) or label == "0" for label in labels)
        bars = sorted(t.get_text() for t in fig.axes[0].texts)
        assert "1,291,289" in bars
    finally:
        plt.close(fig)
