"""The CSV describe timed with pandas' C parser and with pyarrow, and plain pandas.

Rows (:data:`sda.measure.rows.FIELDS`): ``dask_describe`` with each engine (alternating, after
one untimed warm-up of each, page cache warm for both; ``identical``: the same table as the
other engine's; ratio to ``pyarrow``), the line check alone (``line_check``, Python, one
thread) and plain pandas with the configured engine (``pandas_describe``: read every file,
concatenate, describe; one thread; ratio to dask with the same engine). ``note`` marks the
configured engine and the faster one.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sda.measure.rows import row
from sda.measure.timing import alternating, timed
from sda.tables.describe import ENGINES, check_csv_block, describe_blocks

log = logging.getLogger(__name__)


def _pandas_describe(files: Sequence[str | Path], engine: str, ncols: int) -> pd.DataFrame:
    frames = [
        pd.read_csv(f, header=None, names=list(range(ncols)), dtype="float64", engine=engine)
        for f in files
    ]
    return pd.concat(frames, ignore_index=True).describe()


def bench_rows(
    files: Sequence[str | Path],
    ncols: int,
    configured: str,
    repeats: int,
    threads: int,
) -> list[dict]:
    """Median wall time of the dask describe with each CSV engine, and their ratio; the line
    check and plain pandas for reference."""
    tables = {engine: describe_blocks(files, engine, ncols, check=False) for engine in ENGINES}
    times = alternating(
        {e: lambda e=e: describe_blocks(files, e, ncols, check=False) for e in ENGINES}, repeats
    )

    def check_all():
        for f in files:
            check_csv_block(f, ncols)

    t_check = timed(check_all, repeats)
    t_pandas = timed(lambda: _pandas_describe(files, configured, ncols), repeats)
    med = {e: statistics.median(t) for e, t in times.items()}
    faster = min(ENGINES, key=lambda e: med[e])
    same = tables["c"].equals(tables["pyarrow"])
    nbytes = sum(Path(f).stat().st_size for f in files)
    common = dict(repeats=repeats, nbytes=nbytes)

    def note(engine: str) -> str:
        marks = [
            m
            for m, on in (("configured", engine == configured), ("faster", engine == faster))
            if on
        ]
        return ", ".join(marks)

    rows = [
        row(
            "dask_describe",
            e,
            seconds=med[e],
            threads=threads,
            ratio=med[e] / med["pyarrow"],
            times=times[e],
            baseline="pyarrow",
            identical=same,
            note=note(e),
            **common,
        )
        for e in ENGINES
    ]
    pandas_s = statistics.median(t_pandas)
    rows += [
        row("line_check", "python", seconds=statistics.median(t_check), threads=1, **common),
        row(
            "pandas_describe",
            configured,
            seconds=pandas_s,
            threads=1,
            ratio=pandas_s / med[configured],
            baseline=f"dask_describe {configured}",
            note="configured",
            **common,
        ),
    ]
    if faster != configured:
        log.warning(
            "the %s engine was faster here (%.3f s vs %.3f s) than the configured %s",
            faster,
            med[faster],
            med[configured],
            configured,
        )
    return rows
