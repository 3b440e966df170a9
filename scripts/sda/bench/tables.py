"""The CSV describe timed with pandas' C parser and with pyarrow, and plain pandas."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sda.tables import ENGINES, check_csv_block, describe_blocks

log = logging.getLogger(__name__)


BENCH_FIELDS = ["what", "engine", "value", "unit", "repeats", "cores", "files", "configured"]


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
    cores: int,
) -> list[dict]:
    """Median wall time of the dask describe with each CSV engine, and their ratio.

    Runs alternate between the engines after one untimed warm-up of each (page cache warm for
    both). Also times the line check alone and plain pandas (read every file, concatenate,
    describe) with the configured engine, for reference.
    """
    times: dict[str, list[float]] = {e: [] for e in ENGINES}
    for engine in ENGINES:
        describe_blocks(files, engine, ncols, check=False)
    for _ in range(repeats):
        for engine in ENGINES:
            start = time.perf_counter()
            describe_blocks(files, engine, ncols, check=False)
            times[engine].append(time.perf_counter() - start)
    t_check, t_pandas = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for f in files:
            check_csv_block(f, ncols)
        t_check.append(time.perf_counter() - start)
        start = time.perf_counter()
        _pandas_describe(files, configured, ncols)
        t_pandas.append(time.perf_counter() - start)
    med = {e: statistics.median(t) for e, t in times.items()}
    faster = min(ENGINES, key=lambda e: med[e])
    common = dict(repeats=repeats, cores=cores, files=len(files))
    rows = [
        dict(
            what="dask_describe_seconds",
            engine=e,
            value=f"{med[e]:.4f}",
            unit="s",
            configured=e == configured,
            **common,
        )
        for e in ENGINES
    ]
    rows += [
        dict(
            what="ratio_c_over_pyarrow",
            engine="c/pyarrow",
            value=f"{med['c'] / med['pyarrow']:.3f}",
            unit="x",
            configured="",
            **common,
        ),
        dict(
            what="faster_engine",
            engine=faster,
            value="",
            unit="",
            configured=faster == configured,
            **common,
        ),
        dict(
            what="line_check_seconds",
            engine="python",
            value=f"{statistics.median(t_check):.4f}",
            unit="s",
            configured="",
            **common,
        ),
        dict(
            what="pandas_describe_seconds",
            engine=configured,
            value=f"{statistics.median(t_pandas):.4f}",
            unit="s",
            configured=True,
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
