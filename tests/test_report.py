"""sda.report: the chapters built from results on small inputs made here (a corrupt one fails
naming the file, a missing figure is "not measured in this run"), the page with its
comparisons, and each chapter owned by its topic (tests/test_workflow_report.py checks the
report of a real run)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracles import (
    check_table_shows_its_source,
    check_then_now,
    parse_report,
    read_source,
    then_now_tables,
)
from sda import repository
from sda.chapters import CHAPTERS
from sda.io import InputError
from sda.report.build import Run, build_report
from sda.report.lesson import read_lesson
from sda.report.page import Page, write_report
from sda.report.run import rule_of_benchmark

SCRIPTS = repository() / "scripts" / "sda"
TOPICS = ("blocks", "stores", "text", "tables", "engines", "scaling")


# --- chapters on small inputs -------------------------------------------------------------


def _page(tmp_path) -> Page:
    return Page(root=tmp_path, figdir=tmp_path / "figures")


def _run(tmp_path, inputs: dict, config: dict | None = None) -> Run:
    return Run(inputs, config or {}, read_lesson(), tmp_path, "then_and_now.csv")


def _chapter(anchor: str):
    return next(c for c in CHAPTERS if c.anchor == anchor)


def _render(tmp_path, anchor: str, inputs: dict, config: dict | None = None) -> tuple:
    page, run = _page(tmp_path), _run(tmp_path, inputs, config)
    context = _chapter(anchor).build(page, run)
    if context is not None:
        page.section(anchor, anchor, **context)
    write_report(tmp_path / "report.html", page)
    return page, run, parse_report(tmp_path / "report.html")


def test_a_corrupt_text_result_fails_the_report_naming_it(tmp_path):
    good = tmp_path / "top5_clean.csv"
    good.write_text("word,n\nthe,5\n")
    bad = tmp_path / "top10.csv"
    bad.write_text("word,n\nthe,5\nof,\x00\x01\n")
    with pytest.raises(InputError, match=re.escape(f"{bad}: column 'n'")):
        _render(tmp_path, "text", {"top10": bad, "top5_clean": good})
    graph = tmp_path / "graph.png"
    graph.write_bytes(b"<svg/>")
    bad.write_text("word,n\nthe,5\n")
    with pytest.raises(InputError, match=re.escape(f"{graph}: not a PNG image")):
        _render(tmp_path, "text", {"top10": bad, "top5_clean": good, "graph": graph})


@pytest.mark.parametrize("verified", [True, False])
def test_the_text_chapter_names_the_dump_and_its_checksum(tmp_path, verified):
    """A downloaded corpus: the text chapter says which dump it came from, its checksum and
    what that was verified against, or that it was not (wiki.checksum: skip)."""
    (tmp_path / "top10.csv").write_text("word,n\nthe,5\n")
    (tmp_path / "top5_clean.csv").write_text("word,n\nthe,5\n")
    url = "https://dumps.wikimedia.org/enwiki/20261101/enwiki-20261101-pages-articles1.xml-p1p41242.bz2"
    listing = "https://dumps.wikimedia.org/enwiki/20261101/dumpstatus.json"
    source = {
        "url": url,
        "file": url.rsplit("/", 1)[1],
        "bytes": 281_654_932,
        "checksum": f"sha1:{'ab' * 20}",
        "verified": verified,
        "verified_against": listing if verified else "",
        "fetched": "2026-12-04T10:00:00+00:00",
    }
    (tmp_path / "SOURCE.json").write_text(json.dumps(source))
    inputs = {
        k: tmp_path / f
        for k, f in [
            ("top10", "top10.csv"),
            ("top5_clean", "top5_clean.csv"),
            ("wiki_source", "SOURCE.json"),
        ]
    }
    _, _, (_, text, parsed) = _render(tmp_path, "text", inputs)
    paragraph = re.sub(r"\s+", " ", text.split("The corpus was extracted", 1)[1].split("</p>")[0])
    assert f"<code>{url}</code>, checksum <code>sha1:{'ab' * 20}</code>" in paragraph
    if verified:
        assert f"verified against <code>{listing}</code>" in paragraph
    else:
        assert "<strong>not verified</strong> (<code>wiki.checksum: skip</code>)" in paragraph
    table = next(t for t in parsed.tables if t["source"] == "SOURCE.json")
    check_table_shows_its_source(table, read_source(tmp_path / "SOURCE.json"))
    assert dict(table["rows"][0])["bytes"] == "269 MiB"
    (tmp_path / "SOURCE.json").write_text(json.dumps({"url": url}))
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'SOURCE.json'}: no key")):
        _render(tmp_path, "text", inputs)


def test_a_corrupt_json_result_fails_the_report_naming_it(tmp_path):
    summary = tmp_path / "array_summary.json"
    summary.write_text('{"mean": 100.0, "std"')
    with pytest.raises(InputError, match=re.escape(f"{summary}: not a readable JSON file")):
        _page(tmp_path).json_table(summary)
    from sda.tables.report import read_expressions

    expressions = tmp_path / "expressions.json"
    listing = {"ibis": "10", "table": "Master", "queries": [{"query": "q", "lesson": "l"}]}
    expressions.write_text(json.dumps(listing))
    with pytest.raises(InputError, match=re.escape(f"{expressions}: queries must be objects")):
        read_expressions(expressions)


def test_a_corrupt_rule_benchmark_fails_the_report_naming_it(tmp_path):
    benchmarks = tmp_path / "benchmarks" / "generate_blocks"
    benchmarks.mkdir(parents=True)
    tsv = benchmarks / "00.tsv"
    tsv.write_text("s\th:m:s\n0.5\t0:00:00\n")
    _render(tmp_path, "run", {})
    tsv.write_text("s\th:m:s\n")  # a killed write of Snakemake's: the header only
    with pytest.raises(InputError, match=re.escape(f"{tsv}: no rows")):
        _render(tmp_path, "run", {})


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
    page, _, _ = _render(tmp_path, "run", {})
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


def test_one_rules_times_are_read_from_its_files_alone(tmp_path):
    """The blocks chapter's generation time: generate_blocks' benchmark files, and no other
    (a corrupt one of another rule is not read)."""
    from sda.report.run import read_rule_times

    benchmarks = tmp_path / "benchmarks"
    (benchmarks / "generate_blocks").mkdir(parents=True)
    (benchmarks / "generate_blocks" / "0.tsv").write_text("s\th:m:s\n1.5\t0:00:01\n")
    (benchmarks / "generate_blocks" / "1.tsv").write_text("s\th:m:s\n2.5\t0:00:02\n")
    (benchmarks / "other.tsv").write_text("s\th:m:s\n")  # no rows: fails when read
    times = read_rule_times(benchmarks, "generate_blocks")
    assert times[["rule", "jobs", "seconds"]].values.tolist() == [["generate_blocks", 2, 4.0]]
    with pytest.raises(InputError, match="other.tsv: no rows"):
        read_rule_times(benchmarks)


def test_benchmark_rule_names():
    b = Path("/w/benchmarks")
    assert rule_of_benchmark(b / "bench_block_io.tsv", b) == "bench_block_io"
    assert rule_of_benchmark(b / "generate_blocks" / "00001.tsv", b) == "generate_blocks"


BLOCK_IO = """\
what,method,seconds,repeats,peak_mib,threads,ratio,baseline,identical,bytes,note
save_block,npy,0.0152788,1,,1,1,npy,,8000128,
save_block,csv,1.87836,1,,1,122.9,npy,,25000000,
load_block,npy,0.0145767,1,7.457,1,1,npy,,8000000,fresh process
load_block_allocations,npy,,1,7.637,1,,,,8000000,tracemalloc
load_block,csv,1.04798,1,8.777,1,71.89,npy,,8000000,fresh process
load_block_allocations,csv,,1,9.146,1,,,,8000000,tracemalloc
load_mean_file,npy,0.00276258,1,,1,1,npy,,8000128,
load_mean_all,npy,0.276258,1,,1,,,,800012800,"100 files, warm page cache"
"""
CONFIG = {
    "blocks": {
        "n": 1000,
        "rows": 1000,
        "cols": 1000,
        "csv_n": 10,
        "distribution": "normal",
        "csv_format": "%.18e",
        "mean": 100.0,
        "sd": 10.0,
    },
    "bench": {"lesson_repeats": 1, "load_mean_files": 100},
}


def test_the_blocks_chapter_answers_from_its_rows_beside_the_lesson(tmp_path):
    """npy against CSV in words computed from block_io.csv, and the lesson's figures beside
    this run's: ratios from the two, the lesson's as it printed them."""
    path = tmp_path / "block_io.csv"
    path.write_text(BLOCK_IO)
    page, run, (_, text, parsed) = _render(tmp_path, "blocks", {"block_io": path}, CONFIG)
    body = re.sub(r"\s+", " ", page.sections[0].body)
    assert "npy saves <strong>123×</strong> faster than CSV (15.3 ms against 1.88 s)" in body
    assert "its file is 3.12× smaller" in body  # 25,000,000 / 8,000,128
    assert "In 2016 npy was 4.95× faster" in body  # 316 / 63.8
    assert "faster than the lesson's 3.31 s" in body and "12.0× faster" in body
    rows = {c.measure: c for c in run.comparisons}
    assert rows["save_npy"].lesson == pytest.approx(0.0638)
    assert rows["save_npy"].ratio == pytest.approx(0.0152788 / 0.0638)
    assert rows["load_csv_peak"].today is None
    (then_now,) = then_now_tables(parsed)
    from sda.report.lesson import write_then_now

    write_then_now(tmp_path / "then_and_now.csv", run.comparisons)
    check_then_now(
        then_now, pd.read_csv(tmp_path / "then_and_now.csv", keep_default_na=False, dtype=str)
    )
    cells = {
        attrs["data-measure"]: dict(row)
        for attrs, row in zip(then_now["row_attrs"], then_now["rows"], strict=True)
    }
    assert cells["save_npy"] == cells["save_npy"] | {
        "lesson": "63.8 ms",
        "today": "15.3 ms",
        "ratio": "0.239×",
    }
    assert cells["load_mean_per_file_npy"]["lesson"] == "0.03 s"  # as the lesson printed it


def test_a_figure_missing_from_a_result_is_not_measured_in_this_run(tmp_path):
    """A block_io.csv without the save rows (and a load row with an empty cell): the chapter
    still renders; those comparisons say "not measured in this run", none is an empty cell."""
    path = tmp_path / "block_io.csv"
    lines = BLOCK_IO.splitlines()
    kept = [line for line in lines if not line.startswith("save_block")]
    kept = [
        line.replace("0.276258", "") if line.startswith("load_mean_all") else line for line in kept
    ]
    path.write_text("\n".join(kept) + "\n")
    page, run, (_, text, parsed) = _render(tmp_path, "blocks", {"block_io": path}, CONFIG)
    (then_now,) = then_now_tables(parsed)
    cells = {
        a["data-measure"]: dict(r)
        for a, r in zip(then_now["row_attrs"], then_now["rows"], strict=True)
    }
    for measure in ("save_npy", "save_csv", "load_mean_100_npy"):
        assert cells[measure]["today"] == "not measured in this run", measure
        assert "ratio" not in cells[measure]
    assert all(text for row in then_now["rows"] for col, text in row if col != "note")
    assert "The save times were not measured in this run." in " ".join(
        page.sections[0].body.split()
    )


def test_the_whole_array_is_shown_with_its_digits(tmp_path):
    """The whole array's mean and std with 10 significant digits (the lesson's answer), the
    count exactly; the distance of the mean from the distribution's in standard errors."""
    from sda.stores.report import whole_array

    summary = tmp_path / "array_summary.json"
    data = {
        "blocks": 1000,
        "bytes": 8 * 10**9,
        "count": 10**9,
        "ddof": 0,
        "max": 161.83530711923214,
        "mean": 99.99977762456237,
        "min": 37.5400120136363,
        "std": 10.00024914776545,
    }
    summary.write_text(json.dumps(data))
    page = _page(tmp_path)
    table = page.json_table(summary, "s", precise=True, first=("count", "mean", "std"))
    cells = dict((c, t) for c, t, _ in table.rows[0])
    assert table.header[:3] == ["count", "mean", "std"]
    assert (cells["mean"], cells["std"], cells["count"]) == (
        "99.99977762",
        "10.00024915",
        "1,000,000,000",
    )
    parsed = {"source": "s", "attrs": {}, "rows": [[(c, t) for c, t, _ in table.rows[0]]]}
    check_table_shows_its_source(parsed, read_source(summary), precise=tuple(data))
    run = _run(tmp_path, {}, CONFIG)
    found = whole_array(run, data)
    assert found["z"] == pytest.approx((data["mean"] - 100) / (10 / np.sqrt(1e9)))


def test_the_scaling_chapter_shows_the_run_when_it_exists(tmp_path):
    """The scaling chapter appears only once the scaling run has made its CSV and plot, with
    every number equal to the CSV's and the targets computed from it."""
    from sda.scaling.report import plot, read_rows

    csv, png = tmp_path / "scaling.csv", tmp_path / "scaling.png"
    page, _, _ = _render(tmp_path, "scaling", {})
    assert page.sections == []  # no run yet: no chapter
    csv.write_text(SCALING_CSV)
    plot(read_rows(csv), png)
    page, _, (_, text, parser) = _render(
        tmp_path, "scaling", {"scaling_csv": csv, "scaling_png": png}
    )
    assert parser.errors == []
    assert [s.anchor for s in page.sections] == ["scaling"]
    assert 'data-figure="scaling"' in text
    (table,) = parser.tables
    source = read_source(csv)
    assert len(table["rows"]) == len(source) == 5
    check_table_shows_its_source(table, source)
    # generate: 5.125 s for 1 GB, 270.5 s for 32 GB -> s/GB x1.65: met; summary x2.53: not met
    assert "5.12 -&gt; 8.45 s/GB (x1.65)" in text and "9.87 -&gt; 25 s/GB (x2.53)" in text
    assert text.count("<td>met</td>") >= 2 and "<td>not met</td>" in text


SCALING_CSV = """\
step,cache,size_bytes,blocks,copies,cores,wall_s,peak_rss_bytes,gb_per_s,exceeds_ram,ram_bytes,free_disk_bytes,cached_before,evicted,dd_write_gb_per_s,dd_read_gb_per_s,fraction_of_dd,result
dd_read,cold,2000000000,,,1,17.99,,0.1112,False,25276514304,80459440128,0.0000,True,0.6151,0.1112,1,{}
generate,write,1000000000,125,,2,5.125,131072000,0.1951,False,25276514304,78000000000,,,0.6151,0.1112,0.3172,{}
generate,write,32000000000,4000,,2,270.5,138412032,0.1183,True,25276514304,46000000000,,,0.6151,0.1112,0.1923,{}
summary,cold,1000000000,125,,2,9.87,179306496,0.1013,False,25276514304,78000000000,0.0000,True,0.6151,0.1112,0.911,{}
summary,cold,32000000000,4000,,2,800.1,389021696,0.03999,True,25276514304,46000000000,0.0000,True,0.6151,0.1112,0.3596,{}
"""


def test_build_report_writes_the_page_and_every_comparison(tmp_path):
    """build_report with one chapter: the page, its figures and then_and_now.csv, whose rows
    are those the page shows; an evidence benchmark not run is named at the top."""
    path = tmp_path / "block_io.csv"
    path.write_text(BLOCK_IO)
    out = tmp_path / "results" / "report" / "report.html"
    build_report(
        [_chapter("blocks")],
        {"block_io": path},
        out,
        out.parent / "figures",
        out.parent / "then_and_now.csv",
        CONFIG,
        tmp_path,
        made_by={"block_io": {"rule": "bench_block_io", "log": ["logs/bench_block_io.log"]}},
        evidence={"generate": "generation against plain multiprocessing"},
    )
    _, text, parsed = parse_report(out)
    rows = pd.read_csv(out.parent / "then_and_now.csv", keep_default_na=False, dtype=str)
    assert list(rows["measure"]) == [m for m in rows["measure"] if m]  # no empty measure
    (table,) = then_now_tables(parsed)
    assert len(table["rows"]) == len(rows) == 8
    check_then_now(table, rows)
    assert (
        "generation against plain multiprocessing"
        in re.findall(r'class="note">(.*?)</p>', text, re.S)[0]
    )
    # links from the page to the result and its log, relative to the page
    assert '<a href="../../block_io.csv"><code>block_io.csv</code></a>' in text
    assert '<a href="../../logs/bench_block_io.log">' in text


# --- one owner per chapter ----------------------------------------------------------------


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, inside a function) for every import of ``path``."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inner))
            elif isinstance(child, ast.Import):
                found.extend((a.name, inner) for a in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def test_the_report_machinery_imports_no_topic():
    for path in sorted((SCRIPTS / "report").glob("*.py")):
        topics = [m for m, _ in _imports(path) if m.split(".")[:2][-1] in TOPICS]
        assert topics == [], (path.name, topics)


def test_no_import_inside_a_function_between_the_report_and_a_topic():
    for topic in TOPICS:
        path = SCRIPTS / topic / "report.py"
        inner = [m for m, f in _imports(path) if f and m.startswith("sda.")]
        assert inner == [], (path, inner)
    for path in sorted((SCRIPTS / "report").glob("*.py")):
        inner = [m for m, f in _imports(path) if f and m.startswith("sda.")]
        assert inner == [], (path, inner)


def test_each_chapter_lives_in_its_topic_with_its_template():
    """The list of chapters is the one place naming them; each chapter's module is its topic's
    report.py (or the page's own run facts) and its template report/templates/<anchor>.html.j2;
    no other template but the page and its macros."""
    anchors = [c.anchor for c in CHAPTERS]
    assert anchors == ["blocks", "stores", "text", "tables", "engines", "scaling", "run"]
    for chapter in CHAPTERS:
        module = chapter.build.__module__
        assert module in (f"sda.{chapter.anchor}.report", "sda.report.run"), module
    templates = {p.name for p in (repository() / "report" / "templates").glob("*.j2")}
    assert templates == {f"{a}.html.j2" for a in anchors} | {"page.html.j2", "macros.html.j2"}
    listed = [m for m, _ in _imports(SCRIPTS / "chapters.py")]
    assert sorted(listed) == sorted([f"sda.{t}.report" for t in TOPICS] + ["sda.report.run"])


def test_the_evidence_benchmarks_are_named_and_titled_once():
    """Each evidence benchmark's name and title are given once, where its rule file declares
    it (``evidence(name, title, rules.X)``); no module of the package repeats a title."""
    declared = {}
    for smk in sorted((repository() / "rules").glob("*.smk")):
        for name, title in re.findall(r'^\s*evidence\("(\w+)", "([^"]+)"', smk.read_text(), re.M):
            assert name not in declared, name
            declared[name] = title
    assert set(declared) == {"generate", "stores_bench", "text_bench", "tables_bench", "engines"}
    assert "EVIDENCE[" not in "".join(
        p.read_text() for p in (repository() / "rules").glob("*.smk") if p.name != "common.smk"
    )
    strings = {
        node.value
        for path in SCRIPTS.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    for title in declared.values():
        assert title not in strings, title
