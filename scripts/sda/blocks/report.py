"""The report's chapter "One billion numbers": npy against CSV, as the lesson's first steps.

Reads ``results/bench/block_io.csv`` (the lesson's save, load-memory and load-and-mean
measurements, default run) and, when the evidence benchmark has run,
``results/bench/generate.csv``; compares them with the lesson's figures; renders
``report/templates/blocks.html.j2``.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from sda.io import read_table
from sda.report import style
from sda.report.build import Chapter, Run, pick
from sda.report.lesson import compare
from sda.report.numbers import byte_unit
from sda.report.page import Page
from sda.report.run import read_rule_times

ANCHOR = "blocks"
PANELS = (  # (what, column, unit, title)
    ("save_block", "seconds", "s", "save one block (s)"),
    ("load_block_allocations", "peak_mib", "MiB", "memory of one load (tracemalloc, MiB)"),
    ("save_block", "bytes", "B", "file size of one block"),
)


def read_block_io(path) -> pd.DataFrame:
    return read_table(path, ["what", "method"], ["seconds", "peak_mib", "bytes"])


def read_generate(path) -> pd.DataFrame:
    return read_table(path, ["what", "method"], ["seconds"])


def block_io_figure(rows: pd.DataFrame):
    """npy against CSV: one panel per measurement, bars labelled in the column's unit; file
    sizes in the binary unit of the larger file."""
    fig, axes = style.figure(11, panels=3, height=3.2)
    for ax, (what, col, unit, title) in zip(axes, PANELS, strict=True):
        sub = rows[(rows["what"] == what) & rows[col].notna()]
        values = [float(v) for v in sub[col]]
        if unit == "B" and values:
            unit, factor = byte_unit(max(values))
            values = [v / factor for v in values]
            title = f"{title} ({unit})"
        colors = [style.COLORS[0] if m == "npy" else style.COLORS[1] for m in sub["method"]]
        style.vbars(ax, list(sub["method"]), values, color=colors, unit=unit)
        ax.set_title(title, fontsize=10)
    return fig


def measured(rows: pd.DataFrame) -> dict:
    """This run's figures of the lesson's questions (None where the file has no such row)."""

    def get(what, method, col):
        return pick(rows, col, what=what, method=method)

    return {
        "save_npy": get("save_block", "npy", "seconds"),
        "save_csv": get("save_block", "csv", "seconds"),
        "npy_bytes": get("save_block", "npy", "bytes"),
        "csv_bytes": get("save_block", "csv", "bytes"),
        "load_npy_s": get("load_block", "npy", "seconds"),
        "load_csv_s": get("load_block", "csv", "seconds"),
        "load_npy_rss": get("load_block", "npy", "peak_mib"),
        "load_csv_rss": get("load_block", "csv", "peak_mib"),
        "load_npy_alloc": get("load_block_allocations", "npy", "peak_mib"),
        "load_csv_alloc": get("load_block_allocations", "csv", "peak_mib"),
        "mean_file_npy": get("load_mean_file", "npy", "seconds"),
        "mean_file_csv": get("load_mean_file", "csv", "seconds"),
        "mean_all_npy": get("load_mean_all", "npy", "seconds"),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def comparisons(run: Run, m: dict, source: str) -> list:
    blocks, bench = run.section("blocks"), run.section("bench")
    fmt = blocks.get("csv_format", "")
    rows, cols = blocks.get("rows", 1000), blocks.get("cols", 1000)
    lesson_csv_bytes = rows * cols * 2  # '%d' of a number in [0, 1): "0" and a separator
    repeats = bench.get("lesson_repeats", 1)
    timed = f"{repeats} timed run{'s' if repeats != 1 else ''} (bench.lesson_repeats), median"
    files = bench.get("load_mean_files", 100)
    fresh = "a fresh process's peak resident size, its increase over the load"
    csv_increment = run.lesson.get("load_csv_increment").printed
    c = partial(compare, run.lesson, ANCHOR, source=source)
    return [
        c(
            "save_npy",
            what="np.save of one block",
            today=m["save_npy"],
            today_ran=timed,
            note="The lesson: best of 3 (%timeit). Both write 8 MB of float64 whatever the "
            "numbers.",
        ),
        c(
            "save_csv",
            what="np.savetxt of one block",
            today=m["save_csv"],
            today_ran=f"{timed}, format {fmt}",
            note=f"The lesson's fmt='%d' wrote the integer part of numbers in [0, 1): one "
            f"character each, {lesson_csv_bytes:,} bytes; this run's {fmt} writes "
            f"{m['csv_bytes'] or 0:,.0f} bytes, every digit of every number.",
        ),
        c(
            "load_npy_increment",
            what="memory to load one npy block",
            today=m["load_npy_rss"],
            today_ran=fresh,
            note="The lesson: memory_profiler's increment of the notebook's process.",
        ),
        c(
            "load_csv_increment",
            what="memory to load one CSV block",
            today=m["load_csv_rss"],
            today_ran=fresh,
            note="numpy's loadtxt has parsed in C since numpy 1.23: it no longer builds a "
            f"Python list of every number before the array, which cost the lesson "
            f"{csv_increment}.",
        ),
        c(
            "load_npy_peak",
            what="peak memory of the notebook, npy load",
            today=None,
            note="The whole notebook process, with everything loaded before; this run loads "
            "in a fresh process, whose total says nothing of the notebook's.",
        ),
        c(
            "load_csv_peak",
            what="peak memory of the notebook, CSV load",
            today=None,
            note="As above: the notebook's whole process.",
        ),
        c(
            "load_mean_100_npy",
            what=f"np.load and mean of {files} npy blocks",
            today=m["mean_all_npy"],
            today_ran=f"{files} files (bench.load_mean_files), warm page cache",
            note="The lesson's cache state is not known; a cold read is disk-bound "
            "(snakemake --cores 2 scaling)."
            if files == 100
            else f"This run loads {files} files, the lesson 100.",
        ),
        c(
            "load_mean_per_file_npy",
            what="the same, per file",
            today=m["mean_file_npy"],
            today_ran="its time divided by the files",
            note="The lesson printed it to 2 decimals.",
        ),
    ]


def build(page: Page, run: Run) -> dict:
    path = run.path("block_io")
    rows = read_block_io(path)
    m = measured(rows)
    source = page.source("block_io", path)
    found = comparisons(run, m, source.path)
    generate = None
    if run.path("generate") is not None:
        generate = page.table(
            read_generate(run.path("generate")),
            run.path("generate"),
            "Generating every block: this workflow against plain multiprocessing",
        )
    jobs = read_rule_times(run.benchmarks, "generate_blocks")
    blocks = run.section("blocks")
    return {
        "source": source,
        "generate_source": page.source("generate", run.path("generate"))
        if run.path("generate")
        else None,
        "m": m,
        "answer": {
            "save": ratio(m["save_csv"], m["save_npy"]),
            "size": ratio(m["csv_bytes"], m["npy_bytes"]),
            "load": ratio(m["load_csv_s"], m["load_npy_s"]),
            "memory": ratio(m["load_csv_alloc"], m["load_npy_alloc"]),
            "lesson_save": run.lesson.get("save_csv").value / run.lesson.get("save_npy").value,
            "lesson_memory": run.lesson.get("load_csv_increment").value
            / run.lesson.get("load_npy_increment").value,
            "lesson_100": run.lesson.get("load_mean_100_npy").value,
            "faster_100": ratio(run.lesson.get("load_mean_100_npy").value, m["mean_all_npy"]),
        },
        "blocks": blocks,
        "files": run.section("bench").get("load_mean_files", 100),
        "generation": {
            "jobs": int(jobs["jobs"].iloc[0]) if len(jobs) else None,
            "seconds": float(jobs["seconds"].iloc[0]) if len(jobs) else None,
        },
        "io_figure": page.figure(
            block_io_figure(rows),
            "blocks_npy_vs_csv",
            "npy against CSV: save time, load memory, size",
        ),
        "io": page.table(rows, path, "The lesson's block measurements, this run"),
        "generate": generate,
        "then_now": run.then_and_now(page, ANCHOR, found),
    }


CHAPTER = Chapter(ANCHOR, "One billion numbers: npy against CSV", build)
