"""The report's chapter "The same jobs with polars and DuckDB", from ``engines.csv`` alone.

:func:`conclusions` reads, for every workload, the fastest and the lightest engine of this run
and what the workflow's dask path costs relative to them; where it is more than
:data:`GAP` times the fastest, the chapter says why, from the rows of its parts (measured by
the benchmark beside it). :func:`build` draws a figure per workload for
``report/templates/engines.html.j2``; the chapter appears once the evidence benchmark has run.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sda.io import InputError, read_table
from sda.report import style
from sda.report.build import Chapter, Run
from sda.report.page import Page

OURS = "dask"
GAP = 1.5  # our path's ratio to the fastest above which the chapter explains it
TITLES = {
    "word_count": "Word frequencies over the corpus",
    "csv_describe": "describe() of the CSV blocks",
    "lahman_birth_country": "Players per birth country (Lahman)",
    "array_summary": "Mean, std, min and max of the whole array",
}
SHOWN = [
    "workload",
    "engine",
    "version",
    "threads",
    "status",
    "seconds",
    "first_s",
    "min_s",
    "max_s",
    "peak_mib",
    "ratio",
    "identical",
    "max_difference",
    "note",
]


def read_engines(path: Path) -> pd.DataFrame:
    """The benchmark's rows; engines are the rows with a ratio (the others: the Parquet copy,
    our path's parts, and engines whose status is not ``ok``, which have no time)."""
    frame = read_table(path, ["workload", "engine", "status", "note"], keep_default_na=False)
    for col in ("seconds", "first_s", "min_s", "max_s", "peak_mib", "ratio", "max_difference"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col].replace("", None), errors="coerce")
    bad = frame[(frame["status"] == "ok") & frame["seconds"].isna()]
    if not bad.empty:
        raise InputError(f"{path}: row {bad.index[0] + 2} has status ok and no seconds")
    if not (frame["engine"] == OURS).any():
        raise InputError(f"{path}: no row of the engine {OURS!r}")
    return frame


def engines_of(frame: pd.DataFrame, workload: str) -> pd.DataFrame:
    rows = frame[(frame["workload"] == workload) & frame["ratio"].notna()]
    return rows.reset_index(drop=True)


def conclusions(frame: pd.DataFrame) -> list[dict]:
    """Per workload: fastest and lightest engine, and our path's time and memory relative to
    them; our path's parts where it is more than :data:`GAP` times the fastest."""
    out = []
    for workload in dict.fromkeys(frame["workload"]):
        rows = engines_of(frame, workload)
        if rows.empty or not (rows["engine"] == OURS).any():
            continue
        fastest = rows.loc[rows["seconds"].idxmin()]
        lightest = rows.loc[rows["peak_mib"].idxmin()]
        ours = rows[rows["engine"] == OURS].iloc[0]
        parts = frame[(frame["workload"] == workload) & frame["engine"].str.startswith(f"{OURS}: ")]
        slower = float(ours["seconds"]) / float(fastest["seconds"])
        out.append(
            {
                "workload": workload,
                "title": TITLES.get(workload, workload),
                "engines": list(rows["engine"]),
                "fastest": fastest["engine"],
                "fastest_s": float(fastest["seconds"]),
                "lightest": lightest["engine"],
                "lightest_mib": float(lightest["peak_mib"]),
                "ours_s": float(ours["seconds"]),
                "ours_mib": float(ours["peak_mib"]),
                "ours_ratio": slower,
                "ours_memory": float(ours["peak_mib"]) / float(lightest["peak_mib"]),
                "over": slower > GAP,
                "parts": {
                    r["engine"].removeprefix(f"{OURS}: "): float(r["seconds"])
                    for _, r in parts.iterrows()
                },
            }
        )
    return out


def figure(frame: pd.DataFrame, workload: str):
    """Seconds and peak memory of every engine of a workload, side by side; ours in orange."""
    rows = engines_of(frame, workload)
    colors = [style.COLORS[1] if e == OURS else style.COLORS[0] for e in rows["engine"]]
    fig, (left, right) = style.figure(9, bars=len(rows), panels=2)
    for ax, col, unit, title in (
        (left, "seconds", "s", "seconds (median)"),
        (right, "peak_mib", "MiB", "peak memory (MiB)"),
    ):
        style.hbars(ax, list(rows["engine"]), list(rows[col]), color=colors, unit=unit)
        ax.set_title(title, fontsize=10)
    right.set_yticks([])
    fig.suptitle(TITLES.get(workload, workload))
    return fig


def build(page: Page, run: Run) -> dict | None:
    """The chapter: a figure and the conclusions of every workload, then all rows; none
    before the evidence benchmark has run."""
    path = run.path("engines")
    if path is None:
        return None
    frame = read_engines(path)
    found = conclusions(frame)
    for c in found:
        c["figure"] = page.figure(
            figure(frame, c["workload"]),
            f"engines_{c['workload']}",
            f"{c['title']}: seconds and peak memory of each engine",
        )
    return {
        "source": page.source("engines", path),
        "workloads": found,
        "gap": GAP,
        "rows": page.table(frame, path, "Every engine on every workload", columns=SHOWN),
    }


CHAPTER = Chapter("engines", "The same jobs with polars and DuckDB", build)
