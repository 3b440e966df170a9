"""What every benchmark shares: the timer and the CSV rows."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sda.io import atomic_write

FIELDS = ["what", "format", "value", "unit", "repeats", "cores"]


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def write_rows(path: str | Path, rows: Sequence[dict], fields: Sequence[str] = FIELDS) -> None:
    """Write measurement rows as CSV, atomically."""
    with atomic_write(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)
