"""The stores benchmark: write time, warm and cold read+mean time, bytes on disk and peak
memory of every source, against the plain numpy pass over the memmap."""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

from sda.io import scratch_dir
from sda.stores.means import MEANS, reader
from sda.stores.paths import NUMPY_SOURCES, SOURCES, STORE_OF, Stores, allocated_bytes
from sda.stores.write import raw_bytes, write_store

log = logging.getLogger(__name__)


BASELINE = "memmap"  # the plain numpy pass, np.memmap block by block


RATIO_SOURCES = ("dask_memmap", "dask_hdf5_chunked", "dask_zarr")


RATIO_TARGET = 1.5


def evict(paths: Sequence[Path]) -> bool:
    """Drop the files' pages from the page cache (``POSIX_FADV_DONTNEED``) so that the next
    read comes from disk; False where the platform cannot."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            with contextlib.suppress(OSError):
                os.fsync(fd)  # only clean pages can be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def traced_peak_mib(fn: Callable[[], object]) -> float:
    """Peak of traced allocations (numpy buffers included) during one call, in MiB. Pages of a
    memory-mapped file are page cache, not allocations, and do not count."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


BENCH_FIELDS = [
    "source", "store", "reader", "write_s", "read_mean_warm_s", "read_mean_cold_s", "per_block_warm_s",
    "bytes_on_disk", "peak_mib", "ratio_warm_vs_numpy_memmap", "ratio_warm_vs_numpy_same_store",
    "target", "blocks",
    "block_shape", "repeats", "write_repeats", "cores",
]  # fmt: skip


def bench_rows(
    stores: Stores,
    scratch: str | Path,
    repeats: int,
    cores: int,
    scheduler: str,
    hdf5_compression: str,
    zarr_compression: str,
    zarr_shard_blocks: int = 0,
    write_repeats: int = 1,
    warmup: int = 1,
) -> list[dict]:
    """Write time, warm and cold read+mean time, bytes on disk and peak memory of every source.

    Writes go to ``scratch`` (the stores' writers on the same npy blocks, ``write_repeats``
    times each, the npy loads from a warm cache included). Reads use the
    workflow's stores: one warm-up pass each, then ``repeats`` rounds that visit every source in
    turn (side by side, so drift hits all alike); in each round a source is first evicted from
    the page cache and read cold. Then warm, in ``repeats`` rounds: for each source,
    ``warmup`` discarded runs of the baseline and the source, then baseline, source, source,
    baseline (alternating runs in ABBA order: the same warm-up and the same position for both,
    and a drift of the machine's state cancels). The ratio to the baseline is the median of the
    source's warm times over the median of the baseline times paired with them.
    """
    # every store side by side, compressed ones counted as raw, and the npy copies
    needed = len(NUMPY_SOURCES) * raw_bytes(stores.npy, stores.shape)
    with scratch_dir(scratch, needed) as scratch:
        (scratch / "npy").mkdir()
        target = Stores.under(scratch, stores.npy, stores.shape)
        write_s = {}
        for kind in NUMPY_SOURCES:
            times = [
                _seconds(
                    lambda k=kind: write_store(
                        k,
                        target,
                        hdf5_compression,
                        zarr_compression,
                        zarr_shard_blocks,
                        scratch / "npy",
                    )
                )
                for _ in range(write_repeats)
            ]
            write_s[kind] = statistics.median(times)
            log.info("write %s: %s s", kind, times)

    def run(source: str) -> float:
        return _seconds(lambda: MEANS[source](stores, scheduler, False))

    for source in SOURCES:  # fail early on a bad store
        run(source)
    cold = {s: [] for s in SOURCES}
    for _ in range(repeats):
        for source in SOURCES:
            if evict(stores.files(source)):
                cold[source].append(run(source))
    warm = {s: [] for s in SOURCES}
    paired = {s: [] for s in SOURCES}  # the baseline reads alternating with the source's
    for _ in range(repeats):
        for source in SOURCES:
            for _ in range(warmup):
                run(BASELINE)
                run(source)
            paired[source].append(run(BASELINE))
            warm[source] += [run(source), run(source)]
            paired[source].append(run(BASELINE))
    peaks = {s: traced_peak_mib(lambda f=MEANS[s]: f(stores, scheduler, False)) for s in SOURCES}
    rows = []
    for source in SOURCES:
        kind = STORE_OF[source]
        w = statistics.median(warm[source])
        base = statistics.median(paired[source])
        rows.append(
            {
                "source": source,
                "store": kind,
                "reader": reader(source, stores),
                "write_s": f"{write_s[kind]:.6g}" if source in write_s else "",
                "read_mean_warm_s": f"{w:.6g}",
                "read_mean_cold_s": f"{statistics.median(cold[source]):.6g}"
                if cold[source]
                else "",
                "per_block_warm_s": f"{w / stores.n:.6g}",
                "bytes_on_disk": allocated_bytes(stores.files(source)),
                "peak_mib": f"{peaks[source]:.4g}",
                "ratio_warm_vs_numpy_memmap": f"{w / base:.4g}",
                "ratio_warm_vs_numpy_same_store": f"{w / statistics.median(warm[kind]):.4g}",
                "target": f"<={RATIO_TARGET:g}" if source in RATIO_SOURCES else "",
                "blocks": stores.n,
                "block_shape": "x".join(map(str, stores.shape)),
                "repeats": repeats,
                "write_repeats": write_repeats,
                "cores": cores,
            }
        )
    return rows
