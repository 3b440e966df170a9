"""The lesson's block measurements: npy vs CSV save time, load memory, load-and-mean time."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sda.bench.harness import timed
from sda.blocks import BlockSpec, make_block, write_csv
from sda.io import load_npy, npy_size, save_npy, scratch_dir

_PEAK_CODE = """
import sys, tracemalloc
import numpy as np


def high_water_mark():
    # VmHWM is the peak RSS of this process image. (getrusage's ru_maxrss survives execve, so
    # a child started by a big parent would report the parent's peak and hide the load.)
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import psutil
    return psutil.Process().memory_info().rss


path, fmt = sys.argv[1], sys.argv[2]
rss0 = high_water_mark()
tracemalloc.start()
a = np.load(path) if fmt == "npy" else np.loadtxt(path, delimiter=",", dtype=np.float64)
peak = tracemalloc.get_traced_memory()[1]
rss1 = high_water_mark()
print(peak, rss1 - rss0, a.nbytes)
"""


def load_peak_bytes(path: str | Path, fmt: str) -> tuple[int, int, int]:
    """Peak memory increment of loading one block, in a fresh Python process.

    Returns (tracemalloc peak, max-RSS increment, array bytes); numpy reports its buffers to
    tracemalloc, so the first number is the allocation peak of the load itself.
    """
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CODE, str(path), fmt],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    peak, rss, nbytes = (int(x) for x in out)
    return peak, rss, nbytes


def block_io_rows(
    npy_files: Sequence[str],
    csv_file: str | None,
    spec: BlockSpec,
    fmt: str,
    repeats: int,
    cores: int,
    scratch: str | Path,
) -> list[dict]:
    """The lesson's measurements: save time, load memory, and load-and-mean time."""
    mib = 1024 * 1024
    rows = []

    def row(what, form, value, unit, reps):
        rows.append(
            dict(what=what, format=form, value=f"{value:.6g}", unit=unit, repeats=reps, cores=cores)
        )

    block = make_block(0, spec)
    # one npy and one CSV copy of a block (and their temporary files while they are written)
    needed = 2 * (npy_size(block) + spec.csv_bytes(fmt))
    with scratch_dir(scratch, needed) as scratch:
        npy_tmp, csv_tmp = scratch / "save_test.npy", scratch / "save_test.csv"
        t_npy = timed(lambda: save_npy(npy_tmp, block), repeats)
        t_csv = timed(lambda: write_csv(csv_tmp, block, fmt), repeats)
        row("save_seconds_per_block", "npy", statistics.median(t_npy), "s", repeats)
        row("save_seconds_per_block", "csv", statistics.median(t_csv), "s", repeats)
        row("file_bytes_per_block", "npy", npy_tmp.stat().st_size / mib, "MiB", 1)
        row("file_bytes_per_block", "csv", csv_tmp.stat().st_size / mib, "MiB", 1)
        row(
            "save_ratio_csv_over_npy",
            "csv/npy",
            statistics.median(t_csv) / statistics.median(t_npy),
            "x",
            repeats,
        )

        for form, path in (("npy", npy_tmp), ("csv", csv_tmp)):
            peaks = [load_peak_bytes(path, form) for _ in range(repeats)]
            row(
                "load_peak_tracemalloc",
                form,
                statistics.median(p[0] for p in peaks) / mib,
                "MiB",
                repeats,
            )
            row(
                "load_peak_rss_increment",
                form,
                statistics.median(p[1] for p in peaks) / mib,
                "MiB",
                repeats,
            )
            row("array_bytes", form, peaks[0][2] / mib, "MiB", 1)

    if csv_file:
        t_load_csv = timed(lambda: np.loadtxt(csv_file, delimiter=",").mean(), repeats)
        row("load_mean_seconds_per_file", "csv", statistics.median(t_load_csv), "s", repeats)

    def load_and_mean_all():
        return [load_npy(f, shape=spec.shape).mean() for f in npy_files]

    load_and_mean_all()  # warm the page cache, as the lesson's second run did
    totals = timed(load_and_mean_all, repeats)
    row("load_mean_seconds_total", "npy", statistics.median(totals), "s", repeats)
    row(
        "load_mean_seconds_per_file",
        "npy",
        statistics.median(totals) / len(npy_files),
        "s",
        repeats,
    )
    row("load_mean_files", "npy", len(npy_files), "files", 1)
    return rows
