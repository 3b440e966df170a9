"""The page under construction: tables and figures taken from result files, sections rendered
from the Jinja2 templates under ``report/templates/`` (one per section, and the page).

Tables carry the path of the file they show (``data-source``) and each cell its column
(``data-col``), so that a test can check every number against its source. Figures are PNGs
written under ``figures/`` and embedded as data URIs: the page is one self-contained file.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sda import repository  # noqa: E402
from sda.io import InputError, atomic_write, read_json  # noqa: E402
from sda.report.numbers import column_unit, human, is_number  # noqa: E402

TEMPLATES = repository() / "report" / "templates"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Table:
    """A table of a result file: header, and rows of (column, shown text, is a number)
    cells."""

    source: str
    caption: str
    header: list[str]
    rows: list[list[tuple[str, str, bool]]]
    total: int


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


def cell_units(frame: pd.DataFrame) -> Callable[[pd.Series, str], str | None]:
    """The unit of each cell: the row's ``unit`` for a ``value`` column beside one, otherwise
    the column's unit (:func:`column_unit`)."""

    def unit(row: pd.Series, col: str) -> str | None:
        if col == "value" and "unit" in frame.columns and isinstance(row["unit"], str):
            return row["unit"] or None
        return column_unit(col)

    return unit


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    """Templates escape everything they are given (data is never trusted as HTML)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass
class Page:
    """The report under construction: rendered sections and the figures they embed."""

    root: Path  # the workflow's working directory; sources are shown relative to it
    figdir: Path
    templates: Path = TEMPLATES
    sections: list[Section] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    missing_evidence: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.env = environment(self.templates)

    def rel(self, path: Path) -> str:
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def table(
        self,
        frame: pd.DataFrame,
        source: Path,
        caption: str = "",
        max_rows: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> Table:
        """The rows of ``frame`` (read from ``source``), numbers formatted by :func:`human`."""
        unit = cell_units(frame)
        shown = frame if columns is None else frame[list(columns)]
        total = len(shown)
        if max_rows is not None:
            shown = shown.head(max_rows)
        rows = [
            [(str(c), human(v, unit(frame.loc[i], c)), is_number(v)) for c, v in row.items()]
            for i, row in shown.iterrows()
        ]
        return Table(self.rel(source), caption, [str(c) for c in shown.columns], rows, total)

    def json_table(self, source: Path, caption: str = "") -> Table:
        """The scalar entries of a JSON object as a one-row table."""
        data = read_json(source)
        row = {k: v for k, v in data.items() if isinstance(v, (int, float, str, bool))}
        return self.table(pd.DataFrame([row]), source, caption)

    def file_image(self, source: Path, name: str, alt: str) -> Figure:
        """Embed an image the workflow made (and copy it to figures/<name>.png)."""
        data = Path(source).read_bytes()
        if not data.startswith(PNG_SIGNATURE):
            raise InputError(f"{source}: not a PNG image")
        return self.embed_png(data, name, alt)

    def figure(self, fig, name: str, alt: str) -> Figure:
        """Save ``fig`` as figures/<name>.png and embed it."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
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

    def section(self, anchor: str, title: str, **context) -> None:
        """Render ``report/templates/<anchor>.html.j2`` with ``context`` as a section."""
        body = self.env.get_template(f"{anchor}.html.j2").render(**context)
        self.sections.append(Section(anchor, title, body))

    def render(self, title: str) -> str:
        page = self.env.get_template("page.html.j2")
        return page.render(title=title, sections=self.sections, missing=self.missing_evidence)


def write_report(out: Path, page: Page, title: str = "sda: Scalable Data Analytics") -> None:
    with atomic_write(out, "w", encoding="utf-8") as fh:
        fh.write(page.render(title))
