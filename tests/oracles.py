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


class ReportParser(HTMLParser):
    """Collects the tables with a data-source, the embedded images, and checks nesting."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tables: list[dict] = []  # {"source": str, "header": [...], "rows": [[(col, text)]]}
        self.images: list[dict] = []
        self.external: list[str] = []
        self._cell: list[str] | None = None
        self._cell_col: str | None = None
        self._in_head = False
        self._sourced: list[bool] = []  # one entry per open <table>: has a data-source?

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if key in a and a[key] and not a[key].startswith(("data:", "#")):
                self.external.append(a[key])
        if tag in ("script", "link", "iframe"):
            self.external.append(tag)
        if tag == "img":
            self.images.append(a)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "table":
            self._sourced.append("data-source" in a)
            if "data-source" in a:
                self.tables.append({"source": a["data-source"], "header": [], "rows": []})
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._in_sourced() and not self._in_head:
            self.tables[-1]["rows"].append([])
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
            text = "".join(self._cell).strip()
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


# How the page shows numbers, written out again here: 3 significant digits, thousands
# separators, seconds in s/ms/µs/ns, sizes in B/KiB/MiB/GiB, ratios with a ×.
SCALES = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9, "B": 1.0, "KiB": 2.0**10}
SCALES |= {"MiB": 2.0**20, "GiB": 2.0**30, "×": 1.0}
SHOWN = re.compile(r"^(-?[0-9,]*\.?[0-9]+(?:e[-+][0-9]+)?)(?: ?(s|ms|µs|ns|B|KiB|MiB|GiB)|(×))?$")


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


def shown_as(shown: str, value, unit: str | None = None) -> bool:
    """A shown cell is its source value as the page formats it: integers exactly (separators
    from 10,000), other numbers rounded to the 3 significant digits shown, in their unit."""
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
    if unit is not None and unit not in ("s", "B", "MiB", "x"):  # a label: "5 files"
        if not shown.endswith(f" {unit}"):
            return False
        shown, unit = shown[: -len(unit) - 1], None
    match = SHOWN.match(shown)
    if not match:
        return False
    digits, scale = match.group(1), match.group(2) or match.group(3)
    if (unit is None) != (scale is None) or (scale == "×") != (unit == "x"):
        return False
    if unit is None and y.is_integer() and abs(y) < 1e15:  # an integer: exactly
        n = int(y)
        return digits == (f"{n:,}" if abs(n) >= 10_000 else str(n))
    whole = digits.split("e")[0].split(".")[0].lstrip("-")
    if whole and whole != f"{int(whole.replace(',', '')):,}":
        return False  # thousands separators missing or in the wrong places
    mantissa = digits.replace(",", "").split("e")[0].lstrip("-")
    if "." in mantissa:
        significant_digits = mantissa.replace(".", "").lstrip("0")
    else:
        significant_digits = mantissa.strip("0")
    if len(significant_digits) > 3:
        return False  # more than 3 significant digits shown
    factor = SCALES[scale or "×"]
    x = float(digits.replace(",", "")) * factor
    if unit == "MiB":
        y *= 2.0**20
    if y == 0:
        return x == 0
    # the value rounded to 3 significant digits in the unit shown: within half a unit of
    # the third digit
    half = 0.5 * 10.0 ** (math.floor(math.log10(abs(y / factor))) - 2) * factor
    return abs(x - y) <= half * 1.000001 + abs(y) * 1e-12


def check_table_shows_its_source(table: dict, source) -> None:
    """Every cell of a parsed report ``table`` is its ``source`` value as the page shows it."""
    for i, row in enumerate(table["rows"]):
        for col, shown in row:
            value = source[col].iloc[i]
            unit = source_unit(source, i, col)
            assert shown_as(shown, value, unit), (table["source"], i, col, shown, value)


def axis_offsets(fig) -> list[str]:
    """The offset or multiplier text of every axis of ``fig`` once drawn ('' where none)."""
    fig.canvas.draw()
    return [
        axis.get_major_formatter().get_offset() for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
    ]
