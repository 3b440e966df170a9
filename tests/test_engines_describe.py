"""sda.engines.describe: polars and DuckDB describe the CSV blocks as the workflow does,
checked against pandas over the concatenated blocks and numpy's exact quartiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sda.engines.describe import (
    compare,
    dask_describe,
    duckdb_describe,
    exact_quartiles,
    polars_describe,
)
from sda.io import InputError
from sda.tables.describe import STATS, write_describe

NCOLS = 6


@pytest.fixture
def csv_blocks(tmp_path):
    """Three blocks of 40 x 6 as npy and as %.18e CSV (round-trips float64)."""
    rng = np.random.default_rng(5)
    npy, csv = [], []
    for i in range(3):
        block = rng.normal(100, 10, size=(40, NCOLS))
        npy.append(str(tmp_path / f"x{i:06d}.npy"))
        csv.append(str(tmp_path / f"x{i:06d}.csv"))
        np.save(npy[-1], block)
        np.savetxt(csv[-1], block, delimiter=",", fmt="%.18e")
    return csv, npy


def pandas_describe(npy):
    return pd.DataFrame(np.concatenate([np.load(f) for f in npy])).describe()


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_each_engine_gives_the_statistics_and_the_exact_quartiles(engine, csv_blocks):
    csv, npy = csv_blocks
    got = polars_describe(csv, NCOLS) if engine == "polars" else duckdb_describe(csv, NCOLS, 2)
    want = pandas_describe(npy)
    assert list(got.index) == STATS
    np.testing.assert_allclose(got.to_numpy(), want.loc[STATS].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(
        got.loc[["count", "min", "max"]], want.loc[["count", "min", "max"]]
    )
    exact = np.percentile(np.concatenate([np.load(f) for f in npy]), [25, 50, 75], axis=0)
    np.testing.assert_allclose(got.loc[["25%", "50%", "75%"]], exact, rtol=1e-14)


def test_the_check_against_the_workflow_table(tmp_path, csv_blocks):
    csv, npy = csv_blocks
    ours = dask_describe(csv, NCOLS, "c", 2)
    write_describe(ours, tmp_path / "csv_describe.csv")
    from sda.engines.describe import reference

    want = reference(str(tmp_path / "csv_describe.csv"))
    exact = exact_quartiles(npy)
    assert compare(ours, want, exact, "dask").identical
    check = compare(polars_describe(csv, NCOLS), want, exact, "linear")
    assert check.ok and check.difference <= 1e-12
    assert "quartiles (linear) vs exact: max relative difference" in check.note
    shifted = ours.copy()
    shifted.loc["max"] += 1e-9
    assert not compare(shifted, want, exact, "dask").ok


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_malformed_block_is_named(engine, csv_blocks):
    csv, _ = csv_blocks
    lines = open(csv[1]).read().splitlines()
    lines[7] = "1.0,2.0"
    open(csv[1], "w").write("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=csv[1]):
        polars_describe(csv, NCOLS) if engine == "polars" else duckdb_describe(csv, NCOLS, 1)
