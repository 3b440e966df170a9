"""The HTML report: every number equals its source, every figure embedded, a browser renders it."""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from conftest import DEFAULT_REPORT, chromium, run_snakemake
from sda.io import InputError, read_json, read_table
from sda.report.data import rule_of_benchmark
from sda.report.numbers import column_unit, human, significant
from sda.report.page import Page, write_report
from sda.report.sections import lahman_ibis, section_run, section_text

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


EVIDENCE_SOURCES = {
    "results/bench/generate.csv",
    "results/bench/stores.csv",
    "results/bench/text.csv",
    "results/bench/tables.csv",
}
REPORTS = {"bench": "results/report/report.html", "default": DEFAULT_REPORT}


@pytest.fixture(scope="module", params=list(REPORTS))
def report(request, workflow_run) -> tuple[Path, str, ReportParser]:
    """The report after ``bench`` (with the evidence sections) and after the default run."""
    return parse_report(workflow_run / REPORTS[request.param])


def parse_report(path: Path) -> tuple[Path, str, ReportParser]:
    text = path.read_text(encoding="utf-8")
    parser = ReportParser()
    parser.feed(text)
    parser.close()
    return path, text, parser


def _read_source(path: Path) -> pd.DataFrame:
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


def _unit(source: pd.DataFrame, i: int, col: str) -> str | None:
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


def _same(shown: str, value, unit: str | None = None) -> bool:
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


def test_numbers_are_shown_to_three_significant_digits_with_units():
    cases = [
        ((0.00186076, None), "0.00186"),
        ((0.114638, None), "0.115"),
        ((1234.5, None), "1,230"),
        ((17395, None), "17,395"),
        ((1981, None), "1981"),
        ((90.0, None), "90"),
        ((2.0, "s"), "2.00 s"),
        ((0.9996, "s"), "1.00 s"),
        ((0.00186, "s"), "1.86 ms"),
        ((24576, "B"), "24.0 KiB"),
        ((0.02636, "MiB"), "27.0 KiB"),
        ((3 * 2**30, "B"), "3.00 GiB"),
        ((39.713, "x"), "39.7×"),
        ((1.234e-13, None), "1.23e-13"),
        ((float("nan"), "s"), ""),
        (("the", None), "the"),
        ((True, None), "True"),
        ((5, "files"), "5 files"),
        ((0.00183105, "MiB"), "1.87 KiB"),  # 1,919.99 B: rounded once
    ]
    for (value, unit), text in cases:
        assert human(value, unit) == text, (value, unit)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert _same(text, value, unit), (value, unit, text)
    assert significant(999.6) == "1,000"
    assert not _same("1.24 ms", 0.00123, "s")  # rounded the wrong way
    assert not _same("1.235 ms", 0.001235, "s")  # four significant digits
    assert not _same("1.23", 0.00123, "s")  # no unit
    assert not _same("17395", 17395)  # no separator
    assert [column_unit(c) for c in ("seconds", "write_s", "peak_mib", "bytes_on_disk")] == [
        "s",
        "s",
        "MiB",
        "B",
    ]


def test_report_html_parses_and_is_self_contained(report):
    _, text, parser = report
    assert text.startswith("<!DOCTYPE html>")
    assert parser.errors == []
    assert parser.stack == []
    assert parser.external == [], "the report must not fetch anything"
    order = ["blocks", "stores", "array", "text", "tables", "run"]
    assert [s for s in order if f'<section id="{s}">' in text] == order
    assert [text.index(f'<section id="{s}">') for s in order] == sorted(
        text.index(f'<section id="{s}">') for s in order
    )


def test_every_number_shown_equals_its_source(report, workflow_run):
    path, _, parser = report
    # 14 tables of results and the lesson's measurements, 4 more with the evidence benchmarks
    assert len(parser.tables) == (14 if path.name == Path(DEFAULT_REPORT).name else 18)
    for table in parser.tables:
        source = _read_source(workflow_run / table["source"])
        assert table["rows"], table["source"]
        for i, row in enumerate(table["rows"]):
            for col, shown in row:
                value = source[col].iloc[i]
                unit = _unit(source, i, col)
                assert _same(shown, value, unit), (table["source"], i, col, shown, value)


def test_evidence_sections_only_after_bench(workflow_run):
    """The default run's report names the benchmarks it leaves out and how to add them, and
    shows none of their numbers; after ``bench`` it shows every one and no such line."""
    _, default, parsed_default = parse_report(workflow_run / DEFAULT_REPORT)
    _, bench, parsed_bench = parse_report(workflow_run / REPORTS["bench"])
    assert {t["source"] for t in parsed_default.tables}.isdisjoint(EVIDENCE_SOURCES)
    assert EVIDENCE_SOURCES <= {t["source"] for t in parsed_bench.tables}
    notes = re.findall(r'<p class="note">(.*?)</p>', default)
    assert len(notes) == 1 and "<code>snakemake --cores 8 bench</code>" in notes[0]
    for what in ("generation", "stores", "word count", "CSV engines"):
        assert what in notes[0]
    assert 'class="note"' not in bench


def test_every_figure_is_written_and_embedded(workflow_run):
    _, _, parser = parse_report(workflow_run / REPORTS["bench"])
    figdir = workflow_run / "results" / "report" / "figures"
    pngs = sorted(figdir.glob("*.png"))
    assert len(pngs) >= 8
    embedded = {
        img["data-figure"]: base64.b64decode(img["src"].split(",", 1)[1])
        for img in parser.images
        if img.get("src", "").startswith("data:image/png;base64,")
    }
    for png in pngs:
        assert embedded.get(png.stem) == png.read_bytes(), png.name
        assert mpimg.imread(png).std() > 0.01, f"{png.name} is blank"


def test_report_shows_the_lahman_expressions_their_sql_and_the_backends(report, workflow_run):
    """Each expression's source and the SQL ibis compiles it to for SQLite (compiled again here
    from the database's own schema), and the backend table, sourced from its file."""
    import html

    import ibis

    from sda.tables.lahman_ibis import EXPRESSIONS

    _, text, parser = report
    section = text.split('<section id="tables">', 1)[1].split("</section>", 1)[0]
    db = workflow_run / "results" / "lahman" / "lahman.sqlite"
    master = ibis.table(ibis.sqlite.connect(db).table("Master").schema(), name="Master")
    for query, (builder, _, lesson) in EXPRESSIONS.items():
        sql = ibis.to_sql(builder(master), dialect="sqlite")
        shown = section.split(f'<pre data-expr="{query}"><code>', 1)[1].split("</code>", 1)[0]
        assert html.unescape(shown).startswith(f"def {builder.__name__}(master")
        shown_sql = re.findall(r'<pre data-sql="sqlite"><code>(.*?)</code></pre>', section, re.S)
        assert str(sql) in [html.unescape(code) for code in shown_sql]
        shown_lesson = re.findall(
            r"<p>Blaze \(the lesson\):</p><pre><code>(.*?)</code>", section, re.S
        )
        assert lesson in [html.unescape(code) for code in shown_lesson]
    backends = [t for t in parser.tables if t["source"] == "results/lahman/backends.csv"]
    assert len(backends) == 1
    assert backends[0]["header"] == ["query", "backend", "rows", "seconds", "identical"]
    assert {cell for row in backends[0]["rows"] for col, cell in row if col == "identical"} == {
        "yes"
    }


# --- corrupt results: the report fails naming the file ---------------------------------------


@pytest.mark.parametrize(
    "content, kwargs, message",
    [
        (None, {}, "missing input file"),
        (b"", {}, "not a readable CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage", {}, "not a readable CSV file"),
        (b"word,n\n", {"columns": ["word"]}, "no rows"),
        (b"wrd,n\nthe,3\n", {"columns": ["word"]}, "no column 'word' (columns: wrd, n)"),
        (b"word,n\nthe,3\nof,many\n", {"numeric": ["n"]}, "column 'n' holds values that are not"),
        (b'word,n\n"the,3\n', {}, "not a readable CSV file"),
    ],
)
def test_read_table_names_the_file(tmp_path, content, kwargs, message):
    path = tmp_path / "top10.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_table(path, **kwargs)


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"mean": 1.0', "not a readable JSON file"),
        (b"\xff\xfe", "not a readable JSON file"),
        (b"[1, 2]", "not a JSON object (a list)"),
        (b'{"mean": 1.0}', "no key 'count'"),
    ],
)
def test_read_json_names_the_file(tmp_path, content, message):
    path = tmp_path / "array_summary.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_json(path, ["mean", "count"])


def test_read_table_every_other_column_numeric(tmp_path):
    """block_means.csv: a label column, then a number per source."""
    path = tmp_path / "block_means.csv"
    path.write_text("block,npy,dask_npy\nx000000,100.5,100.5\nx000001,99.2,99.2\n")
    assert list(read_table(path, ["block"], numeric=True)["npy"]) == [100.5, 99.2]
    path.write_text("block,npy,dask_npy\nx000000,100.5,nan?\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: column 'dask_npy'")):
        read_table(path, ["block"], numeric=True)


def _page(tmp_path) -> Page:
    return Page(root=tmp_path, figdir=tmp_path / "figures")


def test_a_corrupt_text_result_fails_the_report_naming_it(tmp_path):
    good = tmp_path / "top5_clean.csv"
    good.write_text("word,n\nthe,5\n")
    bad = tmp_path / "top10.csv"
    bad.write_text("word,n\nthe,5\nof,\x00\x01\n")
    with pytest.raises(InputError, match=re.escape(f"{bad}: column 'n'")):
        section_text(_page(tmp_path), {"top10": bad, "top5_clean": good})
    graph = tmp_path / "graph.png"
    graph.write_bytes(b"<svg/>")
    bad.write_text("word,n\nthe,5\n")
    with pytest.raises(InputError, match=re.escape(f"{graph}: not a PNG image")):
        section_text(_page(tmp_path), {"top10": bad, "top5_clean": good, "graph": graph})


def test_a_corrupt_json_result_fails_the_report_naming_it(tmp_path):
    page = _page(tmp_path)
    summary = tmp_path / "array_summary.json"
    summary.write_text('{"mean": 100.0, "std"')
    with pytest.raises(InputError, match=re.escape(f"{summary}: not a readable JSON file")):
        page.json_table(summary)
    expressions = tmp_path / "expressions.json"
    listing = {"ibis": "10", "table": "Master", "queries": [{"query": "q", "lesson": "l"}]}
    expressions.write_text(json.dumps(listing))
    with pytest.raises(InputError, match=re.escape(f"{expressions}: queries must be objects")):
        lahman_ibis(page, {"lahman_expressions": expressions})


def test_a_corrupt_rule_benchmark_fails_the_report_naming_it(tmp_path):
    benchmarks = tmp_path / "benchmarks" / "generate_blocks"
    benchmarks.mkdir(parents=True)
    tsv = benchmarks / "00.tsv"
    tsv.write_text("s\th:m:s\n0.5\t0:00:00\n")
    section_run(_page(tmp_path), {}, tmp_path / "benchmarks", "now")
    tsv.write_text("s\th:m:s\n")  # a killed write of Snakemake's: the header only
    with pytest.raises(InputError, match=re.escape(f"{tsv}: no rows")):
        section_run(_page(tmp_path), {}, tmp_path / "benchmarks", "now")


def test_run_facts_give_each_rules_threads_from_its_benchmarks(tmp_path):
    """The threads each job had, as Snakemake recorded them (benchmark-extended): a rule's
    range over its jobs, ``?`` where a file has no threads column."""
    benchmarks = tmp_path / "benchmarks"
    (benchmarks / "generate_blocks").mkdir(parents=True)
    header = "s\th:m:s\tjobid\trule_name\tthreads\n"
    (benchmarks / "generate_blocks" / "0.tsv").write_text(header + "1.5\t0:00:01\t1\tg\t1\n")
    (benchmarks / "generate_blocks" / "1.tsv").write_text(header + "2.5\t0:00:02\t2\tg\t3\n")
    (benchmarks / "array_summary.tsv").write_text(header + "7\t0:00:07\t3\ta\t2\n")
    (benchmarks / "old.tsv").write_text("s\th:m:s\n0.25\t0:00:00\n")
    page = _page(tmp_path)
    section_run(page, {}, benchmarks, "now")
    body = page.sections[0].body
    rows = re.findall(
        r"<tr><td>(\w+)</td><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", body
    )
    assert rows == [
        ("array_summary", "1", "2", "7.00 s"),
        ("generate_blocks", "2", "1-3", "4.00 s"),
        ("old", "1", "?", "250 ms"),
    ]
    assert "cores" not in body


def test_a_corrupt_result_fails_the_report_rule_naming_it(workflow_run, tmp_path):
    """In a copy of the test run: a result garbled after it was made fails `snakemake report`
    with the file's name, in the rule's log and on the console."""
    wf = tmp_path / "wf"
    shutil.copytree(workflow_run, wf, symlinks=True)
    bad = wf / "results" / "text" / "top10.csv"  # read by the report alone
    bad.write_text("word,n\nthe,many\n")
    proc = run_snakemake(wf, "report", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    message = "results/text/top10.csv: column 'n' holds values that are not numbers"
    assert message in out
    assert message in (wf / "logs" / "report_html.log").read_text()


def test_benchmark_rule_names():
    b = Path("/w/benchmarks")
    assert rule_of_benchmark(b / "bench_block_io.tsv", b) == "bench_block_io"
    assert rule_of_benchmark(b / "generate_blocks" / "00001.tsv", b) == "generate_blocks"


def test_report_target_regenerates_the_report_alone(workflow_run):
    html = workflow_run / "results" / "report" / "report.html"
    html.unlink()
    proc = run_snakemake(workflow_run, "report")
    assert html.is_file()
    assert "report_html" in proc.stdout + proc.stderr
    jobs = re.findall(r"^Job \d+: (\w+): ", proc.stdout + proc.stderr, re.M)
    assert jobs == ["report_html", "report"]


def test_snakemake_report_builds(workflow_run):
    out = workflow_run / "results" / "report" / "snakemake_report.zip"
    run_snakemake(workflow_run, "--report", str(out))
    assert out.is_file() and out.stat().st_size > 10_000


@pytest.mark.browser
def test_report_renders_in_a_headless_browser(report, tmp_path):
    path, _, _ = report
    shot = tmp_path / "report.png"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    cmd += ["--window-size=1200,2000", f"--screenshot={shot}", path.resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1200)
    # Not blank: many distinct colours (text, bars), and a good share of non-white pixels.
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    assert (pixels.mean(axis=2) < 0.9).mean() > 0.02


SCALING_CSV = """\
step,cache,size_bytes,blocks,copies,cores,wall_s,peak_rss_bytes,gb_per_s,exceeds_ram,ram_bytes,free_disk_bytes,cached_before,evicted,dd_write_gb_per_s,dd_read_gb_per_s,fraction_of_dd,result
dd_read,cold,2000000000,,,1,17.99,,0.1112,False,25276514304,80459440128,0.0000,True,0.6151,0.1112,1,{}
generate,write,1000000000,125,,2,5.125,131072000,0.1951,False,25276514304,78000000000,,,0.6151,0.1112,0.3172,{}
generate,write,32000000000,4000,,2,270.5,138412032,0.1183,True,25276514304,46000000000,,,0.6151,0.1112,0.1923,{}
summary,cold,1000000000,125,,2,9.87,179306496,0.1013,False,25276514304,78000000000,0.0000,True,0.6151,0.1112,0.911,{}
summary,cold,32000000000,4000,,2,800.1,389021696,0.03999,True,25276514304,46000000000,0.0000,True,0.6151,0.1112,0.3596,{}
"""


def test_scaling_section_shows_the_run_when_it_exists(tmp_path):
    """The scaling section appears only once the scaling run has made its CSV and plot, with
    every number equal to the CSV's and the targets computed from it."""
    from sda.report.sections import section_scaling
    from sda.scaling.report import plot, read_csv

    csv, png = tmp_path / "scaling.csv", tmp_path / "scaling.png"
    page = _page(tmp_path)
    section_scaling(page, csv, png)
    assert page.sections == []  # no run yet: no section
    csv.write_text(SCALING_CSV)
    plot(read_csv(csv), png)
    section_scaling(page, csv, png)
    out = tmp_path / "report.html"
    write_report(out, page)
    _, text, parser = parse_report(out)
    assert parser.errors == []
    assert [s.anchor for s in page.sections] == ["scaling"]
    assert 'data-figure="scaling"' in text
    (table,) = parser.tables
    source = _read_source(csv)
    assert len(table["rows"]) == len(source) == 5
    for i, row in enumerate(table["rows"]):
        for col, shown in row:
            assert _same(shown, source[col].iloc[i], _unit(source, i, col)), (i, col, shown)
    # generate: 5.125 s for 1 GB, 270.5 s for 32 GB -> s/GB x1.65: met; summary x2.53: not met
    assert "5.12 -&gt; 8.45 s/GB (x1.65)" in text and "9.87 -&gt; 25 s/GB (x2.53)" in text
    assert text.count("<td>met</td>") >= 2 and "<td>not met</td>" in text


def axis_offsets(fig) -> list[str]:
    """The offset or multiplier text of every axis of ``fig`` once drawn ('' where none)."""
    fig.canvas.draw()
    return [
        axis.get_major_formatter().get_offset() for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
    ]


def test_figures_in_the_units_of_their_tables_at_full_scale():
    """At the default config's magnitudes (8 MB blocks, means of 1e6 numbers around 100 within
    0.03): file sizes in MiB, means as they are, no offset or multiplier on any axis."""
    from sda.report import figures

    rows = pd.DataFrame(
        {
            "what": ["save_block", "save_block", "load_block_allocations"],
            "method": ["npy", "csv", "npy"],
            "seconds": [0.0111, 0.897, float("nan")],
            "peak_mib": [float("nan"), float("nan"), 7.63],
            "bytes": [8_000_128, 25_000_000, 8_000_128],
        }
    )
    fig = figures.block_io(rows)
    assert axis_offsets(fig) == [""] * 6
    sizes = fig.axes[2]
    assert sizes.get_title() == "file size per block (MiB)"
    assert max(sizes.get_ylim()) < 30  # 7.63 and 23.8 MiB, not 8e6 and 2.5e7 bytes
    assert [t.get_text() for t in sizes.texts] == ["7.63 MiB", "23.8 MiB"]
    rng = np.random.default_rng(0)
    means = pd.DataFrame(
        {"block": range(100), **{f"s{k}": 100 + rng.normal(0, 0.01, 100) for k in range(14)}}
    )
    fig = figures.block_means(means)
    assert axis_offsets(fig) == ["", ""]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert all(float(label.replace("\u2212", "-")) > 99 for label in labels if label), labels


def test_no_figure_of_the_report_uses_an_offset_or_a_multiplier(
    workflow_run, tmp_path, monkeypatch
):
    """Every figure the report draws, on the results of the test run (``bench`` inputs)."""
    from sda.report.sections import build_report
    from sda.rulerun import mock_snakemake

    drawn = {}
    figure = Page.figure

    def checked(self, fig, name, alt):
        drawn[name] = axis_offsets(fig)
        return figure(self, fig, name, alt)

    monkeypatch.setattr(Page, "figure", checked)
    monkeypatch.chdir(workflow_run)
    sm, _ = mock_snakemake("bench", ["config/test.yaml"])
    inputs = {k: Path(v) for k, v in sm.input.items()}
    build_report(
        inputs, tmp_path / "r.html", tmp_path / "figs", {}, workflow_run, list(sm.params.evidence)
    )
    assert len(drawn) >= 8, drawn
    assert {name: offsets for name, offsets in drawn.items() if any(offsets)} == {}
