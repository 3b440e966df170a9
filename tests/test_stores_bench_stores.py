"""sda.stores.bench_stores: the summary's benchmark rows and their numpy baseline."""

from __future__ import annotations

import dask
import pytest

from conftest import STORE_SPEC, stacked
from oracles import two_pass_summary
from sda.measure.rows import FIELDS
from sda.stores.bench_stores import numpy_summary, summaries_agree, summary_rows


@pytest.mark.parametrize("threads", [1, 2])
def test_numpy_baseline_is_the_summary(blocks, threads):
    got = numpy_summary(blocks, STORE_SPEC.shape, threads)
    ref = two_pass_summary(list(stacked(blocks)))
    assert got["count"] == ref["count"] and (got["min"], got["max"]) == (ref["min"], ref["max"])
    assert got["mean"] == pytest.approx(ref["mean"], rel=1e-12)
    assert got["std"] == pytest.approx(ref["std"], rel=1e-12)


def test_agreement_is_exact_for_extremes_and_close_for_moments():
    a = {"count": 10, "mean": 1.0, "std": 2.0, "min": 0.0, "max": 3.0}
    assert summaries_agree(a, {**a, "mean": 1.0 + 1e-15})
    assert not summaries_agree(a, {**a, "mean": 1.0 + 1e-9})
    assert not summaries_agree(a, {**a, "max": 3.0 + 1e-15})


def test_summary_rows_time_both_sides_alike(blocks):
    with dask.config.set(scheduler="threads", num_workers=2):
        rows = summary_rows(blocks, STORE_SPEC.shape, repeats=3, threads=2)
    assert [(r["what"], r["method"]) for r in rows] == [
        ("array_summary", "numpy_one_pass"),
        ("array_summary", "dask"),
    ]
    base, ours = rows
    assert set(base) == set(FIELDS)
    assert base["repeats"] == ours["repeats"] == 3 and base["threads"] == ours["threads"] == 2
    assert ours["identical"] == "yes" and ours["baseline"] == "numpy_one_pass"
    assert float(ours["ratio"]) == pytest.approx(
        float(ours["seconds"]) / float(base["seconds"]), rel=1e-3
    )
    assert int(ours["bytes"]) == len(blocks) * STORE_SPEC.rows * STORE_SPEC.cols * 8
