"""The report's figure style, shared by every chapter's figures.

Bars are horizontal where labels are words (labels never turn or run into each other), and
numbers written on bars are formatted as in the tables (:func:`sda.report.numbers.human`).
Axes are in the tables' units (sizes in KiB/MiB/GiB), never use an offset (``+1e2``) or a
scientific multiplier (``1e7``), and counts read 200k, 1.2M (:func:`count_axis`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter  # noqa: E402

from sda.report.numbers import human, si  # noqa: E402

# Tick labels show values as they are: no offset, no multiplier from 1e-6 up to 1e9.
matplotlib.rcParams.update({"axes.formatter.useoffset": False, "axes.formatter.limits": (-6, 9)})

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
THEN, NOW = "#9e9e9e", COLORS[0]  # the lesson's figures, and this run's
BAR_HEIGHT_IN = 0.32  # inches per horizontal bar


def figure(width: float, bars: int = 0, panels: int = 1, height: float | None = None):
    """A figure of ``panels`` side by side, tall enough for ``bars`` horizontal bars."""
    tall = height if height is not None else max(2.2, BAR_HEIGHT_IN * bars + 1.2)
    fig, axes = plt.subplots(1, panels, figsize=(width, tall), layout="constrained")
    return fig, axes


def count_axis(axis, log: bool = False) -> None:
    """Ticks of a count axis as 0, 200k, 1.2M; at most 5 of them (linear)."""
    axis.set_major_formatter(FuncFormatter(lambda x, _: si(x)))
    if not log:
        axis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=2))


def seconds_axis(axis) -> None:
    """A log axis of seconds labelled as the tables are (1 ms, 100 ms, 1 s), major ticks
    only."""
    axis.set_major_formatter(FuncFormatter(lambda x, _: human(x, "s")))
    axis.set_minor_formatter(NullFormatter())


def hbars(
    ax,
    labels: Sequence[str],
    values: Sequence[float],
    color=COLORS[0],
    unit: str | None = None,
    annotate: bool = True,
    texts: Sequence[str] | None = None,
) -> None:
    """Horizontal bars, the first on top, each labelled with its value (``human`` in
    ``unit``, or ``texts``); room is left at the right for the labels."""
    pos = list(range(len(labels)))
    ax.barh(pos, values, color=color)
    ax.set_yticks(pos, labels)
    ax.invert_yaxis()
    if annotate:
        shown = texts if texts is not None else [human(v, unit) for v in values]
        for i, v, text in zip(pos, values, shown, strict=True):
            ax.annotate(
                text, (v, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8
            )
        ax.margins(x=0.3)


def vbars(ax, labels: Sequence[str], values: Sequence[float], color=COLORS[0], unit=None) -> None:
    """Vertical bars for a few short labels (npy, csv), each with its value on top."""
    pos = list(range(len(labels)))
    ax.bar(pos, values, color=color)
    ax.set_xticks(pos, labels)
    for i, v in zip(pos, values, strict=True):
        ax.annotate(
            human(v, unit),
            (i, v),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.margins(y=0.2)


def grouped_hbars(ax, labels: Sequence[str], series: dict[str, Sequence[float]], unit=None):
    """Horizontal bars of several series per label (a legend names the series)."""
    height = 0.8 / max(1, len(series))
    for k, (name, values) in enumerate(series.items()):
        pos = [i + k * height for i in range(len(labels))]
        ax.barh(pos, values, height, label=name, color=COLORS[k % len(COLORS)])
    ax.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(labels))], labels)
    ax.invert_yaxis()
    legend_below(ax.figure, len(series))


def legend_below(fig, columns: int) -> None:
    """The figure's legend below its panels (never over a bar or its label)."""
    fig.legend(loc="outside lower center", ncols=columns, fontsize=8, frameon=False)


def then_and_now(comparisons: Sequence) -> plt.Figure:
    """The lesson's timings beside this run's, one pair of bars per measure (log scale):
    the comparisons of a chapter in seconds that this run measured."""
    rows = [c for c in comparisons if c.unit == "s" and c.today is not None]
    fig, ax = figure(8, bars=2 * len(rows))
    labels = [c.what for c in rows]
    height = 0.38
    for k, (name, color, key) in enumerate(
        (("the lesson, 2016", THEN, "lesson"), ("this run", NOW, "today"))
    ):
        values = [getattr(c, key) for c in rows]
        texts = [c.shown()[k] for c in rows]  # the lesson's as it printed them
        pos = [i + (k - 0.5) * height for i in range(len(rows))]
        ax.barh(pos, values, height, color=color, label=name)
        for p, v, text in zip(pos, values, texts, strict=True):
            ax.annotate(
                text,
                (v, p),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xscale("log")
    seconds_axis(ax.xaxis)
    ax.margins(x=0.25)
    ax.set_xlabel("time (log scale)")
    legend_below(fig, 2)
    return fig
