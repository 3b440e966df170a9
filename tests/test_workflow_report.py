"""Integration: the HTML report of the workflow's run on config/test.yaml (the session's
``workflow_run``: the default target, then ``bench``): every number equals its source, every
figure embedded, a browser renders it; a corrupt result fails the report rule naming it."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from conftest import DEFAULT_REPORT, chromium, load_workflow_job, run_snakemake
from oracles import (
    ReportParser,
    axis_offsets,
    check_table_shows_its_source,
    parse_report,
    read_source,
)
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


@pytest.fixture(scope="module", params=list(REPORTS))
def report(request, workflow_run) -> tuple[Path, str, ReportParser]:
    """The report after ``bench`` (with the evidence sections) and after the default run."""
    return parse_report(workflow_run / REPORTS[request.param])


def test_report_html_parses_and_is_self_contained(report):
    _, text, parser = report
    assert text.startswith("<!DOCTYPE html>")
    assert parser.errors == []
    assert parser.stack == []
    assert parser.external == [], "the report must not fetch anything"
    order = ["blocks", "stores", "array", "text", "tables", "engines", "run"]
    if report[0].name == Path(DEFAULT_REPORT).name:
        order.remove("engines")  # an evidence benchmark's chapter
    assert [s for s in order if f'<section id="{s}">' in text] == order
    assert [text.index(f'<section id="{s}">') for s in order] == sorted(
        text.index(f'<section id="{s}">') for s in order
    )


def test_every_number_shown_equals_its_source(report, workflow_run):
    path, _, parser = report
    # 14 tables of results and the lesson's measurements, 5 more with the evidence benchmarks
    assert len(parser.tables) == (14 if path.name == Path(DEFAULT_REPORT).name else 19)
    for table in parser.tables:
        source = read_source(workflow_run / table["source"])
        assert table["rows"], table["source"]
        check_table_shows_its_source(table, source)


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


def test_no_figure_of_the_report_uses_an_offset_or_a_multiplier(
    workflow_run, tmp_path, monkeypatch
):
    """Every figure the report draws, on the results of the test run (``bench`` inputs)."""
    from sda.report.sections import build_report

    drawn = {}
    figure = Page.figure

    def checked(self, fig, name, alt):
        drawn[name] = axis_offsets(fig)
        return figure(self, fig, name, alt)

    monkeypatch.setattr(Page, "figure", checked)
    monkeypatch.chdir(workflow_run)
    sm, _ = load_workflow_job("bench", ["config/test.yaml"])
    inputs = {k: Path(v) for k, v in sm.input.items()}
    build_report(
        inputs, tmp_path / "r.html", tmp_path / "figs", {}, workflow_run, list(sm.params.evidence)
    )
    assert len(drawn) >= 8, drawn
    assert {name: offsets for name, offsets in drawn.items() if any(offsets)} == {}
