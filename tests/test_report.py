"""sda.report: numbers shown to three significant digits in their units, the sections built from
results (a corrupt one fails naming the file), the figures without offsets; on small inputs made
here (tests/test_workflow_report.py checks the report of a real run)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracles import axis_offsets, check_table_shows_its_source, parse_report, read_source, shown_as
from sda.io import InputError
from sda.report.data import rule_of_benchmark
from sda.report.numbers import column_unit, human, significant
from sda.report.page import Page, write_report
from sda.report.sections import lahman_ibis, section_run, section_text


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
            assert shown_as(text, value, unit), (value, unit, text)
    assert significant(999.6) == "1,000"
    assert not shown_as("1.24 ms", 0.00123, "s")  # rounded the wrong way
    assert not shown_as("1.235 ms", 0.001235, "s")  # four significant digits
    assert not shown_as("1.23", 0.00123, "s")  # no unit
    assert not shown_as("17395", 17395)  # no separator
    assert [column_unit(c) for c in ("seconds", "write_s", "peak_mib", "bytes_on_disk")] == [
        "s",
        "s",
        "MiB",
        "B",
    ]


# --- corrupt results: the report fails naming the file ---------------------------------------


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


@pytest.mark.parametrize("verified", [True, False])
def test_the_text_section_names_the_dump_and_its_checksum(tmp_path, verified):
    """A downloaded corpus: the text section says which dump it came from, its checksum and
    what that was verified against, or that it was not (wiki.checksum: skip)."""
    (tmp_path / "top10.csv").write_text("word,n\nthe,5\n")
    (tmp_path / "top5_clean.csv").write_text("word,n\nthe,5\n")
    url = "https://dumps.wikimedia.org/enwiki/20261101/enwiki-20261101-pages-articles1.xml-p1p41242.bz2"
    listing = "https://dumps.wikimedia.org/enwiki/20261101/dumpstatus.json"
    source = {
        "url": url, "file": url.rsplit("/", 1)[1], "bytes": 281_654_932,
        "checksum": f"sha1:{'ab' * 20}", "verified": verified,
        "verified_against": listing if verified else "", "fetched": "2026-12-04T10:00:00+00:00",
    }  # fmt: skip
    (tmp_path / "SOURCE.json").write_text(json.dumps(source))
    page = _page(tmp_path)
    inputs = {k: tmp_path / f for k, f in
              [("top10", "top10.csv"), ("top5_clean", "top5_clean.csv"),
               ("wiki_source", "SOURCE.json")]}  # fmt: skip
    section_text(page, inputs)
    write_report(tmp_path / "report.html", page)
    _, text, parsed = parse_report(tmp_path / "report.html")
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
        section_text(_page(tmp_path), inputs)


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


def test_benchmark_rule_names():
    b = Path("/w/benchmarks")
    assert rule_of_benchmark(b / "bench_block_io.tsv", b) == "bench_block_io"
    assert rule_of_benchmark(b / "generate_blocks" / "00001.tsv", b) == "generate_blocks"


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
    source = read_source(csv)
    assert len(table["rows"]) == len(source) == 5
    check_table_shows_its_source(table, source)
    # generate: 5.125 s for 1 GB, 270.5 s for 32 GB -> s/GB x1.65: met; summary x2.53: not met
    assert "5.12 -&gt; 8.45 s/GB (x1.65)" in text and "9.87 -&gt; 25 s/GB (x2.53)" in text
    assert text.count("<td>met</td>") >= 2 and "<td>not met</td>" in text


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
