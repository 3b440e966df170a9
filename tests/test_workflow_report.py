"""Integration: the HTML report of the workflow's run on config/test.yaml (the session's
``workflow_run``: the default target, then ``bench``): every number equals its source, the
lesson's figures beside this run's, every figure embedded and readable, a browser renders it
within the window; a corrupt result fails the report rule naming it."""

from __future__ import annotations

import base64
import contextlib
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from conftest import DEFAULT_REPORT, DEFAULT_THEN_NOW, chromium, load_workflow_job, run_snakemake
from oracles import (
    ReportParser,
    axis_offsets,
    check_table_shows_its_source,
    check_then_now,
    parse_report,
    read_source,
    result_tables,
    sql_birth_country,
    text_overlaps,
    then_now_tables,
)
from sda.report.lesson import read_lesson
from sda.report.page import Page

pytestmark = pytest.mark.workflow


EVIDENCE_SOURCES = {
    "results/bench/generate.csv",
    "results/bench/stores.csv",
    "results/bench/text.csv",
    "results/bench/tables.csv",
    "results/bench/engines.csv",
}


REPORTS = {"bench": "results/report/report.html", "default": DEFAULT_REPORT}
THEN_NOW = {
    "report.html": "results/report/then_and_now.csv",
    Path(DEFAULT_REPORT).name: DEFAULT_THEN_NOW,
}


@pytest.fixture(scope="module", params=list(REPORTS))
def report(request, workflow_run) -> tuple[Path, str, ReportParser]:
    """The report after ``bench`` (with the evidence sections) and after the default run."""
    return parse_report(workflow_run / REPORTS[request.param])


def test_report_html_parses_and_is_self_contained(report):
    _, text, parser = report
    assert text.startswith("<!DOCTYPE html>")
    assert parser.errors == []
    assert parser.stack == []
    assert parser.external == [], "the report must not fetch anything or leave the run"
    order = ["blocks", "stores", "text", "tables", "engines", "run"]
    if report[0].name == Path(DEFAULT_REPORT).name:
        order.remove("engines")  # an evidence benchmark's chapter
    assert [s for s in order if f'<section id="{s}">' in text] == order
    assert [text.index(f'<section id="{s}">') for s in order] == sorted(
        text.index(f'<section id="{s}">') for s in order
    )


def test_every_number_shown_equals_its_source(report, workflow_run):
    path, _, parser = report
    # 16 tables of results, 21 with the evidence benchmarks; a "then and now" per lesson topic
    tables = result_tables(parser)
    assert len(tables) == (16 if path.name == Path(DEFAULT_REPORT).name else 21)
    for table in tables:
        source = read_source(workflow_run / table["source"])
        assert table["rows"], table["source"]
        precise = tuple(source.columns) if table["source"].endswith("array_summary.json") else ()
        check_table_shows_its_source(table, source, precise)
    rows = pd.read_csv(workflow_run / THEN_NOW[path.name], keep_default_na=False, dtype=str)
    shown = then_now_tables(parser)
    assert len(shown) == 4
    for table in shown:
        assert table["source"] == "results/report/then_and_now.csv"
        check_then_now(table, rows)
    assert sum(len(t["rows"]) for t in shown) == len(rows)


def test_the_whole_array_keeps_its_digits(report, workflow_run):
    """The lesson's answer: the whole array's mean and std with at least 8 significant digits,
    equal to array_summary.json's."""
    import json

    _, _, parser = report
    (table,) = [t for t in parser.tables if t["source"].endswith("array_summary.json")]
    cells = dict(table["rows"][0])
    data = json.loads((workflow_run / "results" / "tables" / "array_summary.json").read_text())
    for key in ("mean", "std"):
        digits = cells[key].replace(".", "").replace(",", "").lstrip("0")
        assert len(digits) >= 8, cells[key]
        assert float(cells[key].replace(",", "")) == pytest.approx(data[key], rel=1e-9)
    n = data["count"]
    assert cells["count"] == (f"{n:,}" if n >= 10_000 else str(n))  # exactly


def test_the_lesson_figures_stand_beside_this_runs(workflow_run):
    """Every figure of report/lesson_2016.csv is in then_and_now.csv; this run's figures are
    those of the result files, read here independently (block_io.csv, top10.csv, sqlite3 on
    the Lahman database)."""
    rows = pd.read_csv(
        workflow_run / "results" / "report" / "then_and_now.csv", keep_default_na=False, dtype=str
    )
    lesson = read_lesson(workflow_run / "report" / "lesson_2016.csv")
    compared = set(zip(rows["measure"], rows["item"], strict=True))
    described = {m for m, _ in lesson.figures if m.startswith("describe_")}
    missing = {(m, i) for m, i in lesson.figures if m not in described} - compared
    assert missing == set()
    assert described <= set(rows["measure"])  # the describe figures: per statistic

    def today(measure, item=""):
        row = rows[(rows["measure"] == measure) & (rows["item"] == item)]
        return float(row["today"].iloc[0]) if row["today"].iloc[0] else None

    io = pd.read_csv(workflow_run / "results" / "bench" / "block_io.csv")
    save = io[(io["what"] == "save_block") & (io["method"] == "npy")]["seconds"].iloc[0]
    assert today("save_npy") == pytest.approx(save)
    assert float(rows[rows["measure"] == "save_npy"]["lesson"].iloc[0]) == pytest.approx(0.0638)
    top10 = pd.read_csv(workflow_run / "results" / "text" / "top10.csv", keep_default_na=False)
    counts = dict(zip(top10["word"], top10["n"], strict=True))
    for word in ("the", "of", "and"):
        assert today("top10", word) == counts.get(word), word
    db = workflow_run / "results" / "lahman" / "lahman.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        players = {c: int(n) for c, n, _ in sql_birth_country(conn)[1:]}
    assert today("birth_country", "USA") == players["USA"]
    assert today("birth_country", "D.R.") == players["D.R."]
    # the test config's blocks have 8 columns: the lesson's 20 are not all there
    assert today("describe_mean") is None


def test_evidence_sections_only_after_bench(workflow_run):
    """The default run's report names the benchmarks it leaves out and how to add them, and
    shows none of their numbers; after ``bench`` it shows every one and no such line."""
    _, default, parsed_default = parse_report(workflow_run / DEFAULT_REPORT)
    _, bench, parsed_bench = parse_report(workflow_run / REPORTS["bench"])
    assert {t["source"] for t in parsed_default.tables}.isdisjoint(EVIDENCE_SOURCES)
    assert EVIDENCE_SOURCES <= {t["source"] for t in parsed_bench.tables}
    notes = re.findall(r'<p class="note">(.*?)</p>', default)
    assert len(notes) == 1 and "<code>snakemake --cores 8 bench</code>" in notes[0]
    for what in ("generation", "stores", "word count", "CSV engines", "polars and DuckDB"):
        assert what in notes[0]
    assert 'class="note"' not in bench


def test_every_figure_is_written_and_embedded(workflow_run):
    _, _, parser = parse_report(workflow_run / REPORTS["bench"])
    figdir = workflow_run / "results" / "report" / "figures"
    pngs = sorted(figdir.glob("*.png"))
    assert len(pngs) >= 12
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


def test_a_corrupt_result_fails_the_report_rule_naming_it(workflow_run, tmp_path):
    """In a copy of the test run: a result garbled after it was made fails `snakemake report`
    with the file's name, in the rule's log and on the console."""
    wf = tmp_path / "wf"
    shutil.copytree(workflow_run, wf, symlinks=True)
    bad = wf / "results" / "text" / "delayed_top5.csv"  # read by the report alone
    bad.write_text("word,n\nthe,many\n")
    proc = run_snakemake(wf, "report", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    message = "results/text/delayed_top5.csv: column 'n' holds values that are not numbers"
    assert message in out
    assert message in (wf / "logs" / "report_html.log").read_text()


def test_a_malformed_lesson_figure_fails_the_report_rule_naming_its_line(workflow_run, tmp_path):
    """In a copy of the test run: a figure of report/lesson_2016.csv without its unit fails
    `snakemake report` with the file and the line, on the console and in the rule's log."""
    wf = tmp_path / "wf"
    shutil.copytree(workflow_run, wf, symlinks=True)
    lesson = wf / "report" / "lesson_2016.csv"
    lines = lesson.read_text().splitlines()
    assert lines[2].startswith("save_csv,,316,ms,")
    lines[2] = lines[2].replace(",316,ms,", ",316,,")
    lesson.write_text("\n".join(lines) + "\n")
    # mtime only: the copy's other paths (a param of bench_generate) would rerun the benchmarks
    proc = run_snakemake(wf, "report", "--rerun-triggers", "mtime", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert re.findall(r"^Job \d+: (\w+): ", out, re.M) == ["report_html"], out[-2000:]
    message = f"{lesson.resolve()}, line 3: no unit"
    assert message in out, out[-2000:]
    assert message in (wf / "logs" / "report_html.log").read_text()


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


def _browser(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)


@pytest.mark.browser
def test_report_renders_in_a_headless_browser(report, tmp_path):
    path, _, _ = report
    shot = tmp_path / "report.png"
    _browser("--window-size=1200,2000", f"--screenshot={shot}", path.resolve().as_uri())
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1200)
    # Not blank: many distinct colours (text, bars), and a good share of non-white pixels.
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    assert (pixels.mean(axis=2) < 0.9).mean() > 0.02


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 500])
def test_the_page_fits_the_window_it_is_read_in(report, tmp_path, width):
    """At 1280 and 500 px the page is no wider than the window: wide tables and code scroll in
    their own box. A copy of the page reports its widths (a script added to the copy only)."""
    path, text, _ = report
    probe = tmp_path / "probe.html"
    script = (
        "<script>document.title = [document.documentElement.scrollWidth, "
        "window.innerWidth].join(' ');</script>"
    )
    probe.write_text(text.replace("</body>", script + "</body>"), encoding="utf-8")
    proc = _browser(
        f"--window-size={width},900",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.resolve().as_uri(),
    )
    title = re.search(r"<title>(\d+) (\d+)</title>", proc.stdout)
    assert title, proc.stdout[:500]
    scroll, inner = map(int, title.groups())
    assert inner == width
    assert scroll <= inner, f"the page is {scroll} px wide in a window of {inner} px"


def test_every_link_of_the_page_leads_to_a_file_of_the_run(report):
    """Links to result files and logs are relative to the page and lead to files that exist."""
    path, _, parser = report
    files = [href for href in parser.links if not href.startswith("#")]
    assert len(files) > 20
    for href in files:
        target = (path.parent / href).resolve()
        assert target.is_file(), href


def test_no_figure_of_the_report_is_unreadable(workflow_run, tmp_path, monkeypatch):
    """Every figure the report draws, on the results of the test run (``bench`` inputs): no
    offset or multiplier on an axis, no text running into another."""
    from sda.chapters import CHAPTERS
    from sda.report.build import build_report

    drawn = {}
    figure = Page.figure

    def checked(self, fig, name, alt):
        drawn[name] = (axis_offsets(fig), text_overlaps(fig))
        return figure(self, fig, name, alt)

    monkeypatch.setattr(Page, "figure", checked)
    monkeypatch.chdir(workflow_run)
    sm, _ = load_workflow_job("bench", ["config/test.yaml"])
    inputs = {k: Path(v) for k, v in sm.input.items() if k != "lesson"}
    out = tmp_path / "r" / "report.html"
    build_report(
        CHAPTERS,
        inputs,
        out,
        out.parent / "figs",
        out.parent / "t.csv",
        dict(sm.params.config),
        workflow_run,
        dict(sm.params.made_by),
        dict(sm.params.evidence),
    )
    assert len(drawn) >= 10, drawn
    assert {n: o for n, (o, _) in drawn.items() if any(o)} == {}
    assert {n: t for n, (_, t) in drawn.items() if t} == {}
