"""sda.tables.describe: the dask describe of CSV blocks, its quartile bound, bad blocks."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from sda.io import InputError
from sda.tables.describe import (
    STATS,
    check_csv_block,
    describe_blocks,
    describe_frame,
    quantile_bounds,
    read_blocks,
    write_describe,
)


@pytest.fixture(autouse=True)
def sync_scheduler():
    with dask.config.set(scheduler="sync"):
        yield


def write_blocks(tmp_path, arrays):
    files = []
    for i, a in enumerate(arrays):
        f = tmp_path / f"x{i:06d}.csv"
        np.savetxt(f, a, fmt="%.18e", delimiter=",")
        files.append(f)
    return files


def random_blocks(seed, n=3, rows=40, cols=5):
    rng = np.random.default_rng(seed)
    return [rng.normal(100, 10, size=(rows, cols)) for _ in range(n)]


@pytest.mark.parametrize("engine", ["c", "pyarrow"])
def test_describe_blocks_matches_pandas_on_the_concatenation(tmp_path, engine):
    arrays = random_blocks(0)
    files = write_blocks(tmp_path, arrays)
    got = describe_blocks(files, engine, ncols=5)
    ref = pd.DataFrame(np.concatenate(arrays)).describe()
    assert list(got.index) == STATS and list(got.columns) == list(range(5))
    for stat in ("count", "min", "max"):
        np.testing.assert_array_equal(got.loc[stat], ref.loc[stat])
    np.testing.assert_allclose(got.loc["mean"], ref.loc["mean"], rtol=1e-12)
    np.testing.assert_allclose(got.loc["std"], ref.loc["std"], rtol=1e-9)


@pytest.mark.parametrize("with_nan", [False, True])
def test_describe_frame_is_dask_describe(with_nan):
    """Our one-pass describe gives dask's own describe(): count, min, max and the quartiles
    bit for bit, mean and std to 1e-12 relative, NaN columns and an empty partition included."""
    rng = np.random.default_rng(3)
    parts = [pd.DataFrame(rng.exponential(2.0, size=(n, 4))) for n in (7, 19, 1, 12)]
    if with_nan:
        parts[0].iloc[2:5, 1] = np.nan
        parts[2].iloc[0, 3] = np.nan  # a partition with no value in column 3
    ddf = dd.from_map(lambda p: p, parts)
    got = describe_frame(ddf)
    ref = ddf.describe().compute()
    exact = ["count", "min", "25%", "50%", "75%", "max"]
    pd.testing.assert_frame_equal(got.loc[exact], ref.loc[exact], check_exact=True)
    for stat in ("mean", "std"):
        np.testing.assert_allclose(got.loc[stat], ref.loc[stat], rtol=1e-12, atol=0)
    assert list(got.index) == list(ref.index) and list(got.columns) == list(ref.columns)


def test_a_column_without_values_describes_as_pandas_does():
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [np.nan] * 3, "c": [5.0, np.nan, np.nan]})
    got = describe_frame(dd.from_pandas(frame, npartitions=2))
    ref = frame.describe()
    assert got.loc["count"].tolist() == [3.0, 0.0, 1.0]
    assert got["b"].isna().iloc[1:].all() and np.isnan(got.loc["std", "c"])
    for stat in ("mean", "min", "max"):
        np.testing.assert_allclose(got.loc[stat], ref.loc[stat], rtol=1e-12)
    assert got.loc["std", "a"] == pytest.approx(ref.loc["std", "a"], rel=1e-12)


# Some seeds draw a frame of one row: its sample std is undefined (NaN in pandas too) and dask
# computes it as 0/0 with a RuntimeWarning.
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
@pytest.mark.parametrize("seed", range(40))
def test_quartiles_within_the_documented_bound(seed):
    """dask's quartiles lie between the smallest and largest partition quartile, and both they
    and pandas' exact ones lie in the bracketing interval [L, H]: |dask - exact| <= H - L."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, size=rng.integers(1, 6))
    parts = [rng.standard_exponential((s, 3)) * rng.uniform(0.5, 3) for s in sizes]
    if seed % 3 == 0:
        parts = [np.round(p) for p in parts]  # ties
    got = describe_frame(dd.from_map(lambda i: pd.DataFrame(parts[i]), range(len(parts))))
    exact = pd.DataFrame(np.concatenate(parts)).describe()
    for q in (0.25, 0.5, 0.75):
        key = f"{q * 100:g}%"
        ours, ref = got.loc[key].to_numpy(), exact.loc[key].to_numpy()
        per_part = np.stack([np.quantile(p, q, axis=0) for p in parts])
        assert np.all(per_part.min(axis=0) <= ours) and np.all(ours <= per_part.max(axis=0))
        lo, hi = quantile_bounds(parts, q)
        assert np.all((lo <= ours) & (ours <= hi))
        assert np.all((lo <= ref) & (ref <= hi))
        assert np.all(np.abs(ours - ref) <= hi - lo)


def test_read_blocks_has_one_partition_per_file(tmp_path):
    files = write_blocks(tmp_path, random_blocks(1, n=4, rows=5, cols=3))
    ddf = read_blocks(files, "c", 3)
    assert ddf.npartitions == 4
    assert list(ddf.dtypes) == [np.dtype("float64")] * 3


@pytest.mark.parametrize("engine", ["c", "pyarrow"])
def test_each_partition_is_one_block_and_the_statistics_keep_their_bits(tmp_path, engine):
    """dd.read_csv alone hands over a block per column; ours one 2-D block (each reduction one
    numpy call), with the same describe bit for bit as over the per-column blocks."""
    import sda.tables.describe as describe

    files = write_blocks(tmp_path, random_blocks(2, n=3, rows=30, cols=8))
    parts = read_blocks(files, engine, 8).to_delayed()
    assert [p.compute()._mgr.nblocks for p in parts] == [1, 1, 1]
    raw = dd.read_csv(
        [str(f) for f in files],
        header=None,
        names=list(range(8)),
        dtype="float64",
        engine=engine,
        blocksize=None,
    )
    assert raw.partitions[0].compute()._mgr.nblocks == 8
    ours = describe_frame(read_blocks(files, engine, 8))
    pd.testing.assert_frame_equal(ours, describe.describe_frame(raw), check_exact=True)


def test_write_describe_round_trips_floats(tmp_path):
    files = write_blocks(tmp_path, random_blocks(2, cols=3))
    table = describe_blocks(files, "c", 3)
    out = tmp_path / "d.csv"
    write_describe(table, out)
    back = pd.read_csv(out, index_col="stat")
    assert back.index.tolist() == STATS
    np.testing.assert_array_equal(back.to_numpy(), table.to_numpy())


def test_check_csv_block_counts_fields(tmp_path):
    f = tmp_path / "x000000.csv"
    f.write_text("1,2,3\n\n4,5,6\n")
    assert check_csv_block(f, 3) == 2
    f.write_text("1,2,3\n4,5\n")
    with pytest.raises(InputError, match=rf"{f}: line 2 has 2 columns, expected 3"):
        check_csv_block(f, 3)
    f.write_text("")
    with pytest.raises(InputError, match=f"{f}: empty CSV block"):
        check_csv_block(f, 3)
    with pytest.raises(InputError, match="missing CSV block"):
        check_csv_block(tmp_path / "nope.csv", 3)


@pytest.mark.parametrize("engine", ["c", "pyarrow"])
def test_wrong_column_count_names_the_file(tmp_path, engine):
    files = write_blocks(tmp_path, random_blocks(4, cols=4))
    files[1].write_text(files[1].read_text() + "1.0,2.0,3.0,4.0,5.0\n")
    with pytest.raises(InputError, match=rf"{files[1]}: line 41 has 5 columns, expected 4"):
        describe_blocks(files, engine, ncols=4)


@pytest.mark.parametrize("engine", ["c", "pyarrow"])
def test_unparsable_block_names_the_file(tmp_path, engine):
    files = write_blocks(tmp_path, random_blocks(5, cols=2))
    files[2].write_text("1.0,abc\n2.0,3.0\n")
    with pytest.raises(InputError, match=str(files[2])):
        describe_blocks(files, engine, ncols=2)


@pytest.mark.parametrize("engine", ["c", "pyarrow"])
def test_a_short_line_names_the_file_and_the_line(tmp_path, engine):
    """The C parser reads a short line as NaN in its missing columns: the partition's NaN has
    its file checked, which names the line."""
    files = write_blocks(tmp_path, random_blocks(3, cols=4))
    lines = files[2].read_text().splitlines()
    lines[6] = ",".join(lines[6].split(",")[:3])
    files[2].write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"{files[2]}: line 7 has 3 columns, expected 4"):
        describe_blocks(files, engine, ncols=4)


def test_a_nan_written_in_full_lines_is_data_not_an_error(tmp_path):
    blocks = random_blocks(2, cols=3)
    files = write_blocks(tmp_path, blocks)
    lines = files[0].read_text().splitlines()
    lines[0] = "nan," + lines[0].split(",", 1)[1]
    files[0].write_text("\n".join(lines) + "\n")
    table = describe_blocks(files, "c", 3)
    column = np.concatenate([b[:, 0] for b in blocks])[1:]  # the NaN skipped, as pandas does
    assert table.loc["count", 0] == len(column)
    assert table.loc["min", 0] == column.min() and table.loc["max", 0] == column.max()
