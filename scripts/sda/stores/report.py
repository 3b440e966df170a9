"""The report's chapter "Array stores": npz, memmap, HDF5 and dask.array over them, as the
lesson's steps, then the whole array.

Reads ``results/bench/store_reads.csv`` (one timed read of every source), the per-block means
(``results/tables/block_means.csv``), the HDF5 listing, the whole-array summary and the jobs'
own ``benchmark:`` records of the HDF5 write and the summary; with the evidence benchmark, also
``results/bench/stores.csv``. Renders ``report/templates/stores.html.j2``.
"""

from __future__ import annotations

import math
from functools import partial

import pandas as pd

from sda.diagnostics.show import watch
from sda.io import read_json, read_table
from sda.report import style
from sda.report.build import Chapter, Run, pick, sources_of
from sda.report.lesson import compare
from sda.report.page import Page
from sda.stores.means import RTOL

ANCHOR = "stores"
SUMMARY_KEYS = ("count", "mean", "std", "min", "max", "bytes")


def read_store_reads(path) -> pd.DataFrame:
    return read_table(path, ["source", "store"], ["seconds", "per_block_s", "bytes_on_disk"])


def read_stores_bench(path) -> pd.DataFrame:
    return read_table(path, ["what", "method"], ["seconds", "peak_mib"])


def read_block_means(path) -> pd.DataFrame:
    """Per-block means: a ``block`` label, then one column of numbers per source."""
    return read_table(path, ["block"], numeric=True)


def read_listing(path) -> pd.DataFrame:
    return read_table(path, ["name", "shape", "created"], sep="\t", keep_default_na=False)


def read_job(path) -> pd.DataFrame:
    """A job's Snakemake ``benchmark:`` record: wall ``s``, ``cpu_time``, ``max_rss`` (MiB)."""
    return read_table(path, numeric=["s", "cpu_time", "max_rss"], sep="\t")


def read_summary(path) -> dict:
    return read_json(path, SUMMARY_KEYS)


# --- figures --------------------------------------------------------------------------------


def reads_figure(reads: pd.DataFrame):
    """One read + per-block means of every source (numpy blue, dask orange); size on disk."""
    stores = reads.drop_duplicates("store")
    fig, (left, right) = style.figure(11, bars=len(reads), panels=2)
    colors = [style.COLORS[1] if s.startswith("dask") else style.COLORS[0] for s in reads["source"]]
    style.hbars(left, list(reads["source"]), list(reads["seconds"]), color=colors, unit="s")
    left.set_title("read + per-block means (blue numpy, orange dask)", fontsize=10)
    left.set_xlabel("seconds")
    style.hbars(
        right, list(stores["store"]), list(stores["bytes_on_disk"]), unit="B", color=style.COLORS[2]
    )
    right.set_xticks([])
    right.set_title("size on disk", fontsize=10)
    return fig


def bench_figure(bench: pd.DataFrame):
    """Write, warm and cold read+mean seconds per source (log scale); peak memory of a read."""
    warm = bench[bench["what"] == "read_mean_warm"]
    seconds = bench.pivot_table(index="method", columns="what", values="seconds", sort=False)
    times = [c for c in ("write", "read_mean_warm", "read_mean_cold") if c in seconds.columns]
    order = [m for m in warm["method"] if m in seconds.index]
    fig, (left, right) = style.figure(11, bars=len(order) * len(times) / 2 + 2, panels=2)
    series = {t: list(seconds.reindex(order)[t]) for t in times}
    style.grouped_hbars(left, order, series)
    left.set_xscale("log")
    style.seconds_axis(left.xaxis)
    left.set_title("write, read warm, read cold (log scale)", fontsize=10)
    style.hbars(
        right, list(warm["method"]), list(warm["peak_mib"]), color=style.COLORS[2], unit="MiB"
    )
    right.set_yticks([])
    right.set_title("peak memory of read + means", fontsize=10)
    return fig


def means_figure(frame: pd.DataFrame):
    values = frame.drop(columns=["block"])
    fig, ax = style.figure(10, height=3.6)
    for k, col in enumerate(values.columns):
        ax.plot(range(len(frame)), values[col], "o-"[k % 2], ms=3, alpha=0.7, label=col)
    ax.set_xlabel("block")
    ax.set_ylabel("mean")
    ax.set_title(f"per-block means from {len(values.columns)} sources", fontsize=10)
    ax.legend(ncol=1, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


# --- the chapter ----------------------------------------------------------------------------


def spread(means: pd.DataFrame) -> float:
    """The largest relative disagreement between the sources over every block."""
    values = means.drop(columns=["block"])
    return float(((values.max(axis=1) - values.min(axis=1)) / values.abs().max(axis=1)).max())


def source_mean(means: pd.DataFrame, source: str) -> float | None:
    """The mean of a source's per-block means (the lesson's printed figure), or None."""
    return float(means[source].mean()) if source in means.columns else None


def hdf5_write(run: Run, bench: pd.DataFrame | None) -> tuple[float | None, float | None, str, str]:
    """The HDF5 write's wall and CPU seconds, what measured the wall time and the input key of
    its file: the evidence benchmark's rows (``bench``: alone, median) where it has run, else
    the default run's job record."""
    job = read_job(run.path("hdf5_job")) if run.path("hdf5_job") else None
    cpu = None if job is None else float(job["cpu_time"].iloc[0])
    if bench is not None:
        wall = pick(bench, "seconds", what="write", method="hdf5")
        if wall is not None:
            how = "the stores benchmark's write of random.hdf5, median, run alone"
            return wall, cpu, how, "stores_bench"
    if job is None:
        return None, cpu, "", "hdf5_job"
    how = (
        "the store_hdf5 job's wall time (its benchmark: record, with the process start, the "
        "npy reads and the checksums, beside the run's other jobs)"
    )
    return float(job["s"].iloc[0]), cpu, how, "hdf5_job"


def comparisons(run: Run, reads, means, bench, sources) -> list:
    n = run.section("stores").get("n", 100)
    config_blocks = run.section("blocks")
    draw = (
        f"normal({config_blocks.get('mean')}, {config_blocks.get('sd')})"
        if config_blocks.get("distribution") == "normal"
        else "uniform"
    )
    different = (
        "The lesson's code draws random() in [0, 1) (mean 0.5: its npz line), yet it prints "
        f"means near 99: the blocks it timed came from another draw. This run's: {draw}."
    )
    reading = f"one timed read of {n} blocks (stores.n), warm page cache"
    c = partial(compare, run.lesson, ANCHOR)
    on_reads = partial(c, today_ran=reading, source=sources.get("store_reads", ""))
    on_means = partial(
        c, today_ran="the mean of the per-block means", source=sources.get("block_means", "")
    )

    def read(source, col="seconds"):
        return pick(reads, col, source=source)

    def per_source(source, measures, whats, note="", per_note=""):
        """A source's three figures: its read and means, the same per block, their mean."""
        (total, per, mean), (total_what, per_what, mean_what) = measures, whats
        return [
            on_reads(total, what=total_what, today=read(source), note=note),
            on_reads(per, what=per_what, today=read(source, "per_block_s"), note=per_note),
            on_means(mean, what=mean_what, today=source_mean(means, source)),
        ]

    first = means["npz"].iloc[0] if "npz" in means.columns and len(means) else None
    wall, cpu, how, wall_source = hdf5_write(run, bench)
    return [
        on_means(
            "npz_arr0_mean",
            what="mean of the npz's first block",
            today=first,
            today_ran="block 0 of xs.npz",
            note="The lesson's npz held 100 new random() blocks; this run's the workflow's blocks.",
        ),
        on_means(
            "mean_100_npy",
            what=f"mean of {n} blocks, npy files",
            today=source_mean(means, "npy"),
            note=different,
        ),
        *per_source(
            "memmap",
            ("memmap_mean_100", "memmap_per_file", "mean_100_memmap"),
            (
                f"means of {n} blocks from a memmap",
                "the same, per block",
                f"mean of {n} blocks, memmap",
            ),
            per_note="The lesson printed it to 2 decimals.",
        ),
        c(
            "hdf5_write_wall",
            what=f"write {n} blocks to HDF5 (wall)",
            today=wall,
            today_ran=how,
            source=sources.get(wall_source, ""),
            note="The lesson's %%time; the data went to the page cache either way.",
        ),
        c(
            "hdf5_write_cpu",
            what=f"write {n} blocks to HDF5 (CPU)",
            today=cpu,
            today_ran="the store_hdf5 job's CPU time",
            source=sources.get("hdf5_job", ""),
        ),
        *per_source(
            "hdf5",
            ("hdf5_mean_100", "hdf5_per_file", "mean_100_hdf5"),
            (
                f"means of {n} HDF5 datasets (h5py)",
                "the same, per dataset",
                f"mean of {n} blocks, HDF5",
            ),
            note="h5py copies each dataset out of the file; this run also checks each block's "
            "checksum attribute.",
        ),
        *per_source(
            "dask_hdf5",
            ("dask_hdf5_mean_100", "dask_hdf5_per_file", "mean_100_dask_hdf5"),
            (
                f"dask.array mean over {n} HDF5 datasets",
                "the same, per dataset",
                f"mean of {n} blocks, dask over HDF5",
            ),
            note="The lesson: the dask of 2016, one from_array per dataset and a concatenate; "
            "this run: one dask.array over the file, per-block means (the same reads).",
        ),
    ]


def whole_array(run: Run, summary: dict) -> dict:
    """The whole array's answer in words: the mean's distance from the distribution's, in
    standard errors, and the summary job's peak memory against the data it read."""
    blocks = run.section("blocks")
    out = {"summary": summary, "z": None, "peak": None, "fraction": None}
    if blocks.get("distribution") == "normal" and summary["count"]:
        error = float(blocks["sd"]) / math.sqrt(summary["count"])
        out |= {
            "expected": float(blocks["mean"]),
            "sd": float(blocks["sd"]),
            "error": error,
            "z": (summary["mean"] - float(blocks["mean"])) / error,
        }
    if run.path("summary_job") is not None:
        peak = float(read_job(run.path("summary_job"))["max_rss"].iloc[0]) * 2**20  # MiB
        out |= {"peak": peak, "fraction": peak / summary["bytes"]}
    return out


def build(page: Page, run: Run) -> dict:
    reads = read_store_reads(run.path("store_reads"))
    means = read_block_means(run.path("block_means"))
    summary = read_summary(run.path("array_summary"))
    keys = (
        "store_reads",
        "block_means",
        "array_summary",
        "hdf5_listing",
        "hdf5_job",
        "summary_job",
        "stores_bench",
    )
    made = sources_of(page, run, keys)
    sources = {k: s.path for k, s in made.items()}
    rows = read_stores_bench(run.path("stores_bench")) if "stores_bench" in made else None
    found = comparisons(run, reads, means, rows, sources)
    bench = None
    if rows is not None:
        bench = page.figure_table(
            bench_figure(rows),
            "stores_times_sizes",
            "stores benchmark: time and memory",
            rows,
            run.path("stores_bench"),
            "Stores benchmark: medians and ratios",
        )
    listing = None
    if run.path("hdf5_listing") is not None:
        frame = read_listing(run.path("hdf5_listing"))
        listing = page.table(frame, run.path("hdf5_listing"), "Datasets of random.hdf5", 5)

    def seconds(source):
        return pick(reads, "seconds", source=source)

    size = reads.drop_duplicates("store").set_index("store")["bytes_on_disk"]
    return {
        "made": made,
        "n": run.section("stores").get("n", len(means)),
        "read": {s: seconds(s) for s in reads["source"]},
        "size": {k: float(v) for k, v in size.items()},
        "reads_figure": page.figure(
            reads_figure(reads),
            "stores_reads",
            "every source: one read and per-block means; size on disk",
        ),
        "reads": page.table(reads, run.path("store_reads"), "Every source: one timed read"),
        "listing": listing,
        "bench": bench,
        "means_figure": page.figure(
            means_figure(means), "stores_block_means", "per-block means from every source"
        ),
        "sources": len(means.columns) - 1,
        "blocks": len(means),
        "spread": spread(means),
        "limit": RTOL,
        "block_sd": float(means.drop(columns=["block"]).iloc[:, 0].std()),
        "means": page.table(means, run.path("block_means"), "Per-block means", max_rows=5),
        "whole": whole_array(run, summary),
        "summary": page.json_table(
            run.path("array_summary"), "The whole array", precise=True, first=SUMMARY_KEYS
        ),
        "then_now": run.then_and_now(page, ANCHOR, found),
        "dask": {
            "block_means": watch(page, run, "block_means", "every store's blocks"),
            "array_summary": watch(page, run, "array_summary", "every npy block"),
        },
    }


CHAPTER = Chapter(ANCHOR, "Array stores: npz, memmap, HDF5, and dask over them", build)
