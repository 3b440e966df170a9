"""sda.engines.bench_engines: the runner (fresh processes, rounds, medians, checks, rows) on
calls light enough for the fast tier, and its failures."""

from __future__ import annotations

import csv

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
    rows = bench_engines([w], repeats=2, threads=2, out=out)
    written = read_rows(out)
    assert [r["engine"] for r in written] == ["a", "b"]
    assert list(written[0]) == FIELDS
    assert [r["threads"] for r in written] == ["1", "2"]
    seconds = [float(r["seconds"]) for r in written]
    ratios = [float(r["ratio"]) for r in written]
    assert min(ratios) == 1.0
    assert ratios == pytest.approx([s / min(seconds) for s in seconds], rel=1e-3)
    assert all(r["identical"] == "yes" and float(r["peak_mib"]) > 10 for r in written)
    assert rows[0]["version"].startswith("numpy ")


def test_every_engine_runs_once_untimed_then_in_alternating_rounds():
    w = workload([engine("a", [[1.0], [1.0]]), engine("b", [[1.0], [1.0]])])
    measured = measure_workload(w, repeats=3, threads=1)
    assert [len(m.times) for m in measured] == [3, 3]
    assert [m.result for m in measured] == [0.0, 0.0]


def test_a_failing_engine_names_itself_the_workload_and_the_file(tmp_path):
    missing = tmp_path / "blocks.json"
    bad = Engine("duckdb", "sda.engines.summary:reference", [str(missing)], 1, ["duckdb"])
    out = tmp_path / "engines.csv"
    with pytest.raises(EngineFailed, match=r"engine duckdb failed on workload toy: .*blocks.json"):
        bench_engines([workload([engine("a", [[0.0], [0.0]]), bad])], 1, 1, out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_result_beyond_tolerance_fails_and_writes_nothing(tmp_path):
    off = engine("polars", [[1.5], [1.0]])  # relative difference 0.5, not the reference's 0
    out = tmp_path / "engines.csv"
    with pytest.raises(EngineFailed, match="engine polars on workload toy: the result differs"):
        bench_engines([workload([engine("dask", [[1.0], [1.0]]), off])], 1, 1, out)
    assert not out.exists()
    assert relative_difference([1.5], [1.0]) == 0.5
