"""The stores benchmark: write time, warm and cold read+mean time, bytes on disk and peak
memory of every source, against the plain numpy pass over the memmap.

Rows (:data:`sda.measure.rows.FIELDS`):

- ``write``, per store: the store's writer on the same npy blocks (single-threaded), its bytes;
- ``read_mean_cold``, per source: read and per-block means after evicting the store's files
  from the page cache;
- ``read_mean_warm``, per source: the same with a warm cache, its traced peak memory, and its
  ratio to the baseline ``memmap`` (numpy over ``np.memmap``, block by block, one thread) in
  ABBA order (:func:`sda.measure.timing.abba`); ``identical``: its means agree with the
  baseline's to :data:`sda.stores.means.RTOL` relative; ``note``: how it read its store;
- ``read_mean_warm_same_store``, per dask source: its warm time over numpy's on the same store;
- ``array_summary`` (:func:`summary_rows`), over every npy block of the workflow, warm: the
  workflow's one-pass dask summary (:func:`sda.stores.summary.array_summary`) against one plain
  numpy pass (:func:`numpy_summary`), the same threads, alternating, in-process compute time;
  ``identical``: mean and std agree to 1e-12 relative, min and max exactly.

``threads`` says what each side used: 1 for the numpy sources, the dask scheduler's workers
for the ``dask_*`` sources.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from sda.io import load_npy, scratch_dir
from sda.measure.pagecache import evict
from sda.measure.process import traced_peak_mib
from sda.measure.rows import row
from sda.measure.timing import abba, alternating, paired_ratio, timed, timed_call
from sda.stores.means import MEANS, RTOL, reader
from sda.stores.paths import DTYPE, NUMPY_SOURCES, SOURCES, STORE_OF, Stores, allocated_bytes
from sda.stores.summary import array_summary
from sda.stores.write import raw_bytes, write_store

log = logging.getLogger(__name__)

BASELINE = "memmap"  # the plain numpy pass, np.memmap block by block
RATIO_SOURCES = ("dask_memmap", "dask_hdf5_chunked", "dask_zarr")
RATIO_TARGET = 1.5


def bench_rows(
    stores: Stores,
    scratch: str | Path,
    repeats: int,
    threads: int,
    scheduler: str,
    hdf5_compression: str,
    zarr_compression: str,
    zarr_shard_blocks: int = 0,
    write_repeats: int = 1,
    warmup: int = 1,
) -> list[dict]:
    """Write time, warm and cold read+mean time, bytes on disk and peak memory of every source.

    Writes go to ``scratch`` (the stores' writers on the same npy blocks, ``write_repeats``
    times each, the npy loads from a warm cache included). Reads use the workflow's stores: one
    pass each (which also checks the store and gives the means compared with the baseline's),
    then ``repeats`` rounds that visit every source in turn (side by side, so drift hits all
    alike); in each round a source is first evicted from the page cache and read cold. Then
    warm, in ``repeats`` rounds: for each source :func:`sda.measure.timing.abba` against the
    baseline. The ratio to the baseline is the median of the source's warm times over the
    median of the baseline times paired with them.
    """
    dask_threads = 1 if scheduler == "sync" else threads
    threads_of = {s: dask_threads if s.startswith("dask_") else 1 for s in SOURCES}
    # every store side by side, compressed ones counted as raw, and the npy copies
    needed = len(NUMPY_SOURCES) * raw_bytes(stores.npy, stores.shape)
    write_s, written = {}, {}
    with scratch_dir(scratch, needed) as scratch:
        (scratch / "npy").mkdir()
        target = Stores.under(scratch, stores.npy, stores.shape)
        for kind in NUMPY_SOURCES:
            times = timed(
                lambda k=kind: write_store(
                    k,
                    target,
                    hdf5_compression=hdf5_compression,
                    zarr_compression=zarr_compression,
                    zarr_shard_blocks=zarr_shard_blocks,
                    npy_dir=scratch / "npy",
                ),
                write_repeats,
            )
            write_s[kind] = statistics.median(times)
            files = list((scratch / "npy").iterdir()) if kind == "npy" else target.files(kind)
            written[kind] = allocated_bytes(files)
            log.info("write %s: %s s", kind, times)

    def run(source: str) -> np.ndarray:
        return MEANS[source](stores, scheduler, False)

    means = {source: run(source) for source in SOURCES}  # fail early on a bad store
    cold = {s: [] for s in SOURCES}
    for _ in range(repeats):
        for source in SOURCES:
            if evict(stores.files(source)):
                cold[source] += timed(lambda s=source: run(s))
    warm = {s: [] for s in SOURCES}
    paired = {s: [] for s in SOURCES}  # the baseline reads alternating with the source's
    for _ in range(repeats):
        for source in SOURCES:
            base, src = abba(lambda: run(BASELINE), lambda s=source: run(s), warmup)
            paired[source] += base
            warm[source] += src
    peaks = {s: traced_peak_mib(lambda s=s: run(s)) * 2**20 for s in SOURCES}
    rows = [
        row(
            "write",
            kind,
            seconds=write_s[kind],
            repeats=write_repeats,
            threads=1,
            nbytes=written[kind],
        )
        for kind in NUMPY_SOURCES
    ]
    on_disk = {s: allocated_bytes(stores.files(s)) for s in SOURCES}
    how = {s: reader(s, stores) for s in SOURCES}  # reads the stores' layout: once per source
    for source in SOURCES:
        if cold[source]:
            rows.append(
                row(
                    "read_mean_cold",
                    source,
                    seconds=statistics.median(cold[source]),
                    repeats=len(cold[source]),
                    threads=threads_of[source],
                    times=cold[source],
                    nbytes=on_disk[source],
                    note=how[source],
                )
            )
    for source in SOURCES:
        target_note = f"; target <={RATIO_TARGET:g}" if source in RATIO_SOURCES else ""
        same = np.allclose(means[source], means[BASELINE], rtol=RTOL, atol=0.0)
        rows.append(
            row(
                "read_mean_warm",
                source,
                seconds=statistics.median(warm[source]),
                repeats=len(warm[source]),
                peak_bytes=peaks[source],
                threads=threads_of[source],
                times=warm[source],
                ratio=paired_ratio(warm[source], paired[source]),
                baseline=BASELINE,
                identical=bool(same),
                nbytes=on_disk[source],
                note=how[source] + target_note,
            )
        )
    for source in SOURCES:
        kind = STORE_OF[source]
        if source.startswith("dask_"):
            w = statistics.median(warm[source])
            rows.append(
                row(
                    "read_mean_warm_same_store",
                    source,
                    seconds=w,
                    repeats=len(warm[source]),
                    threads=threads_of[source],
                    ratio=w / statistics.median(warm[kind]),
                    baseline=kind,
                    note=f"numpy over the same store ({threads_of[kind]} thread)",
                )
            )
    return rows


SUMMARY_TARGET = 1.5  # the dask summary's time at most this many times the numpy pass's


def _block_sums(path: str, shape: Sequence[int]) -> tuple[float, float, float, float]:
    x = load_npy(path, tuple(shape), DTYPE.str, "r")
    flat = x.reshape(-1)
    return float(flat.sum()), float(np.dot(flat, flat)), float(flat.min()), float(flat.max())


def numpy_summary(npy_files: Sequence[str], shape: Sequence[int], threads: int = 1) -> dict:
    """The baseline: one plain numpy pass over the memory-mapped blocks, per block ``x.sum()``,
    ``np.dot(x, x)``, ``x.min()``, ``x.max()`` (the blocks shared by ``threads`` threads),
    combined at the end: count, mean, std (ddof 0, from the sum of squares), min, max."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        parts = list(pool.map(lambda f: _block_sums(f, shape), npy_files))
    n = len(npy_files) * math.prod(shape)
    mean = math.fsum(p[0] for p in parts) / n
    var = max(0.0, math.fsum(p[1] for p in parts) / n - mean * mean)
    return {
        "count": n,
        "mean": mean,
        "std": math.sqrt(var),
        "min": min(p[2] for p in parts),
        "max": max(p[3] for p in parts),
    }


def summaries_agree(a: dict, b: dict, rtol: float = 1e-12) -> bool:
    """Count, min and max equal; mean and std equal to ``rtol`` relative."""
    close = all(math.isclose(a[k], b[k], rel_tol=rtol) for k in ("mean", "std"))
    return close and all(a[k] == b[k] for k in ("count", "min", "max"))


def summary_rows(
    npy_files: Sequence[str], shape: Sequence[int], repeats: int, threads: int
) -> list[dict]:
    """The workflow's summary (dask, the current scheduler) against :func:`numpy_summary` on
    ``threads`` threads: each once untimed (the blocks then in the page cache, warm), then
    ``repeats`` rounds alternating; medians, the ratio, whether the results agree. BLAS has one
    thread on both sides (the threads are the parallelism, as in the summary itself)."""
    from threadpoolctl import threadpool_limits

    files = [str(f) for f in npy_files]
    runs = {
        "numpy_one_pass": lambda: numpy_summary(files, shape, threads),
        "dask": lambda: array_summary(files, shape),
    }
    with threadpool_limits(limits=1, user_api="blas"):
        first = {}
        results = {}
        for name, run in runs.items():  # warm-up: every block read once
            results[name], first[name] = timed_call(run)
        times = alternating(runs, repeats)
    med = {name: statistics.median(t) for name, t in times.items()}
    nbytes = len(files) * math.prod(shape) * DTYPE.itemsize
    same = summaries_agree(results["dask"], results["numpy_one_pass"])
    note = f"{len(files)} npy blocks, warm, in-process"
    return [
        row(
            "array_summary",
            "numpy_one_pass",
            seconds=med["numpy_one_pass"],
            repeats=repeats,
            threads=threads,
            ratio=1.0,
            baseline="numpy_one_pass",
            nbytes=nbytes,
            note=note,
            times=times["numpy_one_pass"],
            first=first["numpy_one_pass"],
        ),
        row(
            "array_summary",
            "dask",
            seconds=med["dask"],
            repeats=repeats,
            threads=threads,
            times=times["dask"],
            first=first["dask"],
            ratio=med["dask"] / med["numpy_one_pass"],
            baseline="numpy_one_pass",
            identical=same,
            nbytes=nbytes,
            note=f"{note}; one pass per block; target <={SUMMARY_TARGET:g}",
        ),
    ]
