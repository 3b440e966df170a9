"""The lesson's own figures (``report/lesson_2016.csv``) beside this run's.

The data file holds every figure the 2016 lesson printed: ``measure`` (and ``item``, the word,
country or column of a measure with several), ``value`` and ``unit`` as the lesson printed them,
``lesson_ran`` (what the lesson ran, in our words) and ``line``, the line of the lesson's text
it comes from (``492-516``: a count of those lines). :func:`read_lesson` checks every row and
fails naming the file and line.

Each chapter compares the figures of its topic with this run's (:func:`compare`), in one base
unit per kind (seconds, MiB, counts): a :class:`Comparison` is one row of the chapter's "then
and now" table and of ``results/report/then_and_now.csv`` (:func:`write_then_now`), which the
report writes beside itself. A figure this run did not make is "not measured in this run".
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sda import repository
from sda.io import InputError, write_csv
from sda.report.numbers import DIGITS, PRECISE, column_style, human, integer

LESSON_CSV = repository() / "report" / "lesson_2016.csv"
FIELDS = ("measure", "item", "value", "unit", "lesson_ran", "line")
# unit as printed -> (base unit, factor to it); the base units are those of the result files
UNITS = {
    "s": ("s", 1.0),
    "ms": ("s", 1e-3),
    "MiB": ("MiB", 1.0),
    "MB": ("MB", 1.0),
    "1": ("1", 1.0),
    "words": ("words", 1.0),
    "players": ("players", 1.0),
    "tables": ("tables", 1.0),
    "files": ("files", 1.0),
    "rows": ("rows", 1.0),
}
LINE = re.compile(r"^[1-9][0-9]*(-[1-9][0-9]*)?$")
NOT_MEASURED = "not measured in this run"
THEN_NOW_FIELDS = [
    "chapter",
    "measure",
    "item",
    "what",
    "lesson",
    "today",
    "unit",
    "ratio",
    "line",
    "lesson_ran",
    "today_ran",
    "note",
]


@dataclass(frozen=True)
class LessonFigure:
    """One figure of the lesson: ``value`` in the base unit ``unit``; ``printed`` as the
    lesson printed it (``63.8 ms``)."""

    measure: str
    item: str
    value: float
    unit: str
    printed: str
    ran: str
    line: str


class Lesson:
    """The figures of ``lesson_2016.csv`` by (measure, item), in the file's order."""

    def __init__(self, figures: Sequence[LessonFigure], source: Path):
        self.source = Path(source)
        self.figures = {(f.measure, f.item): f for f in figures}

    def get(self, measure: str, item: str = "") -> LessonFigure:
        try:
            return self.figures[(measure, item)]
        except KeyError:
            what = f"{measure}, {item}" if item else measure
            raise InputError(f"{self.source}: no figure {what!r}") from None

    def items(self, measure: str) -> list[LessonFigure]:
        """Every figure of ``measure`` (one per item), in the file's order."""
        return [f for (m, _), f in self.figures.items() if m == measure]


def _row_error(path: Path, line: int, message: str) -> InputError:
    return InputError(f"{path}, line {line}: {message}")


def read_lesson(path: Path = LESSON_CSV) -> Lesson:
    """The lesson's figures, every row checked: a measure and what the lesson ran, a finite
    number, a known unit (:data:`UNITS`), a line or range of lines, no (measure, item) twice.
    A bad row fails naming the file and its line."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if tuple(reader.fieldnames or ()) != FIELDS:
                raise InputError(f"{path}, line 1: the header must be {','.join(FIELDS)}")
            figures, seen = [], {}
            for row in reader:
                figures.append(_figure(path, reader.line_num, row, seen))
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    if not figures:
        raise InputError(f"{path}: no rows")
    return Lesson(figures, path)


def _figure(path: Path, line: int, row: dict, seen: dict) -> LessonFigure:
    if None in row or any(v is None for v in row.values()):
        raise _row_error(path, line, f"expected {len(FIELDS)} fields ({','.join(FIELDS)})")
    measure, item = row["measure"].strip(), row["item"].strip()
    if not measure:
        raise _row_error(path, line, "no measure")
    unit = row["unit"].strip()
    if not unit:
        raise _row_error(path, line, f"no unit (one of {', '.join(UNITS)})")
    if unit not in UNITS:
        raise _row_error(path, line, f"unknown unit {unit!r} (one of {', '.join(UNITS)})")
    try:
        value = float(row["value"])
    except ValueError:
        raise _row_error(path, line, f"value {row['value']!r} is not a number") from None
    if not math.isfinite(value):
        raise _row_error(path, line, f"value {row['value']!r} is not a finite number")
    if not row["lesson_ran"].strip():
        raise _row_error(path, line, "no lesson_ran (what the lesson ran)")
    if not LINE.match(row["line"].strip()):
        raise _row_error(path, line, f"line {row['line']!r} is not a line number or range")
    if (measure, item) in seen:
        raise _row_error(
            path, line, f"{measure} {item} again (first on line {seen[measure, item]})"
        )
    seen[(measure, item)] = line
    base, factor = UNITS[unit]
    return LessonFigure(
        measure,
        item,
        value * factor,
        base,
        f"{row['value']} {unit}",
        row["lesson_ran"].strip(),
        row["line"].strip(),
    )


@dataclass(frozen=True)
class Comparison:
    """A figure of the lesson beside this run's (None: not measured in this run), both in
    ``unit``; ``note`` says where the two do not measure the same thing."""

    chapter: str
    measure: str
    item: str
    what: str
    unit: str
    lesson: float
    today: float | None
    line: str
    lesson_ran: str
    today_ran: str
    note: str = ""
    missing: str = NOT_MEASURED  # shown instead of this run's figure when there is none
    printed: str = ""  # the lesson's figure as it printed it ("" for a derived one)

    @property
    def ratio(self) -> float | None:
        """This run's figure over the lesson's."""
        if self.today is None or self.lesson == 0:
            return None
        return self.today / self.lesson

    def shown(self) -> tuple[str, str]:
        """The lesson's and this run's figures as the page shows them. The lesson's as it
        printed them (its digits; integers with separators); this run's in the unit, and a
        plain number with as many significant digits as the lesson printed (at least
        :data:`~sda.report.numbers.DIGITS`, at most :data:`~sda.report.numbers.PRECISE`), or
        for a derived figure the digits that tell the two apart."""
        unit = None if self.unit == "1" else self.unit
        style = {}
        if self.unit == "1" and self.printed:
            style = {"digits": min(PRECISE, max(DIGITS, significant_digits(self.printed)))}
        elif self.unit == "1":
            style = column_style([self.lesson, self.today])
        today = self.missing if self.today is None else human(self.today, unit, **style)
        return self.lesson_text(style), today

    def lesson_text(self, style: dict) -> str:
        if not self.printed:
            return human(self.lesson, None if self.unit == "1" else self.unit, **style)
        number, _, unit = self.printed.partition(" ")
        if re.fullmatch(r"-?[0-9]+", number):
            number = integer(int(number))
        return number if unit in ("1", "") else f"{number} {unit}"

    def row(self) -> dict:
        ratio = self.ratio
        return {
            "chapter": self.chapter,
            "measure": self.measure,
            "item": self.item,
            "what": self.what,
            "lesson": repr(self.lesson),
            "today": "" if self.today is None else repr(self.today),
            "unit": self.unit,
            "ratio": "" if ratio is None else repr(ratio),
            "line": self.line,
            "lesson_ran": self.lesson_ran,
            "today_ran": self.today_ran,
            "note": self.note,
        }


def significant_digits(printed: str) -> int:
    """The significant digits of a number as printed: '0.03' 1, '63.8' 3, '99.003' 5."""
    digits = printed.split(" ")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(digits) if "." in printed.split(" ")[0] else len(digits.rstrip("0")) or 1


def compare(
    lesson: Lesson,
    chapter: str,
    measure: str,
    item: str = "",
    *,
    what: str,
    today: float | None,
    today_ran: str = "",
    source: str = "",
    note: str = "",
    missing: str = NOT_MEASURED,
    unit: str | None = None,
    lesson_value: float | None = None,
    line: str | None = None,
    lesson_ran: str | None = None,
) -> Comparison:
    """The lesson's ``measure`` (``item``) beside ``today`` (in the figure's base unit, None
    when this run did not measure it), which ``today_ran`` says how this run measured, in the
    result file ``source``. A derived comparison (a rate, an average of several figures) gives
    its own ``lesson_value``, ``unit``, ``line`` and ``lesson_ran``."""
    printed = ""
    if lesson_value is None:
        figure = lesson.get(measure, item)
        lesson_value, unit = figure.value, unit or figure.unit
        line, lesson_ran = line or figure.line, lesson_ran or figure.ran
        printed = figure.printed
    elif unit is None or line is None or lesson_ran is None:
        raise ValueError(f"{measure}: a derived comparison needs its unit, line and lesson_ran")
    if today is not None and not math.isfinite(float(today)):
        today = None
    if today is None:
        today_ran = ""
    elif source:
        today_ran = f"{today_ran} ({source})" if today_ran else source
    return Comparison(
        chapter=chapter,
        measure=measure,
        item=item,
        what=what,
        unit=unit,
        lesson=float(lesson_value),
        today=None if today is None else float(today),
        line=line,
        lesson_ran=lesson_ran,
        today_ran=today_ran,
        note=note,
        missing=missing,
        printed=printed,
    )


@dataclass(frozen=True)
class ThenNow:
    """A chapter's "then and now": rows of ``then_and_now.csv`` (``source``) as shown, and the
    figure of its timings (None where it has fewer than two)."""

    source: str
    rows: list[dict]
    figure: object = None


def then_now_table(comparisons: Sequence[Comparison], source: str, figure=None) -> ThenNow:
    rows = []
    for c in comparisons:
        lesson, today = c.shown()
        ratio = c.ratio
        rows.append(
            {
                "measure": c.measure,
                "item": c.item,
                "what": c.what,
                "lesson": lesson,
                "line": c.line,
                "today": today,
                "measured": c.today is not None,
                "ratio": "" if ratio is None else human(ratio, "x"),
                "note": c.note,
                "today_ran": c.today_ran,
            }
        )
    return ThenNow(source, rows, figure)


def write_then_now(path: Path, comparisons: Iterable[Comparison]) -> None:
    """``results/report/then_and_now.csv``: every comparison of the report, in its order."""
    write_csv(path, [c.row() for c in comparisons], THEN_NOW_FIELDS)
