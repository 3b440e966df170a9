"""The tests' independent oracles, one of each kind: what a result should be, computed without
the code under test (numpy's documented seeding, collections.Counter, sqlite3, /proc and the
kernel's mincore, the report's number format written out again).

Tests import them from here (``from oracles import ...``); pytest rewrites the asserts of this
module as it does a test module's (registered in conftest.py).
"""

from __future__ import annotations

import ctypes
import math
import mmap
import os
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

# --- word counts ----------------------------------------------------------------------------

PUNCTUATION = str.maketrans("", "", string.punctuation)


def clean_text(text: str) -> str:
    """``text`` as the lesson cleans it: punctuation removed, lower-cased."""
    return text.translate(PUNCTUATION).lower()


def expected_counts(files: Iterable, errors: str = "replace") -> tuple[Counter, Counter]:
    """The raw and the cleaned word counts of ``files``: each whole file's text (decoded with
    ``errors``), ``str.split()``, ``collections.Counter``."""
    raw, clean = Counter(), Counter()
    for f in files:
        text = Path(f).read_bytes().decode("utf-8", errors=errors)
        raw.update(text.split())
        clean.update(clean_text(text).split())
    return raw, clean


def ranked(counter: Mapping, k: int | None = None) -> list[tuple[str, int]]:
    """``(word, count)`` by count descending, then word; the first ``k`` (all for None)."""
    items = sorted(counter.items(), key=lambda wn: (-wn[1], wn[0]))
    return items if k is None else items[:k]


# --- blocks of random numbers ---------------------------------------------------------------


def expected_block(blocks, i: int) -> np.ndarray:
    """Block ``i`` from numpy's documented seeding, nothing else. ``blocks``: the config's
    ``blocks`` section, or an object with the same attributes (``seed``, ``mean``, ``sd``,
    ``rows``, ``cols``; the distribution normal)."""

    def get(key, default=None):
        if isinstance(blocks, Mapping):
            return blocks.get(key, default)
        return getattr(blocks, key, default)

    assert get("distribution", "normal") == "normal", "the oracle draws normal blocks only"
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([get("seed"), i])))
    return rng.normal(get("mean"), get("sd"), size=(get("rows"), get("cols")))


def expected_blocks(blocks, n: int) -> np.ndarray:
    """The first ``n`` blocks (:func:`expected_block`), stacked: shape ``(n, rows, cols)``."""
    return np.stack([expected_block(blocks, i) for i in range(n)])


def per_block_means(x: np.ndarray) -> np.ndarray:
    """The mean of each block of the stacked blocks ``x``."""
    return x.reshape(len(x), -1).mean(axis=1)


def two_pass_summary(blocks: Iterable[np.ndarray]) -> dict:
    """Count, mean, std (ddof 0), min and max of all ``blocks``, in float64 and two passes: the
    mean from every block's sum (``math.fsum`` of the parts), then the sum of squared deviations
    from it, block by block (``math.fsum`` again)."""
    blocks = [np.asarray(b, dtype=np.float64).ravel() for b in blocks]
    n = sum(b.size for b in blocks)
    mean = math.fsum(math.fsum(b) for b in blocks) / n
    m2 = math.fsum(math.fsum((b - mean) ** 2) for b in blocks)
    return {
        "count": n,
        "mean": mean,
        "std": math.sqrt(m2 / n),
        "min": min(b.min() for b in blocks),
        "max": max(b.max() for b in blocks),
    }


def check_summary(got: Mapping, x: np.ndarray) -> None:
    """A summary of ``x`` (count, mean, std with ddof 0, min, max) against numpy's own: the
    count, min and max exactly, mean and std to a relative 1e-12."""
    assert got["count"] == x.size
    assert got["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert got["std"] == pytest.approx(x.std(), rel=1e-12)
    assert (got["min"], got["max"]) == (x.min(), x.max())


# --- SQL, run with sqlite3 itself -----------------------------------------------------------


def sql_as_csv(cursor) -> list[list[str]]:
    """Header and rows of an sqlite3 result as the CSV text fields we expect (NULL empty)."""

    def text(v):
        return "" if v is None else repr(v) if isinstance(v, float) else str(v)

    return [[d[0] for d in cursor.description]] + [[text(v) for v in row] for row in cursor]


def sql_birth_country(conn) -> list[list[str]]:
    """The birth_country query's CSV (header, then country, players, is_null), by sqlite3 on
    the Master table or view of ``conn``."""
    return [["birthCountry", "players", "is_null"]] + [
        [c, str(n), z]
        for c, n, z in conn.execute(
            "SELECT COALESCE(birthCountry, '(null)') AS c, count(*) AS n, "
            "CASE WHEN birthCountry IS NULL THEN 'True' ELSE 'False' END AS z "
            "FROM Master GROUP BY birthCountry ORDER BY n DESC, c, z"
        )
    ]


# --- the machine, from the kernel -----------------------------------------------------------


def meminfo_total() -> int:
    """This machine's RAM in bytes: MemTotal of /proc/meminfo."""
    with open("/proc/meminfo") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemTotal"))


def mincore_fraction(path: Path) -> float:
    """Cached fraction of ``path`` by mincore, independently of sda.measure.pagecache: Python's own
    mmap, its address through ctypes."""
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    vec = ctypes.create_string_buffer(pages)
    with open(path, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY)
    view = ctypes.c_char.from_buffer(mm)  # ACCESS_COPY: writable, so ctypes can take its address
    try:
        assert libc.mincore(ctypes.addressof(view), size, vec) == 0, os.strerror(ctypes.get_errno())
    finally:
        del view
        mm.close()
    return sum(b & 1 for b in vec.raw) / pages


# --- the HTML report: its tables read back, and how it shows numbers ------------------------

VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


class ReportParser(HTMLParser):
    """Collects the tables with a data-source (their attributes, header, rows and each row's
    attributes), the embedded images, the links, and checks nesting. ``external``: anything
    the page would fetch or send the reader to on another host (a script, a style sheet, a
    frame, an image that is not a data URI, a link with a scheme)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tables: list[dict] = []  # {"source", "attrs", "header", "rows", "row_attrs"}
        self.images: list[dict] = []
        self.links: list[str] = []
        self.external: list[str] = []
        self._cell: list[str] | None = None
        self._cell_col: str | None = None
        self._in_head = False
        self._sourced: list[bool] = []  # one entry per open <table>: has a data-source?

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if SCHEME.match(a["href"]) and not a["href"].startswith("data:"):
                self.external.append(a["href"])
        if tag == "img" and not a.get("src", "").startswith("data:"):
            self.external.append(a.get("src", "img"))
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.external.append(tag)
        if tag == "img":
            self.images.append(a)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "table":
            self._sourced.append("data-source" in a)
            if "data-source" in a:
                self.tables.append(
                    {
                        "source": a["data-source"],
                        "attrs": a,
                        "header": [],
                        "rows": [],
                        "row_attrs": [],
                    }
                )
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._in_sourced() and not self._in_head:
            self.tables[-1]["rows"].append([])
            self.tables[-1]["row_attrs"].append(a)
        elif tag in ("td", "th"):
            self._cell, self._cell_col = [], a.get("data-col")

    def _in_sourced(self) -> bool:
        return bool(self._sourced and self._sourced[-1])

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()
        if tag == "thead":
            self._in_head = False
        if tag == "table" and self._sourced:
            self._sourced.pop()
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._in_sourced():
                t = self.tables[-1]
                if self._in_head and tag == "th":
                    t["header"].append(text)
                elif tag == "td" and t["rows"]:
                    t["rows"][-1].append((self._cell_col, text))
            self._cell = None


def parse_report(path: Path) -> tuple[Path, str, ReportParser]:
    """The report at ``path``: its path, its text, and its tables and images as parsed."""
    text = path.read_text(encoding="utf-8")
    parser = ReportParser()
    parser.feed(text)
    parser.close()
    return path, text, parser


def result_tables(parser: ReportParser) -> list[dict]:
    """The tables of result files (not the chapters' "then and now" tables)."""
    return [t for t in parser.tables if t["attrs"].get("data-kind") != "then-now"]


def then_now_tables(parser: ReportParser) -> list[dict]:
    return [t for t in parser.tables if t["attrs"].get("data-kind") == "then-now"]


def read_source(path: Path):
    """A table's source file as a DataFrame (a JSON object: its scalar values as one row)."""
    import json

    import pandas as pd

    if path.suffix == ".json":
        data = json.loads(path.read_text())
        return pd.DataFrame([{k: v for k, v in data.items() if not isinstance(v, (list, dict))}])
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".tsv":
        return pd.read_csv(path, sep="\t", keep_default_na=False)
    return pd.read_csv(path, keep_default_na=False)


# How the page shows numbers, written out again here: integers exactly (separators from
# 10,000), timings, sizes and ratios to 3 significant digits in s/ms/µs/ns, B/KiB/MiB/GiB and
# ×, other numbers to 3 significant digits unless a column needs more to tell its values
# apart (then a fixed number of decimals, the fewest that do).
SCALES = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9, "B": 1.0, "KiB": 2.0**10}
SCALES |= {"MiB": 2.0**20, "GiB": 2.0**30, "×": 1.0}
SHOWN = re.compile(r"^(-?[0-9,]*\.?[0-9]+(?:e[-+][0-9]+)?)(?: ?(s|ms|µs|ns|B|KiB|MiB|GiB)|(×))?$")
MEASURED_UNITS = ("s", "B", "MiB", "x")


def source_unit(source, i: int, col: str) -> str | None:
    """The unit a source value is in: the row's ``unit`` beside a ``value``, else the column's
    name (seconds, ``*_s``; ``*mib``; ``*bytes*``; ``ratio*``)."""
    if col == "value" and "unit" in source.columns:
        return source["unit"].iloc[i] or None
    name = col.lower()
    if name.endswith("gb_per_s"):
        return "GB/s"
    if name in ("s", "seconds") or name.endswith("_s"):
        return "s"
    if name.endswith("mib"):
        return "MiB"
    if "bytes" in name:
        return "B"
    return "x" if name.startswith("ratio") else None


def significant_digits_of(digits: str) -> int:
    """Significant digits of a number as shown ('0.00186' 3, '1,230' 3, '100.020' 6)."""
    mantissa = digits.replace(",", "").split("e")[0].lstrip("-")
    if "." in mantissa:
        return len(mantissa.replace(".", "").lstrip("0"))
    return len(mantissa.strip("0")) or 1


def shown_as(
    shown: str, value, unit: str | None = None, max_digits: int = 3, unit_digits: int = 3
) -> bool:
    """A shown cell is its source value as the page formats it: integers exactly (separators
    from 10,000), other numbers rounded at the last digit shown, with at most ``max_digits``
    significant digits (``unit_digits`` in a unit of measure), in their unit."""
    if isinstance(value, (bool, np.bool_)):
        return shown == str(value)
    if isinstance(value, str):
        try:
            value = float(value) if value else math.nan
        except ValueError:
            return shown == value
    y = float(value)
    if math.isnan(y):
        return shown == ""
    if unit == "1":
        unit = None
    if unit is not None and unit not in MEASURED_UNITS:  # a label: "5 files"
        if not shown.endswith(f" {unit}"):
            return False
        shown, unit = shown[: -len(unit) - 1], None
    match = SHOWN.match(shown)
    if not match:
        return False
    digits, scale = match.group(1), match.group(2) or match.group(3)
    if (unit is None) != (scale is None) or (scale == "×") != (unit == "x"):
        return False
    if unit is None and y.is_integer() and abs(y) < 1e15 and "." not in digits:  # exactly
        n = int(y)
        return digits == (f"{n:,}" if abs(n) >= 10_000 else str(n))
    whole = digits.split("e")[0].split(".")[0].lstrip("-")
    if whole and whole != f"{int(whole.replace(',', '')):,}":
        return False  # thousands separators missing or in the wrong places
    if significant_digits_of(digits) > (unit_digits if unit is not None else max_digits):
        return False
    factor = SCALES[scale or "×"]
    x = float(digits.replace(",", "")) * factor
    if unit == "MiB":
        y *= 2.0**20
    mantissa, _, exponent = digits.replace(",", "").partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    # half a unit of the last digit shown; a whole number shown for a large value may stand
    # for rounded tens or hundreds (1,230 for 1234.5): the third significant digit then
    last = 10.0 ** (-decimals + (int(exponent) if exponent else 0))
    if "." not in mantissa and y != 0:
        last = max(last, 10.0 ** (math.floor(math.log10(abs(y / factor))) - 2))
    return abs(x - y) <= 0.5 * last * factor * 1.000001 + abs(y) * 1e-12


def decimals_of(shown: str) -> int:
    number = shown.split(" ")[0].split("e")[0]
    return len(number.split(".")[1]) if "." in number else 0


def check_column_digits(col: str, shown: list[str], values: list) -> None:
    """The column rule, written out again: the distinct values of a column of plain numbers
    are shown distinct; more than 3 significant digits only where 3 would show two distinct
    values alike, and then the fewest decimals that tell them apart, the same in every cell."""
    pairs = [
        (s, float(v))
        for s, v in zip(shown, values, strict=True)
        if s
        and not isinstance(v, (bool, np.bool_))
        and _plain(v)
        and not (float(v).is_integer() and "." not in s)
    ]
    if not pairs:
        return
    distinct = {float(f"{v:.10g}") for _, v in pairs}
    alike: dict[str, set] = {}
    for s, v in pairs:
        alike.setdefault(s, set()).add(float(f"{v:.10g}"))
    assert all(len(v) == 1 for v in alike.values()), (col, "distinct values shown alike", alike)
    wide = [s for s, _ in pairs if significant_digits_of(s.split(" ")[0]) > 3]
    if not wide:
        return
    at3 = {f"{v:.3g}" for v in distinct}
    assert len(at3) < len(distinct), (col, "more than 3 digits where 3 tell the values apart")
    k = decimals_of(pairs[0][0])
    assert all(decimals_of(s) == k for s, _ in pairs), (col, "decimals differ", wide)
    top = math.floor(math.log10(max(abs(v) for v in distinct)))
    floor = max(0, 2 - top)
    if k > floor:
        fewer = {round(v, k - 1) for v in distinct}
        assert len(fewer) < len(distinct), (col, f"{k - 1} decimals would do", wide)


def _plain(value) -> bool:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
    return isinstance(value, (int, float, np.integer, np.floating, str))


def check_table_shows_its_source(table: dict, source, precise: tuple[str, ...] = ()) -> None:
    """Every cell of a parsed report ``table`` is its ``source`` value as the page shows it,
    and every column follows the column rule (:func:`check_column_digits`). A transposed table
    (``data-transposed``) has a row per column of the source, named in its ``column`` cell,
    and a column per row of the source (named in its first column)."""
    transposed = table["attrs"].get("data-transposed") == "true"
    columns: dict[str, tuple[list, list]] = {}
    for i, row in enumerate(table["rows"]):
        cells = dict(row)
        for col, shown in row:
            if transposed:
                if col == "column":
                    assert shown in source.columns, (table["source"], shown)
                    continue
                key = source.columns[0]
                value = source.loc[source[key].astype(str) == col, cells["column"]].iloc[0]
                unit = None
            else:
                value = source[col].iloc[i]
                unit = source_unit(source, i, col)
            digits = 10 if col in precise else 17
            assert shown_as(shown, value, unit, max_digits=digits), (
                table["source"],
                i,
                col,
                shown,
                value,
            )
            if unit is None and col not in precise:
                columns.setdefault(col, ([], []))
                columns[col][0].append(shown)
                columns[col][1].append(value)
    for col, (shown, values) in columns.items():
        check_column_digits(col, shown, values)


def check_then_now(table: dict, rows) -> None:
    """A chapter's "then and now" table against ``then_and_now.csv`` (``rows``, a DataFrame
    read with empty cells kept): each row, found by its measure and item, shows the lesson's
    figure, this run's (or why there is none) and their ratio, in the row's unit."""
    assert table["rows"], table["source"]
    for attrs, row in zip(table["row_attrs"], table["rows"], strict=True):
        cells = dict(row)
        match = rows[
            (rows["measure"] == attrs["data-measure"])
            & (rows["item"] == attrs["data-item"])
            & (rows["what"] == cells["what"])
        ]
        assert len(match) == 1, (attrs, cells["what"])
        r = match.iloc[0]
        unit = None if r["unit"] == "1" else r["unit"]
        # the lesson's figure as it printed it: its own digits
        assert shown_as(cells["lesson"], float(r["lesson"]), unit, 17, 17), (r, cells)
        if r["today"] == "":
            assert cells["today"].startswith("not "), cells
            assert "ratio" not in cells
        else:
            assert shown_as(cells["today"], float(r["today"]), unit, max_digits=17), (r, cells)
            assert shown_as(cells["ratio"], float(r["ratio"]), "x"), (r, cells)
            assert float(r["ratio"]) == pytest.approx(float(r["today"]) / float(r["lesson"]))


# --- figures --------------------------------------------------------------------------------


def axis_offsets(fig) -> list[str]:
    """The offset or multiplier text of every axis of ``fig`` once drawn ('' where none)."""
    fig.canvas.draw()
    return [
        axis.get_major_formatter().get_offset() for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
    ]


def drawn_texts(fig) -> list:
    """Every piece of text ``fig`` draws, as (text, window extent): titles, axis labels, the
    tick labels of ticks inside the axes' view, annotations, legends."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks = {}
    for ax in fig.axes:
        for axis, view in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = sorted(view)
            span = (high - low) * 1e-9
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                for label in (tick.label1, tick.label2):
                    inside = low - span <= tick.get_loc() <= high + span
                    ticks[id(label)] = inside and tick.get_visible()
    out = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or not ticks.get(id(text), True):
            continue
        if text.axes is None and text.figure is None:
            continue
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            out.append((text.get_text(), box))
    return out


def text_overlaps(fig, tolerance: float = 0.5) -> list[tuple[str, str]]:
    """The pairs of texts of ``fig`` whose boxes intersect by more than ``tolerance`` pixels
    each way (a label running into another)."""
    texts = drawn_texts(fig)
    found = []
    for i, (a, box_a) in enumerate(texts):
        for b, box_b in texts[i + 1 :]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > tolerance and height > tolerance:
                found.append((a, b))
    return found
