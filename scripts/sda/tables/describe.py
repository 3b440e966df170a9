"""The lesson's dataframe section: ``dask.dataframe`` over the header-less CSV blocks.

``dd.read_csv`` reads the blocks (one partition per file, ``blocksize=None``) and ``describe()``
gives the eight statistics of every column. count, mean, std, min and max are exact reductions
(the same numbers as pandas over the concatenated files, up to the summation order of the mean
and variance). The quartiles are not: dask computes, for each partition, the exact percentiles
0, 25, 50, 75 and 100 (``numpy.percentile``, linear), then merges them
(``dask.array.percentile.merge_percentiles``): every partition's value at percentile q_k stands
for (q_k - q_{k-1}) x its row count; the values of all partitions are sorted and the result is
the first one whose cumulative weight reaches q x the total count. The merged value is therefore
always one of the per-partition quartiles, between the smallest and the largest of them, and
both it and the exact quantile lie between the partitions' bracketing order statistics
(:func:`quantile_bounds`), whatever the data: the distance from the exact quantile is at most
that spread, which shrinks like 1/sqrt(rows per partition) for blocks drawn from one
distribution. With five percentiles per partition and partitions of similar values, the merged
quartile is typically the largest partition's quartile: a small upward bias.

A block with a wrong column count fails with its file name and line instead of a parser error
that names no file: a line with too many fields stops the parser, and then every block is checked
line by line for its number of fields (:func:`check_csv_block`, a count of commas at C speed); a
line with too few is read as NaN in the missing columns, so a partition holding a NaN has its
file checked the same way, in its own task. Blocks without NaN (the workflow's) are not read a
second time: the check costs nothing when the data is right (it was 13% of the describe's time
when every block was checked first).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sda.io import InputError, atomic_write

log = logging.getLogger(__name__)

ENGINES = ("pyarrow", "c")
STATS = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
QUARTILES = (0.25, 0.5, 0.75)


def check_csv_block(path: str | Path, ncols: int) -> int:
    """Number of data lines of a header-less CSV block; every line must have ``ncols`` fields.

    Blank lines are skipped, as ``read_csv`` does. Raises :class:`InputError` naming the file
    and the first bad line.
    """
    rows = 0
    try:
        with open(path, "rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                fields = line.count(b",") + 1
                if fields != ncols:
                    raise InputError(
                        f"{path}: line {lineno} has {fields} columns, expected {ncols} "
                        "(blocks.cols)"
                    )
                rows += 1
    except FileNotFoundError:
        raise InputError(f"{path}: missing CSV block") from None
    if rows == 0:
        raise InputError(f"{path}: empty CSV block")
    return rows


def read_blocks(files: Sequence[str | Path], engine: str, ncols: int, check: bool = False):
    """The CSV blocks as one dask DataFrame: float64 columns 0..ncols-1, a partition per file;
    with ``check``, a partition holding a NaN has its file checked (:func:`check_csv_block`)."""
    import dask.dataframe as dd

    frame = dd.read_csv(
        [str(f) for f in files],
        header=None,
        names=list(range(ncols)),
        dtype="float64",
        engine=engine,
        blocksize=None,
    )
    checked = [str(f) for f in files] if check else None
    return frame.map_partitions(one_block, checked, ncols, meta=frame._meta)


def one_block(
    part: pd.DataFrame,
    files: Sequence[str] | None = None,
    ncols: int = 0,
    partition_info: dict | None = None,
) -> pd.DataFrame:
    """The partition with its columns in one 2-D float block; given ``files`` (the partitions'
    files, in order), a partition holding a NaN has its file checked (:func:`check_csv_block`:
    a short line reads as NaN, and fails here naming the file and the line).

    ``dd.read_csv`` hands over each partition as one block per column (1000 of them for the
    lesson's blocks), so that every reduction of ``describe`` runs column by column in Python;
    ``copy()`` consolidates them into one block, each column still contiguous, and each
    reduction becomes one numpy call over it, with the same sums bit for bit (the figures:
    docs/engines.md)."""
    block = part.copy()
    if files and partition_info is not None and np.isnan(block.to_numpy()).any():
        check_csv_block(files[partition_info["number"]], ncols)
    return block


def _locate(files: Sequence[str | Path], engine: str, ncols: int, exc: Exception) -> Exception:
    """After a failed dask read: the first file pandas cannot read alone, as an InputError."""
    for f in files:
        try:
            pd.read_csv(f, header=None, names=list(range(ncols)), dtype="float64", engine=engine)
        except Exception as one:  # noqa: BLE001 - any parser error of this file
            return InputError(f"{f}: not a CSV block of {ncols} float columns ({one})")
    return exc


def _partition_percentiles(part: pd.DataFrame, qs: np.ndarray) -> pd.DataFrame:
    """One partition's exact percentiles ``qs`` of every column (NaN dropped), and its counts.

    Row ``i`` holds percentile ``qs[i]``; the last row (index -1) the non-null count. This is
    what dask's ``SeriesQuantile`` computes per partition and column, for all columns at once.
    """
    values = part.to_numpy(dtype="float64")
    counts = np.count_nonzero(~np.isnan(values), axis=0)
    out = np.full((len(qs) + 1, values.shape[1]), np.nan)
    if counts.min(initial=len(values)) == len(values) and len(values):
        out[:-1] = np.percentile(values, qs, axis=0, method="linear")
    else:
        for j in range(values.shape[1]):
            col = values[:, j][~np.isnan(values[:, j])]
            if len(col):
                out[:-1, j] = np.percentile(col, qs, method="linear")
    out[-1] = counts
    return pd.DataFrame(out, index=[*range(len(qs)), -1], columns=part.columns)


def _merge_quartiles(partials: pd.DataFrame, qs: np.ndarray, quartiles) -> pd.DataFrame:
    """Merge the partitions' percentiles per column exactly as dask's ``describe`` does."""
    from dask.array.percentile import merge_percentiles

    nq = len(qs)
    blocks = partials.to_numpy().reshape(-1, nq + 1, partials.shape[1])
    result = {}
    for j, name in enumerate(partials.columns):
        vals = [b[:nq, j] for b in blocks]
        ns = [int(b[nq, j]) for b in blocks]
        final = np.asarray(quartiles) * 100
        result[name] = merge_percentiles(final, [qs] * len(blocks), vals, "lower", ns, False)
    index = [f"{q * 100:g}%" for q in quartiles]
    return pd.DataFrame(result, index=index)


def describe_frame(ddf, quartiles: Sequence[float] = QUARTILES) -> pd.DataFrame:
    """``ddf.describe()`` of a numeric dask DataFrame, computed frame-wide in one pass.

    dask's own ``describe()`` builds six expressions per column; for the lesson's 1000 columns
    its optimizer alone takes minutes (see docs/tables.md). Here count, mean, std, min and max
    are the frame's own reductions and the quartiles use dask's algorithm for all columns at
    once: per-partition ``numpy.percentile`` at 0, q..., 100, merged per column with
    ``dask.array.percentile.merge_percentiles`` (method ``lower``), as ``describe()`` does. The
    numbers are the same as ``ddf.describe()`` (tests check it); the files are read once.
    """
    import dask

    qs = np.pad(np.asarray(quartiles, dtype="float64") * 100, 1)
    qs[-1] = 100.0
    meta = pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in ddf.columns}, index=pd.Index([], dtype="int64")
    )
    partials = ddf.map_partitions(_partition_percentiles, qs, meta=meta)
    count, mean, std, lo, hi, parts = dask.compute(
        ddf.count(), ddf.mean(), ddf.std(), ddf.min(), ddf.max(), partials
    )
    head = pd.DataFrame([count, mean, std, lo], index=["count", "mean", "std", "min"])
    quart = _merge_quartiles(parts, qs, quartiles)
    tail = pd.DataFrame([hi], index=["max"])
    return pd.concat([head.astype("float64"), quart, tail.astype("float64")])


def describe_blocks(
    files: Sequence[str | Path], engine: str, ncols: int, check: bool = True
) -> pd.DataFrame:
    """``describe()`` of every column of the CSV blocks, computed by dask (8 rows x ncols)."""
    if not files:
        raise InputError("no CSV blocks to describe (blocks.csv_n is 0)")
    try:
        result = describe_frame(read_blocks(files, engine, ncols, check))
    except InputError:
        raise
    except Exception as exc:
        if check:  # the file and line of a wrong column count, if that is the cause
            for f in files:
                check_csv_block(f, ncols)
        raise _locate(files, engine, ncols, exc) from exc
    return result.loc[STATS]


def write_describe(frame: pd.DataFrame, path: str | Path) -> None:
    """The describe table as CSV: a ``stat`` column, then one column per CSV column.

    Floats are written with ``repr`` (pandas' default), so they read back bit for bit.
    """
    with atomic_write(path, "w", newline="") as fh:
        frame.to_csv(fh, index_label="stat", lineterminator="\n")


def quantile_bounds(partitions: Sequence[np.ndarray], q: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column, an interval ``[L, H]`` holding both dask's and the exact q-quantile.

    ``L`` is the smallest, over the partitions, of the order statistic just below each
    partition's q-quantile (``numpy.quantile(..., method="lower")``), ``H`` the largest of the one
    just above (``"higher"``). dask's merged value is one of the partitions' quantiles, between
    their minimum and maximum, hence in ``[L, H]``; the exact quantile of the concatenation
    (pandas, linear) is too: fewer than ``floor((N-1)q) + 1`` values lie below ``L`` and at least
    ``ceil((N-1)q) + 1`` lie at or below ``H``. So ``|dask - exact| <= H - L``.
    """
    lower = np.stack([np.quantile(p, q, axis=0, method="lower") for p in partitions])
    higher = np.stack([np.quantile(p, q, axis=0, method="higher") for p in partitions])
    return lower.min(axis=0), higher.max(axis=0)
