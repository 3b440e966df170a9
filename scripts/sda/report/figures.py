"""The report's figures, drawn with matplotlib from the frames of :mod:`sda.report.data`.

Each function returns a figure; :meth:`sda.report.page.Page.figure` saves and embeds it.
Numbers written on bars are formatted as in the tables (:func:`sda.report.numbers.human`);
axes are in the tables' units (sizes in KiB/MiB/GiB) and never use an offset (``+1e2``) or a
scientific multiplier (``1e7``): ticks show the values themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sda.report.numbers import byte_unit, human  # noqa: E402

# Tick labels show values as they are: no offset, no multiplier from 1e-6 up to 1e9.
matplotlib.rcParams.update({"axes.formatter.useoffset": False, "axes.formatter.limits": (-6, 9)})

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def bars(ax, labels, values, color=COLORS[0], horizontal=False, annotate=True, unit=None):
    pos = list(range(len(labels)))
    if horizontal:
        ax.barh(pos, values, color=color)
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
    else:
        ax.bar(pos, values, color=color)
        ax.set_xticks(pos, labels)
    if annotate:
        for i, v in zip(pos, values, strict=True):
            text = human(v, unit)
            if horizontal:
                ax.annotate(text, (v, i), xytext=(3, 0), textcoords="offset points", va="center")
            else:
                ax.annotate(text, (i, v), xytext=(0, 3), textcoords="offset points", ha="center")


def slanted(ax, degrees: int = 35) -> None:
    plt.setp(ax.get_xticklabels(), rotation=degrees, ha="right", rotation_mode="anchor")


def grouped_bars(ax, frame: pd.DataFrame, label_col: str, value_cols: Sequence[str]):
    width = 0.8 / max(1, len(value_cols))
    x = range(len(frame))
    for k, col in enumerate(value_cols):
        ax.bar([i + k * width for i in x], frame[col], width, label=col, color=COLORS[k % 7])
    ax.set_xticks([i + width * (len(value_cols) - 1) / 2 for i in x], frame[label_col])
    slanted(ax)
    ax.legend()


BLOCK_PANELS = (  # (what, column, unit, title)
    ("save_block", "seconds", "s", "save time per block (s)"),
    ("load_block_allocations", "peak_mib", "MiB", "peak memory of one load (tracemalloc, MiB)"),
    ("save_block", "bytes", "B", "file size per block"),
)


def block_io(rows: pd.DataFrame):
    """npy vs CSV: one panel per measurement, bars labelled in the column's unit; file sizes
    in the binary unit of the larger file."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, (what, col, unit, title) in zip(axes, BLOCK_PANELS, strict=True):
        sub = rows[rows["what"] == what]
        values = [float(v) for v in sub[col]]
        if unit == "B" and values:
            unit, factor = byte_unit(max(values))
            values = [v / factor for v in values]
            title = f"{title} ({unit})"
        if len(sub):
            colors = [COLORS[0], COLORS[1]][: len(sub)]
            bars(ax, list(sub["method"]), values, color=colors, unit=unit)
        ax.set_title(title)
        ax.margins(y=0.15)
    return fig


def store_reads(reads: pd.DataFrame):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], list(reads["source"]), list(reads["seconds"]), annotate=False)
    slanted(axes[0], 50)
    axes[0].set_title("one read + per-block means (s)")
    stores = reads.drop_duplicates("store")
    bars(axes[1], list(stores["store"]), list(stores["bytes_on_disk"] / 2**20), annotate=False)
    slanted(axes[1])
    axes[1].set_title("size on disk (MiB)")
    return fig


def stores_bench(bench: pd.DataFrame):
    """Write, warm and cold read+mean seconds per source (log scale); peak memory of a read."""
    warm = bench[bench["what"] == "read_mean_warm"]
    seconds = bench.pivot_table(index="method", columns="what", values="seconds", sort=False)
    times = [c for c in ("write", "read_mean_warm", "read_mean_cold") if c in seconds.columns]
    writes = seconds.reindex(list(warm["method"]))[times].dropna(subset=["write"]).reset_index()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    grouped_bars(axes[0], writes, "method", times)
    axes[0].set_yscale("log")
    axes[0].set_title("seconds (log scale): write, read+mean warm / cold")
    bars(axes[1], list(warm["method"]), list(warm["peak_mib"]), COLORS[2], annotate=False)
    slanted(axes[1], 50)
    axes[1].set_title("peak memory of read+mean (MiB)")
    return fig


def block_means(frame: pd.DataFrame):
    values = frame.drop(columns=["block"])
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for k, col in enumerate(values.columns):
        ax.plot(range(len(frame)), values[col], "o-"[k % 2], ms=3, label=col, alpha=0.7)
    ax.set_xlabel("block")
    ax.set_ylabel("mean")
    ax.legend(ncol=1, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"per-block means from {len(values.columns)} sources")
    return fig


def top_words(top10: pd.DataFrame, clean: pd.DataFrame):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], list(top10["word"]), list(top10["n"]), horizontal=True)
    axes[0].set_title("top 10 tokens, raw str.split()")
    bars(axes[1], list(clean["word"]), list(clean["n"]), COLORS[1], horizontal=True)
    axes[1].set_title("top words after removing punctuation, lower-case")
    for ax in axes:
        ax.margins(x=0.15)
    return fig


def text_schedulers(sched: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(10, 3.5))
    labels = [f"{r.pipeline}\n{r.scheduler}" for r in sched.itertuples()]
    colors = [COLORS[0] if r.pipeline == "lesson" else COLORS[1] for r in sched.itertuples()]
    ax.bar(range(len(sched)), sched["seconds"], color=colors)
    ax.set_xticks(range(len(sched)), labels, fontsize=7)
    for i, r in enumerate(sched.itertuples()):
        mark = "\u2713 same" if r.identical == "yes" else "\u2717 differs"
        ax.annotate(
            mark, (i, r.seconds), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7
        )
    ax.set_ylabel("seconds")
    ax.set_title("top-10 with every scheduler (blue: the lesson's chain, orange: ours)")
    return fig


def text_bench(bench: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(7, 3))
    bars(ax, list(bench["method"]), list(bench["seconds"]), COLORS[2], horizontal=True, unit="s")
    ax.margins(x=0.2)
    ax.set_xlabel("seconds (median)")
    ax.set_title("word count: this workflow vs the lesson's code")
    return fig


def birth_country(top: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(8, 5))
    bars(ax, list(top["birthCountry"]), list(top["players"]), COLORS[4], horizontal=True)
    ax.set_xscale("log")
    ax.set_xlabel("players (log scale)")
    ax.set_title("players per birth country, top 15")
    return fig


def rule_times(per_rule: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(per_rule) + 1))
    bars(ax, list(per_rule["rule"]), list(per_rule["seconds"]), horizontal=True, unit="s")
    ax.margins(x=0.15)
    ax.set_xlabel("wall time summed over the rule's jobs (s, from benchmarks/)")
    return fig
