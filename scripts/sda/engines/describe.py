"""``describe()`` of the CSV blocks with polars and with DuckDB, beside the workflow's dask one.

Every engine reaches the end point of the rule ``csv_describe``: count, mean, std, min, the
quartiles and max of every column of the header-less float CSV blocks, as a table of
:data:`sda.tables.describe.STATS` rows by column. Each engine parses the files itself.

count, mean, std (ddof 1), min and max are exact reductions: :func:`compare` checks them
against the rule's table to 1e-12 relative (min, max and count exactly). The quartiles are each
engine's documented method: polars ``quantile(q, "linear")`` and DuckDB ``quantile_cont`` are
exact linear interpolation (as numpy's default), dask's ``describe`` merges per-partition
percentiles (:mod:`sda.tables.describe`); each is compared with the exact quartiles of the
same numbers, computed by numpy from the npy blocks the CSV blocks were written from.

polars' own ``DataFrame.describe()`` is not used: on 1000 columns it took 100 s here, against
about 1 s for the same statistics as one frame-wide expression each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sda.engines.check import Check, relative_difference
from sda.io import InputError
from sda.tables.describe import QUARTILES, STATS

EXACT_STATS = ["count", "mean", "std", "min", "max"]
QUARTILE_ROWS = ["25%", "50%", "75%"]
TOLERANCE = 1e-12


def _table(values: np.ndarray, ncols: int) -> pd.DataFrame:
    return pd.DataFrame(values, index=STATS, columns=[str(i) for i in range(ncols)])


def dask_describe(files: Sequence[str], ncols: int, engine: str, threads: int) -> pd.DataFrame:
    """The workflow's own describe (:func:`sda.tables.describe.describe_blocks`, the files
    checked first, as the rule does) on dask's threads."""
    from sda.scheduler import dask_scheduler
    from sda.tables.describe import describe_blocks

    with dask_scheduler("threads", workers=threads):
        table = describe_blocks(list(files), engine, ncols)
    return _table(table.to_numpy(), ncols)


def dask_describe_parts(
    files: Sequence[str], ncols: int, engine: str, threads: int
) -> dict[str, float]:
    """Where the dask describe's time goes: seconds of ``dd.read_csv(...).compute()`` alone
    (parsing into pandas frames, one 2-D block each, on dask's threads) and of the whole
    :func:`dask_describe`, after one untimed describe; the rest is dask's reductions over 1000
    columns and their planning (meta frames of every column, the percentile merge)."""
    from sda.measure.timing import timed
    from sda.scheduler import dask_scheduler
    from sda.tables.describe import describe_blocks, read_blocks

    files = list(files)
    with dask_scheduler("threads", workers=threads):
        describe_blocks(files, engine, ncols)  # warm: the first compute's imports and caches
        whole = timed(lambda: describe_blocks(files, engine, ncols))[0]
        read = timed(lambda: read_blocks(files, engine, ncols, check=True).compute())[0]
    return {"whole describe": whole, "its read_csv alone": read}


def polars_describe(files: Sequence[str], ncols: int) -> pd.DataFrame:
    """Each block by ``polars.read_csv`` with a float64 schema, the frames concatenated
    without a copy, then one frame-wide expression per statistic."""
    import polars as pl

    schema = {str(i): pl.Float64 for i in range(ncols)}
    frames = []
    for f in files:
        try:
            frame = pl.read_csv(f, has_header=False, schema=schema)
        except Exception as exc:  # polars' ComputeError, NoDataError ... name no file
            msg = f"{f}: polars cannot read it as {ncols} float columns ({exc})"
            raise InputError(msg) from None
        if frame.null_count().to_numpy().any():  # polars fills a short line with nulls
            raise InputError(f"{f}: a line has fewer than {ncols} columns (polars read nulls)")
        frames.append(frame)
    df = pl.concat(frames, rechunk=False)
    rows = [
        df.count().cast(pl.Float64),
        df.mean(),
        df.std(),
        df.min(),
        *(df.quantile(q, "linear") for q in QUARTILES),
        df.max(),
    ]
    return _table(np.vstack([r.to_numpy() for r in rows]), ncols)


def duckdb_describe(files: Sequence[str], ncols: int, threads: int) -> pd.DataFrame:
    """The blocks by DuckDB's ``read_csv`` into a table, then one ``SELECT`` of count, avg,
    stddev_samp, min, quantile_cont and max of every column."""
    import duckdb

    columns = "{" + ", ".join(f"'c{i}': 'DOUBLE'" for i in range(ncols)) + "}"
    con = duckdb.connect(config={"threads": threads})
    try:

        def read(paths: Sequence[str]) -> None:
            listed = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
            con.execute(
                "create or replace temp table blocks as select * from read_csv("
                f"{listed}, header = false, columns = {columns}, auto_detect = false)"
            )

        try:
            read(files)
        except duckdb.Error as exc:
            for f in files:  # which file: read each alone (only on failure)
                try:
                    read([f])
                except duckdb.Error as one:
                    raise InputError(
                        f"{f}: DuckDB cannot read it as {ncols} float columns ({one})"
                    ) from None
            raise InputError(f"{files[0]} (or one of {len(files)} files): {exc}") from None
        aggs = []
        for i in range(ncols):
            c = f"c{i}"
            aggs += [f"count({c})", f"avg({c})", f"stddev_samp({c})", f"min({c})"]
            aggs += [f"quantile_cont({c}, {q})" for q in QUARTILES] + [f"max({c})"]
        row = con.execute(f"select {', '.join(aggs)} from blocks").fetchone()
    finally:
        con.close()
    values = np.array(row, dtype="float64").reshape(ncols, len(STATS)).T
    return _table(values, ncols)


def reference(path: str) -> pd.DataFrame:
    """The rule's table (``results/tables/csv_describe.csv``), rows by stat."""
    from sda.io import read_table

    frame = read_table(path, columns=["stat"], numeric=True).set_index("stat")
    missing = [s for s in STATS if s not in frame.index]
    if missing:
        raise InputError(f"{path}: no row {missing[0]!r}")
    return frame.loc[STATS]


def exact_quartiles(npy_files: Sequence[str]) -> np.ndarray:
    """The exact quartiles (numpy, linear) of every column of the blocks stacked: 3 x ncols."""
    values = np.concatenate([np.load(f) for f in npy_files])
    return np.percentile(values, [q * 100 for q in QUARTILES], axis=0, method="linear")


def compare(got: pd.DataFrame, want: pd.DataFrame, exact: np.ndarray, method: str) -> Check:
    """count, mean, std, min, max against the rule's table (``difference``: the largest
    relative difference); the quartiles against the exact ones, reported in the note."""
    if got.shape != want.shape:
        return Check(False, float("inf"), False, f"shape {got.shape} instead of {want.shape}")
    g = got.loc[EXACT_STATS].to_numpy()
    w = want.loc[EXACT_STATS].to_numpy()
    diff = relative_difference(g, w)
    exact_rows = [EXACT_STATS.index(s) for s in ("count", "min", "max")]
    same_exact = np.array_equal(g[exact_rows], w[exact_rows])
    quart = relative_difference(got.loc[QUARTILE_ROWS].to_numpy(), exact)
    note = f"quartiles ({method}) vs exact: max relative difference {quart:.2g}"
    if not same_exact:
        note = "count, min or max differ; " + note
    return Check(
        identical=bool(np.array_equal(g, w)),
        difference=diff,
        ok=same_exact and diff <= TOLERANCE,
        note=note,
    )
