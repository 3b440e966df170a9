"""sda.engines.report: the chapter's conclusions come from the rows, and the page shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sda.engines.bench_engines import FIELDS
from sda.engines.report import build, conclusions, read_engines
from sda.io import InputError
from sda.measure.rows import write_rows
from sda.report.build import Run
from sda.report.lesson import read_lesson
from sda.report.page import Page

ROWS = [
    # workload, engine, seconds, peak_mib, ratio
    ("word_count", "dask", 1.8, 466, 1.0),
    ("word_count", "polars", 1.9, 1124, 1.056),
    ("word_count", "duckdb", 4.1, 699, 2.278),
    ("csv_describe", "dask", 2.9, 455, 1.933),
    ("csv_describe", "polars", 1.5, 489, 1.0),
    ("csv_describe", "duckdb", 2.35, 833, 1.567),
    ("csv_describe", "dask: read_csv", 0.93, None, None),
    ("array_summary", "parquet copy", 24.6, None, None),
    ("word_count", "sqlite", None, None, None),  # stopped at bench.timeout: no time, no ratio
]


@pytest.fixture
def engines_csv(tmp_path) -> Path:
    out = tmp_path / "engines.csv"
    rows = [
        dict.fromkeys(FIELDS, "")
        | {
            "workload": w,
            "engine": e,
            "seconds": "" if s is None else s,
            "threads": 2,
            "repeats": 3,
            "status": "ok" if s is not None else "timeout",
            "peak_mib": "" if p is None else p,
            "ratio": "" if r is None else r,
        }
        for w, e, s, p, r in ROWS
    ]
    write_rows(out, rows, FIELDS)
    return out


def test_conclusions_name_the_fastest_and_the_lightest(engines_csv):
    found = {c["workload"]: c for c in conclusions(read_engines(engines_csv))}
    assert set(found) == {"word_count", "csv_describe"}  # array_summary has no engine rows
    words, desc = found["word_count"], found["csv_describe"]
    assert (words["fastest"], words["lightest"], words["over"]) == ("dask", "dask", False)
    assert (desc["fastest"], desc["lightest"]) == ("polars", "dask")
    assert desc["ours_ratio"] == pytest.approx(2.9 / 1.5)
    assert desc["over"] and desc["parts"] == {"read_csv": 0.93}
    assert words["ours_memory"] == pytest.approx(1.0)
    assert words["engines"] == ["dask", "polars", "duckdb"]  # the timed-out one has no time


def test_a_row_with_status_ok_and_no_time_is_refused(tmp_path):
    out = tmp_path / "engines.csv"
    rows = [
        dict.fromkeys(FIELDS, "")
        | {"workload": "w", "engine": "dask", "status": "ok", "seconds": 1},
        dict.fromkeys(FIELDS, "") | {"workload": "w", "engine": "polars", "status": "ok"},
    ]
    write_rows(out, rows, FIELDS)
    with pytest.raises(InputError, match=f"{out}: row 3 has status ok and no seconds"):
        read_engines(out)


def test_the_section_shows_each_workload_and_every_row(engines_csv, tmp_path):
    page = Page(root=tmp_path, figdir=tmp_path / "figures")
    run = Run({"engines": engines_csv}, {}, read_lesson(), tmp_path)
    page.section("engines", "engines", **build(page, run))
    body = page.sections[-1].body
    assert body.count('class="engines-workload"') == 2
    assert "Fastest: <strong>polars</strong> (1.50 s)" in body
    assert "1.93× the fastest" in body and "read_csv 930 ms" in body
    assert body.count("<tr>") == len(ROWS) + 1
    assert '<td data-col="status">timeout</td>' in body
    assert build(page, Run({}, {}, read_lesson(), tmp_path)) is None  # not run yet: no chapter
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "engines_csv_describe.png",
        "engines_word_count.png",
    ]


def test_rows_without_our_engine_are_refused(tmp_path):
    out = tmp_path / "engines.csv"
    write_rows(
        out,
        [dict.fromkeys(FIELDS, "") | {"workload": "w", "engine": "polars", "seconds": 1}],
        FIELDS,
    )
    with pytest.raises(InputError, match="no row of the engine 'dask'"):
        read_engines(out)
