"""Integration: the engines benchmark of ``bench`` (``workflow_run``) on config/test.yaml.

The rows are checked for what the benchmark promises (every workload, every engine, the same
threads, ratios to the fastest, results within tolerance); the Parquet copy against numpy; the
report's chapter against the rows.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import stacked
from oracles import parse_report
from sda.report.numbers import human

pytestmark = pytest.mark.workflow

ENGINES = "results/bench/engines.csv"
WORKLOADS = {
    "word_count": {"dask", "polars", "duckdb"},
    "csv_describe": {"dask", "polars", "duckdb"},
    "lahman_birth_country": {"dask", "sqlite", "duckdb", "polars"},
    "array_summary": {"dask", "polars", "duckdb"},
}


@pytest.fixture(scope="module")
def rows(workflow_run) -> pd.DataFrame:
    return pd.read_csv(workflow_run / ENGINES, keep_default_na=False)


def engine_rows(rows):
    return rows[rows["ratio"] != ""].astype({"seconds": float, "ratio": float, "peak_mib": float})


def test_every_workload_has_every_engine_each_checked(rows, test_config):
    engines = engine_rows(rows)
    got = {w: set(g["engine"]) for w, g in engines.groupby("workload")}
    assert got == WORKLOADS
    repeats = test_config["bench"]["repeats"]
    assert (engines["repeats"].astype(int) == repeats).all()
    for workload, group in engines.groupby("workload"):
        assert group["ratio"].min() == 1.0
        fastest = group["seconds"].min()
        np.testing.assert_allclose(group["ratio"], group["seconds"] / fastest, rtol=2e-3)
        assert (group["peak_mib"] > 50).all(), workload
    threads = engines[engines["engine"] != "sqlite"]["threads"].astype(int)
    assert threads.nunique() == 1
    assert (engines[engines["engine"] == "sqlite"]["threads"].astype(int) == 1).all()
    assert engines["version"].str.match(r"^[a-z-]+ \d").all()


def test_results_agree_with_the_workflows(rows):
    engines = engine_rows(rows)
    diff = engines.set_index(["workload", "engine"])["max_difference"].astype(float)
    assert (diff[["csv_describe", "array_summary"]] <= 1e-12).all()
    same = engines.set_index(["workload", "engine"])["identical"]
    assert (same["lahman_birth_country"] == "yes").all()
    assert same[("word_count", "dask")] == same[("word_count", "polars")] == "yes"
    assert same[("array_summary", "dask")] == same[("csv_describe", "dask")] == "yes"
    # DuckDB's lower-casing differs from Python's only in words the synthetic corpus has
    # (a capital dotted I, final sigma): counted in the note, never in the raw top-10
    duck = engines[(engines["workload"] == "word_count") & (engines["engine"] == "duckdb")]
    note = duck["note"].iloc[0]
    assert (duck["identical"].iloc[0] == "yes") == (note == "")


def test_the_parquet_copy_is_the_blocks_and_its_making_is_a_row(workflow_run, rows, test_config):
    npy = sorted((workflow_run / "results" / "blocks" / "npy").glob("*.npy"))
    assert len(npy) == test_config["blocks"]["n"]
    parquet = workflow_run / "results" / "engines" / "blocks.parquet"
    column = pq.read_table(parquet)["x"].to_numpy()
    np.testing.assert_array_equal(column, stacked(npy).ravel())
    made = json.loads((workflow_run / "results" / "engines" / "blocks.json").read_text())
    assert made["bytes"] == parquet.stat().st_size and made["blocks"] == len(npy)
    copy = rows[rows["engine"] == "parquet copy"]
    assert list(copy["workload"]) == ["array_summary"]
    assert float(copy["seconds"].iloc[0]) == pytest.approx(made["seconds"], rel=1e-5)


def test_the_report_chapter_draws_its_conclusions_from_the_rows(workflow_run, rows):
    _, text, parser = parse_report(workflow_run / "results" / "report" / "report.html")
    section = text.split('<section id="engines">', 1)[1].split("</section>", 1)[0]
    engines = engine_rows(rows)
    for workload, group in engines.groupby("workload"):
        part = section.split(f'data-workload="{workload}"', 1)[1].split("</div>", 1)[0]
        fastest = group.loc[group["seconds"].idxmin(), "engine"]
        lightest = group.loc[group["peak_mib"].idxmin(), "engine"]
        assert f"Fastest: <strong>{fastest}</strong>" in part
        assert f"lightest:\n<strong>{lightest}</strong>" in part
        ours = group[group["engine"] == "dask"]["seconds"].iloc[0] / group["seconds"].min()
        assert f"{human(ours, 'x')} the fastest" in part
        assert ("engines-gap" in part) == (ours > 1.5)
    figures = {img["data-figure"] for img in parser.images}
    assert {f"engines_{w}" for w in WORKLOADS} <= figures
    assert ENGINES in {t["source"] for t in parser.tables}
