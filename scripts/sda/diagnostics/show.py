"""Dask at work, as a chapter shows it: memory over time above the task stream, and a
sentence computed from the rows (peak memory as a fraction of the data read, how busy the
threads were).

A chapter calls :func:`watch` with a rule's name; the report rule has the rule's diagnostics as
its inputs ``dask_<rule>_resources``, ``dask_<rule>_tasks``, ``dask_<rule>_record`` (and
``dask_<rule>_dask_report`` on a distributed scheduler), or none with ``diagnostics: false``.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

from sda.diagnostics.read import Record, read_record
from sda.diagnostics.record import OUTPUTS
from sda.report import style
from sda.report.build import Run
from sda.report.numbers import human
from sda.report.page import Page
from sda.scheduler import is_distributed

PLURAL = {"thread": "threads", "process": "processes", "worker": "workers"}
OTHER = "#c7c7c7"  # task prefixes beyond the coloured ones
PREFIX_COLORS = 6  # prefixes with a colour of their own, by task time


def input_key(rule: str, kind: str) -> str:
    """The report's input name of a rule's diagnostics file."""
    return f"dask_{rule}_{kind}"


def bytes_ticks(low: float, high: float) -> list[float]:
    """Ticks of a log axis of bytes from ``low`` to ``high`` at round binary sizes (1, 10 and
    100 KiB, MiB, GiB, TiB), every other decade where there are more than five."""
    ticks = [k * 1024**n for n in range(1, 5) for k in (1, 10, 100)]
    inside = [t for t in ticks if low <= t <= high]
    return inside[::2] if len(inside) > 5 else inside


def bytes_axis(axis, low: float, high: float) -> None:
    """A log axis of bytes labelled as the tables are (100 MiB, 1 GiB), major ticks only."""
    axis.set_major_locator(FixedLocator(bytes_ticks(low, high)))
    axis.set_major_formatter(FuncFormatter(lambda x, _: human(x, "B")))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def colors_of(record: Record) -> dict[str, str]:
    """A colour per task prefix: the :data:`PREFIX_COLORS` with the most task time get the
    palette's, the rest one grey."""
    prefixes = list(record.prefix_seconds().index)
    palette = style.COLORS
    return {
        p: palette[i % len(palette)] if i < PREFIX_COLORS else OTHER for i, p in enumerate(prefixes)
    }


def dask_figure(record: Record, ram_bytes: float | None = None):
    """Memory over time (log scale, the data read and the machine's RAM drawn as lines) above
    the task stream (a row per thread or worker, a bar per task coloured by its prefix), on
    one time axis."""
    workers = record.workers
    fig, (mem, stream) = style.plt.subplots(
        2,
        1,
        sharex=True,
        figsize=(9, 2.6 + 0.28 * max(2, len(workers)) + 0.5),
        height_ratios=(2.2, 0.4 + 0.28 * max(2, len(workers))),
        layout="constrained",
    )
    res = record.resources.dropna(subset=["memory_bytes"])
    label = "memory (workers)" if is_distributed(record.info["scheduler"]) else "memory (RSS)"
    handles = [Line2D([], [], color=style.NOW, label=label)]
    mem.plot(res["time_s"], res["memory_bytes"], color=style.NOW, drawstyle="steps-post")
    marks = [record.peak_bytes]
    if record.data_bytes:
        mem.axhline(record.data_bytes, color=style.THEN, linestyle="--")
        handles.append(Line2D([], [], color=style.THEN, linestyle="--", label="data read"))
        marks.append(record.data_bytes)
    if ram_bytes:
        mem.axhline(ram_bytes, color=style.COLORS[3], linestyle=":")
        handles.append(Line2D([], [], color=style.COLORS[3], linestyle=":", label="RAM"))
        marks.append(ram_bytes)
    mem.set_yscale("log")
    low = min(v for v in [*res["memory_bytes"], *marks] if v > 0) if len(res) else 1
    mem.set_ylim(low / 3, max(marks) * 3)
    bytes_axis(mem.yaxis, low / 3, max(marks) * 3)
    mem.set_ylabel("memory")
    colors = colors_of(record)
    rows = {w: i for i, w in enumerate(workers)}
    tasks = record.tasks
    for (worker, prefix), group in tasks.groupby(["worker", "prefix"], sort=True):
        spans = list(zip(group["start_s"], group["end_s"] - group["start_s"], strict=True))
        stream.broken_barh(spans, (rows[worker] - 0.4, 0.8), color=colors[prefix], linewidth=0)
    stream.set_yticks(range(len(workers)), workers)
    stream.set_ylim(len(workers) - 0.5, -0.5)
    stream.set_xlim(0, max(record.wall_s, float(tasks["end_s"].max()) if len(tasks) else 0))
    stream.set_xlabel("seconds from the computation's start")
    shown = [p for p, c in colors.items() if c != OTHER]
    handles += [Patch(color=colors[p], label=p) for p in shown]
    if len(shown) < len(colors):
        handles.append(Patch(color=OTHER, label=f"{len(colors) - len(shown)} other prefixes"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return fig


def summary(record: Record) -> dict:
    """What the chapter says of a record, computed from its rows."""
    peak, data = record.peak_bytes, record.data_bytes
    kind = record.workers[0].split()[0] if record.workers else "thread"
    top = record.prefix_seconds()
    total = float(top.sum())
    return {
        "peak": peak,
        "data": data,
        "fraction": peak / data if data and not math.isnan(peak) else None,
        "slots": record.slots,
        "kind": kind,
        "kinds": PLURAL[kind],
        "busy": record.busy,
        "wall": record.wall_s,
        "tasks": len(record.tasks),
        "top": top.index[0] if len(top) else "",
        "top_share": float(top.iloc[0]) / total if total else None,
        "scheduler": record.info["scheduler"],
        "unread": int(record.info.get("unread_samples", 0)),
    }


def paths_of(run: Run, rule: str) -> dict[str, Path]:
    """The diagnostics files of ``rule`` among the report's inputs, by output name."""
    return {k: run.path(input_key(rule, k)) for k in OUTPUTS if run.path(input_key(rule, k))}


def watch(
    page: Page, run: Run, rule: str, what: str, ram_bytes: float | None = None
) -> dict | None:
    """The context of a chapter's "dask at work" for ``rule`` (computing over ``what``), or
    None when the run recorded none (``diagnostics: false``)."""
    paths = paths_of(run, rule)
    if "resources" not in paths:
        return None
    record = read_record(paths)
    alt = f"{rule}: memory over time and the task stream"
    sources = {k: page.source(input_key(rule, k), p) for k, p in paths.items()}
    return {
        "rule": rule,
        "what": what,
        "figure": page.figure(dask_figure(record, ram_bytes), f"dask_{rule}", alt),
        "sources": sources,
        "dask_report": sources.get("dask_report"),
        **summary(record),
    }
