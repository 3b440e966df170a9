"""The page under construction: tables and figures taken from result files, chapters rendered
from the Jinja2 templates under ``report/templates/`` (one per chapter, and the page).

Tables carry the path of the file they show (``data-source``) and each cell its column
(``data-col``), so that a test can check every number against its source; numbers follow the
one rule of :mod:`sda.report.numbers`, chosen per column from the values shown. Figures are
PNGs written under ``figures/`` and embedded as data URIs: the page is one self-contained
file. Links to result files and logs are relative to the page, so they work wherever the
workflow's directory is.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sda import repository  # noqa: E402
from sda.io import InputError, atomic_write, read_json  # noqa: E402
from sda.report.numbers import PRECISE, column_style, column_unit, human, is_number  # noqa: E402

TEMPLATES = repository() / "report" / "templates"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROW_UNIT_COLUMN = "value"  # in long tables, the column in the unit of its row's ``unit``


@dataclass(frozen=True)
class Table:
    """A table of a result file: header, and rows of (column, shown text, is a number)
    cells."""

    source: str
    caption: str
    header: list[str]
    rows: list[list[tuple[str, str, bool]]]
    total: int
    transposed: bool = False


@dataclass(frozen=True)
class Figure:
    name: str
    alt: str
    b64: str
    mime: str = "image/png"


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    body: str
    machine: str = ""  # the machine its measurements ran on (results/bench/machine.json)


@dataclass(frozen=True)
class Source:
    """A result file as a chapter names it: its path (from the workflow's directory) and link
    (from the page), and the rule and log that made it."""

    path: str
    href: str
    rule: str = ""
    log: str = ""
    log_href: str = ""


def cell_units(frame: pd.DataFrame) -> Callable[[pd.Series, str], str | None]:
    """The unit of each cell: the row's ``unit`` for a ``value`` column beside one, otherwise
    the column's unit (:func:`column_unit`)."""

    def unit(row: pd.Series, col: str) -> str | None:
        if col == ROW_UNIT_COLUMN and "unit" in frame.columns and isinstance(row["unit"], str):
            return row["unit"] or None
        return column_unit(col)

    return unit


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    """Templates escape everything they are given (data is never trusted as HTML); ``num``
    formats a number as tables do (``{{ x|num("s") }}``), ``apart`` several named together."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = human
    env.filters["apart"] = apart
    return env


def apart(values: Sequence) -> list[str]:
    """Numbers named together in a sentence, with the digits that tell them apart (the
    column rule of :func:`~sda.report.numbers.column_style`): ``99.956`` to ``100.211``."""
    style = column_style(values)
    return [human(v, **style) for v in values]


@dataclass
class Page:
    """The report under construction: rendered chapters and the figures they embed."""

    root: Path  # the workflow's working directory; sources are shown relative to it
    figdir: Path
    templates: Path = TEMPLATES
    html_dir: Path | None = None  # the page's directory: links are relative to it
    made_by: Mapping[str, Mapping] = field(default_factory=dict)  # input key -> rule, log
    sections: list[Section] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    missing_evidence: list[str] = field(default_factory=list)
    machine: str = ""  # one line: the machine the run's measurements ran on

    def __post_init__(self):
        self.env = environment(self.templates)
        if self.html_dir is None:
            self.html_dir = self.figdir.parent

    def rel(self, path: Path) -> str:
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def href(self, path: Path | str) -> str:
        """A link from the page to ``path`` (relative to the workflow's directory)."""
        target = (self.root / path).resolve()
        return Path(os.path.relpath(target, self.html_dir.resolve())).as_posix()

    def source(self, key: str, path: Path) -> Source:
        """The input ``key`` at ``path``, with the rule and log that made it."""
        made = self.made_by.get(key, {})
        logs = list(made.get("log") or [])
        log = logs[0] if logs else ""
        return Source(
            path=self.rel(path),
            href=self.href(self.rel(path)),
            rule=made.get("rule", ""),
            log=log,
            log_href=self.href(log) if log else "",
        )

    def table(
        self,
        frame: pd.DataFrame,
        source: Path,
        caption: str = "",
        max_rows: int | None = None,
        columns: Sequence[str] | None = None,
        precise: Sequence[str] = (),
        transposed: bool = False,
    ) -> Table:
        """The rows of ``frame`` (read from ``source``), numbers shown by the rule of
        :mod:`sda.report.numbers`: each column's digits chosen from the values shown;
        ``precise`` columns to :data:`~sda.report.numbers.PRECISE` significant digits.
        ``transposed``: ``frame`` is the source file turned on its side (its rows are the
        file's columns), as the page says to the tests (``data-transposed``)."""
        unit = cell_units(frame)
        shown = frame if columns is None else frame[list(columns)]
        total = len(shown)
        if max_rows is not None:
            shown = shown.head(max_rows)
        style = {}
        for col in shown.columns:
            if col in precise:
                style[col] = {"digits": PRECISE}
            elif col == ROW_UNIT_COLUMN and "unit" in frame.columns:  # units differ by row
                style[col] = {}
            else:
                style[col] = column_style(shown[col], column_unit(col))
        rows = [
            [
                (str(c), human(v, unit(frame.loc[i], c), **style[c]), is_number(v))
                for c, v in row.items()
            ]
            for i, row in shown.iterrows()
        ]
        header = [str(c) for c in shown.columns]
        return Table(self.rel(source), caption, header, rows, total, transposed)

    def json_table(
        self,
        source: Path,
        caption: str = "",
        precise: bool = False,
        first: Sequence[str] = (),
    ) -> Table:
        """The scalar entries of a JSON object as a one-row table, the keys ``first`` first;
        ``precise``: its numbers to :data:`~sda.report.numbers.PRECISE` significant digits
        (the lesson's answers)."""
        data = read_json(source)
        row = {k: v for k, v in data.items() if isinstance(v, (int, float, str, bool))}
        order = [k for k in first if k in row] + [k for k in row if k not in first]
        frame = pd.DataFrame([row])[order]
        return self.table(frame, source, caption, precise=list(row) if precise else ())

    def file_image(self, source: Path, name: str, alt: str) -> Figure:
        """Embed an image the workflow made (and copy it to figures/<name>.png)."""
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise InputError(f"{source}: missing input file") from None
        if not data.startswith(PNG_SIGNATURE):
            raise InputError(f"{source}: not a PNG image")
        return self.embed_png(data, name, alt)

    def figure(self, fig, name: str, alt: str) -> Figure:
        """Save ``fig`` as figures/<name>.png and embed it. Figures lay themselves out
        (constrained or tight layout), so saving draws each once (``bbox_inches="tight"``
        would draw it twice)."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
        plt.close(fig)
        return self.embed_png(buf.getvalue(), name, alt)

    def figure_table(
        self, fig, name: str, alt: str, frame: pd.DataFrame, source: Path, caption: str
    ) -> dict:
        """A benchmark's figure and the table of its rows, as a template shows them together."""
        return {"figure": self.figure(fig, name, alt), "table": self.table(frame, source, caption)}

    def embed_png(self, data: bytes, name: str, alt: str) -> Figure:
        path = self.figdir / f"{name}.png"
        with atomic_write(path) as fh:
            fh.write(data)
        self.figures.append(path)
        return Figure(name, alt, base64.b64encode(data).decode("ascii"))

    def section(self, anchor: str, title: str, measures: bool = False, **context) -> None:
        """Render ``report/templates/<anchor>.html.j2`` with ``context`` as a chapter; a
        chapter that ``measures`` (shows timings) names the machine under its title."""
        body = self.env.get_template(f"{anchor}.html.j2").render(**context)
        self.sections.append(Section(anchor, title, body, self.machine if measures else ""))

    def render(self, title: str) -> str:
        page = self.env.get_template("page.html.j2")
        return page.render(title=title, sections=self.sections, missing=self.missing_evidence)


def write_report(out: Path, page: Page, title: str = "sda: Scalable Data Analytics") -> None:
    with atomic_write(out, "w", encoding="utf-8") as fh:
        fh.write(page.render(title))
