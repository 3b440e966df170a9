"""sda.engines.summary: the Parquet copy of the blocks, and DuckDB's and polars' summaries of
it, against numpy's two-pass summary."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import STORE_SPEC, stacked
from oracles import check_summary, two_pass_summary
from sda.engines.summary import (
    compare,
    dask_summary,
    duckdb_summary,
    polars_summary,
    write_parquet,
)
from sda.io import InputError


@pytest.fixture
def parquet(tmp_path, blocks):
    out = tmp_path / "blocks.parquet"
    size = write_parquet(blocks, STORE_SPEC.shape, out)
    assert size == out.stat().st_size
    return out


def test_the_copy_holds_every_block_in_order_a_row_group_each(parquet, blocks):
    meta = pq.ParquetFile(parquet).metadata
    assert meta.num_row_groups == len(blocks)
    column = pq.read_table(parquet)["x"].to_numpy()
    assert np.array_equal(column, stacked(blocks).ravel())


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_each_engine_summarises_the_copy(engine, parquet, blocks):
    got = duckdb_summary(parquet, 2) if engine == "duckdb" else polars_summary(parquet)
    check_summary(got, stacked(blocks))
    want = dask_summary(blocks, STORE_SPEC.shape, 2)
    assert compare(got, want).ok
    assert want == pytest.approx(two_pass_summary(np.load(b) for b in blocks), rel=1e-12)


def test_the_check_fails_on_a_different_min_or_a_far_mean(blocks):
    want = dask_summary(blocks, STORE_SPEC.shape, 1)
    assert compare(dict(want), want).identical
    assert not compare(dict(want, min=want["min"] - 1), want).ok
    assert not compare(dict(want, mean=want["mean"] * (1 + 1e-9)), want).ok
    assert compare(dict(want, mean=want["mean"] * (1 + 1e-14)), want).ok


def test_a_truncated_block_is_named_and_no_copy_is_left(tmp_path, blocks):
    data = open(blocks[2], "rb").read()
    open(blocks[2], "wb").write(data[: len(data) // 2])
    out = tmp_path / "copy.parquet"
    with pytest.raises(InputError, match=blocks[2]):
        write_parquet(blocks, STORE_SPEC.shape, out)
    assert list(tmp_path.glob("copy*")) == []


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_a_corrupt_copy_is_named(engine, tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not parquet")
    with pytest.raises(InputError, match="bad.parquet"):
        duckdb_summary(bad, 1) if engine == "duckdb" else polars_summary(bad)
