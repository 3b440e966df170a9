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


PARTIAL_ROWS = ("sum", "m2", "min", "max", "count")  # after the percentiles, per partition


def _partition_stats(part: pd.DataFrame, qs: np.ndarray) -> pd.DataFrame:
    """One partition's statistics of every column, NaN dropped, in one pass over its block.

    Rows ``0..len(qs)-1``: the exact percentiles ``qs`` (what dask's ``describe`` computes per
    partition and column, for all columns at once); then :data:`PARTIAL_ROWS`: the sum, the
    centred second moment ``M2 = sum((x - partition mean)**2)``, the minimum, the maximum and
    the non-null count. A column with no value has NaN statistics and count 0.
    """
    values = part.to_numpy(dtype="float64")
    nq = len(qs)
    out = np.full((nq + len(PARTIAL_ROWS), values.shape[1]), np.nan)
    counts = np.count_nonzero(~np.isnan(values), axis=0)
    if counts.min(initial=len(values)) == len(values) and len(values):
        total = values.sum(axis=0)
        centred = values - total / len(values)
        out[nq] = total
        out[nq + 1] = np.einsum("ij,ij->j", centred, centred)
        out[nq + 2], out[nq + 3] = values.min(axis=0), values.max(axis=0)
        out[:nq] = np.percentile(values, qs, axis=0, method="linear")
    else:
        for j in range(values.shape[1]):
            col = values[:, j][~np.isnan(values[:, j])]
            if len(col):
                total = col.sum()
                d = col - total / len(col)
                out[nq : nq + 4, j] = total, np.dot(d, d), col.min(), col.max()
                out[:nq, j] = np.percentile(col, qs, method="linear")
    out[-1] = counts
    return pd.DataFrame(out, index=range(len(out)), columns=part.columns)


def _merge_quartiles(
    percentiles: np.ndarray, counts: np.ndarray, qs: np.ndarray, quartiles, columns
) -> pd.DataFrame:
    """Merge the partitions' percentiles (partitions x len(qs) x columns) per column exactly as
    dask's ``describe`` does (``merge_percentiles``, method ``lower``)."""
    from dask.array.percentile import merge_percentiles

    result = {}
    final = np.asarray(quartiles) * 100
    for j, name in enumerate(columns):
        vals = [p[:, j] for p in percentiles]
        ns = [int(n) for n in counts[:, j]]
        result[name] = merge_percentiles(final, [qs] * len(vals), vals, "lower", ns, False)
    index = [f"{q * 100:g}%" for q in quartiles]
    return pd.DataFrame(result, index=index)


def combine_partials(partials: np.ndarray) -> dict[str, np.ndarray]:
    """count, mean, std (ddof 1), min and max of every column from the partitions' sums,
    centred second moments, minima, maxima and counts (partitions x 5 x columns, rows
    :data:`PARTIAL_ROWS`), by the parallel-variance formula (Chan, Golub and LeVeque):
    ``M2 = sum(M2_i) + sum(n_i * (mean_i - mean)**2)``."""
    sums, m2s, lows, highs, ns = (partials[:, i] for i in range(len(PARTIAL_ROWS)))
    has = ns > 0
    n = ns.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.where(has, sums, 0.0).sum(axis=0) / n, np.nan)
        part_mean = np.where(has, sums / np.where(has, ns, 1), 0.0)
        spread = np.where(has, ns * (part_mean - mean) ** 2 + m2s, 0.0).sum(axis=0)
        std = np.where(n > 1, np.sqrt(spread / (n - 1)), np.nan)
    low = np.where(has, lows, np.inf).min(axis=0)
    high = np.where(has, highs, -np.inf).max(axis=0)
    return {
        "count": n.astype("float64"),
        "mean": mean,
        "std": std,
        "min": np.where(n > 0, low, np.nan),
        "max": np.where(n > 0, high, np.nan),
    }


def describe_frame(ddf, quartiles: Sequence[float] = QUARTILES) -> pd.DataFrame:
    """``ddf.describe()`` of a numeric dask DataFrame, in one pass over each partition.

    dask's own ``describe()`` builds six expressions per column; for the lesson's 1000 columns
    its optimizer alone takes minutes (see docs/tables.md), and even the frame's five
    reductions (count, mean, std, min, max) cost more to plan than to run: dask makes a
    non-empty 1000-column meta frame for each. Here one ``map_partitions`` with its meta given
    computes every statistic of a partition in one pass over its block
    (:func:`_partition_stats`); the partitions' statistics are then combined
    (:func:`combine_partials`) and their percentiles merged per column with dask's own
    ``merge_percentiles`` (method ``lower``), as ``describe()`` does. count, min, max and the
    quartiles are exactly ``ddf.describe()``'s, mean and std equal to it to 1e-12 relative
    (the sums taken in another order); the tests check both.
    """
    qs = np.pad(np.asarray(quartiles, dtype="float64") * 100, 1)
    qs[-1] = 100.0
    nq = len(qs)
    meta = pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in ddf.columns}, index=pd.Index([], dtype="int64")
    )
    parts = ddf.map_partitions(_partition_stats, qs, meta=meta, enforce_metadata=False).compute()
    blocks = parts.to_numpy().reshape(-1, nq + len(PARTIAL_ROWS), parts.shape[1])
    stats = combine_partials(blocks[:, nq:])
    head = pd.DataFrame(
        [stats[k] for k in ("count", "mean", "std", "min")],
        index=["count", "mean", "std", "min"],
        columns=ddf.columns,
    )
    quart = _merge_quartiles(blocks[:, :nq], blocks[:, -1], qs, quartiles, ddf.columns)
    tail = pd.DataFrame([stats["max"]], index=["max"], columns=ddf.columns)
    return pd.concat([head, quart, tail])


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
