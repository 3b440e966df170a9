"""sda.engines.bench_engines: the runner (fresh processes, rounds, medians, checks, rows) on
calls light enough for the fast tier, and its failures."""

from __future__ import annotations

import csv
import time

import pytest

from sda.engines.bench_engines import (
    FIELDS,
    Engine,
    EngineFailed,
    Workload,
    bench_engines,
    measure_workload,
)
from sda.engines.check import Check, relative_difference


def engine(name, args, threads=1):
    # a real call in a fresh process: sda.engines.check.relative_difference(got, want)
    return Engine(name, "sda.engines.check:relative_difference", args, threads, ["numpy"])


def workload(engines, want=0.0, tolerance=1e-9):
    def compare(_engine, got, reference):
        return Check(got == reference, abs(got - reference), abs(got - reference) <= tolerance)

    return Workload("toy", engines, reference=lambda: want, compare=compare)


def read_rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_rows_are_medians_ratios_and_checks(tmp_path):
    w = workload([engine("a", [[1.0], [1.0]]), engine("b", [[1.0], [1.0]], threads=2)])
    out = tmp_path / "engines.csv"
    rows = bench_engines([w], repeats=3, threads=2, out=out)
    written = read_rows(out)
    assert [r["engine"] for r in written] == ["a", "b"]
    assert list(written[0]) == FIELDS
    assert [r["threads"] for r in written] == ["1", "2"]
    assert [r["status"] for r in written] == ["ok", "ok"]
    seconds = [float(r["seconds"]) for r in written]
    ratios = [float(r["ratio"]) for r in written]
    assert min(ratios) == 1.0
    assert ratios == pytest.approx([s / min(seconds) for s in seconds], rel=1e-3)
    for r in written:  # the median of three runs lies within their spread; the first run shown
        assert float(r["min_s"]) <= float(r["seconds"]) <= float(r["max_s"])
        assert float(r["first_s"]) > 0
    assert all(r["identical"] == "yes" and float(r["peak_mib"]) > 10 for r in written)
    assert rows[0]["version"].startswith("numpy ")


def test_every_engine_runs_once_untimed_then_in_alternating_rounds():
    w = workload([engine("a", [[1.0], [1.0]]), engine("b", [[1.0], [1.0]])])
    measured = measure_workload(w, repeats=3, threads=1)
    assert [len(m.times) for m in measured] == [3, 3]
    assert [m.result for m in measured] == [0.0, 0.0]
    assert all(m.first is not None and m.first not in m.times for m in measured)


def test_a_failing_engine_is_a_row_naming_the_file_and_the_others_are_measured(tmp_path):
    missing = tmp_path / "data" / "blocks.json"
    bad = Engine("duckdb", "sda.engines.summary:reference", [str(missing)], 1, ["duckdb"])
    out = tmp_path / "engines.csv"
    bench_engines([workload([engine("dask", [[0.0], [0.0]]), bad])], 2, 1, out)
    ours, failed = read_rows(out)
    assert (ours["status"], ours["ratio"], ours["identical"]) == ("ok", "1", "yes")
    assert float(ours["min_s"]) <= float(ours["seconds"])
    assert failed["status"] == "error" and failed["seconds"] == failed["ratio"] == ""
    assert "engine duckdb failed on workload toy" in failed["note"]
    assert str(missing) in failed["note"]


def test_an_engine_past_the_timeout_is_stopped_and_a_timeout_row(tmp_path):
    slow = Engine("polars", "time:sleep", [30], 1, ["numpy"])
    out = tmp_path / "engines.csv"
    started = time.monotonic()
    bench_engines([workload([engine("dask", [[0.0], [0.0]]), slow])], 1, 1, out, timeout=3)
    assert time.monotonic() - started < 25  # killed at 3 s, not waited for
    ours, stopped = read_rows(out)
    assert ours["status"] == "ok" and float(ours["seconds"]) < 3
    assert stopped["status"] == "timeout" and "after 3 s" in stopped["note"]
    assert stopped["first_s"] == stopped["seconds"] == ""


def test_a_result_beyond_tolerance_is_an_error_row_with_the_difference(tmp_path):
    off = engine("polars", [[1.5], [1.0]])  # relative difference 0.5, not the reference's 0
    out = tmp_path / "engines.csv"
    bench_engines([workload([engine("dask", [[1.0], [1.0]]), off])], 1, 1, out)
    ours, wrong = read_rows(out)
    assert ours["status"] == "ok" and ours["ratio"] == "1"
    assert wrong["status"] == "error" and wrong["ratio"] == "" and wrong["identical"] == "no"
    assert float(wrong["max_difference"]) == 0.5 == relative_difference([1.5], [1.0])
    assert "differs from the workflow's beyond its tolerance (max difference 0.5" in wrong["note"]


def test_a_failure_of_the_workflows_own_path_fails_and_writes_nothing(tmp_path):
    off = engine("dask", [[1.5], [1.0]])
    out = tmp_path / "engines.csv"
    with pytest.raises(EngineFailed, match="the workflow's own path .dask. failed: toy: error"):
        bench_engines([workload([engine("polars", [[1.0], [1.0]]), off])], 1, 1, out)
    assert not out.exists() and list(tmp_path.iterdir()) == []
