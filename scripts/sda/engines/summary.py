"""The whole array's mean, std, min and max with DuckDB and polars, beside the workflow's dask.

dask reads the npy blocks where they are (:func:`sda.stores.summary.array_summary`, the rule
``array_summary``). Neither DuckDB nor polars reads ``.npy`` files; both scan Parquet out of
core. :func:`write_parquet` makes that copy once (rule ``engines_parquet``, timed there): one
float64 column ``x``, one row group per block, uncompressed (random doubles do not compress,
and decompression would only add time to the engines' rows). The copy is as large as the
blocks: 8 GB for the lesson's 1e9 numbers.

Each engine returns ``count, mean, std (ddof 0), min, max``; :func:`compare` checks mean and std
against ``array_summary.json`` to 1e-12 relative, count, min and max exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sda.engines.check import Check, relative_difference
from sda.io import InputError

KEYS = ("count", "mean", "std", "min", "max")
COLUMN = "x"
TOLERANCE = 1e-12


def write_parquet(npy_files: Sequence[str], shape: Sequence[int], out: str | Path) -> int:
    """The blocks, in order, as one Parquet column (a row group per block), atomically;
    returns its bytes. Each block is checked (shape, dtype) as every reader does."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sda.io import atomic_path, load_npy

    schema = pa.schema([(COLUMN, pa.float64())])
    rows = int(np.prod(shape))
    with atomic_path(out, ".parquet") as tmp:
        with pq.ParquetWriter(tmp, schema, compression="none", use_dictionary=False) as writer:
            for f in npy_files:
                block = load_npy(f, tuple(shape), "float64", mmap_mode="r")
                column = pa.array(np.ascontiguousarray(block).reshape(-1))
                writer.write_table(pa.table({COLUMN: column}), row_group_size=rows)
                del block, column
    return Path(out).stat().st_size


def dask_summary(npy_files: Sequence[str], shape: Sequence[int], threads: int) -> dict:
    """The workflow's own summary on dask's threads."""
    from sda.scheduler import dask_scheduler
    from sda.stores.summary import array_summary

    with dask_scheduler("threads", workers=threads):
        summary = array_summary(list(npy_files), tuple(shape))
    return {k: summary[k] for k in KEYS}


def duckdb_summary(parquet: str, threads: int) -> dict:
    """``count, avg, stddev_pop, min, max`` over the Parquet copy with DuckDB."""
    import duckdb

    con = duckdb.connect(config={"threads": threads})
    path = str(parquet).replace("'", "''")
    try:
        row = con.execute(
            f"select count({COLUMN}), avg({COLUMN}), stddev_pop({COLUMN}), min({COLUMN}),"
            f" max({COLUMN}) from read_parquet('{path}')"
        ).fetchone()
    except duckdb.Error as exc:
        raise InputError(f"{parquet}: DuckDB cannot read it ({exc})") from None
    finally:
        con.close()
    return dict(zip(KEYS, (int(row[0]), *map(float, row[1:])), strict=True))


def polars_summary(parquet: str) -> dict:
    """``len, mean, std(ddof=0), min, max`` over the Parquet copy with polars' streaming
    engine (out of core)."""
    import polars as pl

    x = pl.col(COLUMN)
    query = pl.scan_parquet(str(parquet)).select(
        pl.len(), x.mean(), x.std(ddof=0).alias("std"), x.min().alias("min"), x.max().alias("max")
    )
    try:
        row = query.collect(engine="streaming").row(0)
    except Exception as exc:  # polars' errors name no file
        raise InputError(f"{parquet}: polars cannot read it ({exc})") from None
    return dict(zip(KEYS, (int(row[0]), *map(float, row[1:])), strict=True))


def reference(path: str) -> dict:
    """The rule's ``array_summary.json``."""
    from sda.io import read_json

    data = read_json(path, KEYS)
    return {k: data[k] for k in KEYS}


def compare(got: dict, want: dict) -> Check:
    """mean and std to 1e-12 relative (``difference``), count, min and max exactly."""
    diff = relative_difference([got["mean"], got["std"]], [want["mean"], want["std"]])
    exact = all(got[k] == want[k] for k in ("count", "min", "max"))
    same = exact and diff == 0.0
    note = "" if exact else "count, min or max differ"
    return Check(same, diff, exact and diff <= TOLERANCE, note)
