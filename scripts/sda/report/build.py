"""A report of chapters: what a chapter is, what it is built from, and the page built from them.

A :class:`Chapter` belongs to its topic (``sda/<topic>/report.py``): its anchor names its
template (``report/templates/<anchor>.html.j2``) and its ``build`` reads the result files it
needs from a :class:`Run` and returns the template's context, or None when the run made none
of them (an evidence benchmark not run yet). The list of chapters, in order, is
:data:`sda.chapters.CHAPTERS`; this module imports no topic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sda.io import read_json
from sda.measure.machine import summary
from sda.report.lesson import (
    LESSON_CSV,
    Comparison,
    Lesson,
    ThenNow,
    read_lesson,
    then_now_table,
    write_then_now,
)
from sda.report.page import Figure, Page, write_report
from sda.report.style import then_and_now


@dataclass
class Run:
    """What chapters are built from: the report rule's inputs by name (an absent name was not
    made in this run), the config, the lesson's figures, and the workflow's directory."""

    inputs: Mapping[str, Path]
    config: Mapping
    lesson: Lesson
    root: Path
    then_now_source: str = ""  # then_and_now.csv, from the workflow's directory
    comparisons: list[Comparison] = field(default_factory=list)
    benchmark_dir: Path | None = None  # the rules' benchmark records; None: root/benchmarks

    @property
    def benchmarks(self) -> Path:
        """Where the rules' ``benchmark:`` records are (under a module's prefix, if any)."""
        return Path(self.benchmark_dir) if self.benchmark_dir else self.root / "benchmarks"

    def path(self, key: str) -> Path | None:
        return Path(self.inputs[key]) if key in self.inputs else None

    def section(self, name: str) -> Mapping:
        """A section of the config (empty if the config has none: a report of test inputs)."""
        return self.config.get(name) or {}

    def then_and_now(self, page: Page, anchor: str, comparisons: Sequence[Comparison]) -> ThenNow:
        """A chapter's comparisons with the lesson: kept for ``then_and_now.csv``, and the
        table and figure the chapter shows."""
        self.comparisons.extend(comparisons)
        figure = then_now_figure(page, anchor, comparisons)
        return then_now_table(comparisons, self.then_now_source, figure)


@dataclass(frozen=True)
class Chapter:
    anchor: str
    title: str
    build: Callable[[Page, Run], dict | None]
    measures: bool = True  # it shows timings: the page names the machine under its title


def missing_evidence(evidence: Mapping[str, str], inputs: Mapping[str, Path]) -> list[str]:
    """The titles of the evidence benchmarks of this config the report has no input for."""
    return [title for name, title in evidence.items() if name not in inputs]


def build_report(
    chapters: Sequence[Chapter],
    inputs: Mapping[str, Path],
    out: Path,
    figdir: Path,
    then_now: Path,
    config: Mapping,
    root: Path,
    made_by: Mapping[str, Mapping] | None = None,
    evidence: Mapping[str, str] | None = None,
    lesson: Path = LESSON_CSV,
    benchmarks: Path | None = None,
) -> Page:
    """Build the page from the rule's named inputs and write it, its figures and
    ``then_now`` (every comparison with the lesson, as CSV).

    ``evidence`` maps the evidence benchmarks of this config to their titles; those not among
    the inputs are named in one line at the top (their chapters are left out, never shown
    stale). ``made_by`` gives, per input, the rule and log that made it; ``benchmarks``, the
    directory of the rules' benchmark records (default ``root/benchmarks``)."""
    figdir.mkdir(parents=True, exist_ok=True)
    page = Page(root=Path(root), figdir=figdir, html_dir=out.parent, made_by=made_by or {})
    run = Run(
        inputs,
        config,
        read_lesson(lesson),
        Path(root),
        page.rel(then_now),
        benchmark_dir=benchmarks,
    )
    page.missing_evidence = missing_evidence(evidence or {}, inputs)
    if "machine" in inputs:
        page.machine = summary(read_json(inputs["machine"]))
    for chapter in chapters:
        context = chapter.build(page, run)
        if context is not None:
            page.section(chapter.anchor, chapter.title, chapter.measures, **context)
    write_then_now(then_now, run.comparisons)
    write_report(out, page)
    return page


def sources_of(page: Page, run: Run, keys: Sequence[str]) -> dict:
    """The inputs ``keys`` that this run made, as the page names them (:meth:`Page.source`:
    path, link, rule and log)."""
    return {k: page.source(k, run.path(k)) for k in keys if run.path(k) is not None}


def pick(frame, col: str, **where) -> float | None:
    """The number in ``col`` of the first row of ``frame`` whose columns equal ``where``;
    None when there is no such row or the cell is empty (not measured in this run)."""
    rows = frame
    for key, value in where.items():
        rows = rows[rows[key] == value]
    if rows.empty or col not in rows.columns:
        return None
    try:
        value = float(rows[col].iloc[0])
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def then_now_figure(page: Page, anchor: str, comparisons: Sequence[Comparison]) -> Figure | None:
    """The chapter's timings beside the lesson's, if this run measured two or more."""
    if sum(c.unit == "s" and c.today is not None for c in comparisons) < 2:
        return None
    return page.figure(
        then_and_now(comparisons), f"{anchor}_then_and_now", "the lesson's timings and this run's"
    )
