"""The whole array's summary statistics, with dask, out of core, in one pass over each block.

A ``dask.array`` reduction (:func:`summary_reduction`) whose chunk step reads its chunk once,
in slices that stay in the CPU's cache (:data:`SLICE` numbers, 2 MiB), and keeps six numbers
(:data:`FIELDS`): the count ``n``, the chunk's mean as a shift ``K`` plus an offset (two
floats, so that a mean of 1e8 keeps the digits below float64's 1.5e-8 spacing there), its
centred second moment ``M2 = sum((x - mean)**2)``, its minimum and its maximum. Parts are then
combined with the parallel-variance formula (Chan, Golub and LeVeque): for parts ``i`` with
``(n_i, mean_i, M2_i)`` and ``n = sum(n_i)``::

    mean = sum(n_i * mean_i) / n
    M2   = sum(M2_i) + sum(n_i * (mean_i - mean)**2)

each sum taken with :func:`math.fsum`, the means as offsets from the first part's shift. The
std is ``sqrt(M2 / n)`` (``ddof`` 0).

Within a chunk the moments are taken about a shift ``K``, the mean of its first slice, in the
same pass: ``s1 = sum(x - K)``, ``s2 = sum((x - K)**2)``, then ``mean = K + s1 / n`` and
``M2 = s2 - s1**2 / n``. The naive ``sum(x**2) - n * mean**2`` loses every digit when the mean
is large against the spread (mean 1e8, sd 1: ``x**2`` is 1e16, its rounding error as large as
the whole variance); about ``K`` it cannot: the first slice's mean lies within
``sd * sqrt(n / len(slice))`` of the chunk's (at most 2 sd for a 1000x1000 block), so
``s1**2 / n`` is at most 4 times ``M2`` and the subtraction costs at most a few units of
float64's last digit. The chunk step allocates at most one slice's temporary (never a block's),
and each number is read from memory once: every other walk over a slice is in cache.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sda.stores.arrays import NpyBlocks, chunk_blocks

SLICE = 256 * 1024  # numbers per slice of the chunk step: 2 MiB of float64, in cache
SPLIT_EVERY = 64  # chunks' statistics combined per task of the reduction's tree
TASK_BYTES = 256 * 2**20  # npy blocks per task of the summary: about this many bytes of them
FIELDS = ("n", "shift", "offset", "m2", "min", "max")  # a part's statistics; mean = shift + offset
EMPTY = np.array([0.0, 0.0, 0.0, 0.0, np.inf, -np.inf])


def chunk_stats(x: np.ndarray) -> np.ndarray:
    """``[n, shift, offset, M2, min, max]`` of ``x`` (any shape, float64; its mean is ``shift +
    offset``) in one pass over memory."""
    flat = np.asarray(x).reshape(-1)
    n = flat.size
    if n == 0:
        return EMPTY.copy()
    shift = float(flat[:SLICE].mean())
    buf = np.empty(min(SLICE, n))  # the one temporary: a slice's deviations, then their squares
    s1, s2, lows, highs = [], [], [], []
    for start in range(0, n, SLICE):
        part = flat[start : start + SLICE]  # read from memory here; the rest is in cache
        d = np.subtract(part, shift, out=buf[: part.size])
        s1.append(float(d.sum()))
        s2.append(float(np.dot(d, d)))  # BLAS, one thread (see array_summary)
        lows.append(float(part.min()))
        highs.append(float(part.max()))
    t1, t2 = math.fsum(s1), math.fsum(s2)
    m2 = max(0.0, t2 - t1 * t1 / n)
    return np.array([n, shift, t1 / n, m2, min(lows), max(highs)])


def combine_stats(parts: np.ndarray) -> np.ndarray:
    """The statistics (:data:`FIELDS`) of the union of ``parts`` (rows of them), by the
    parallel-variance formula with exact (``math.fsum``) sums; the means as offsets from the
    first part's shift, the result's shift."""
    parts = np.asarray(parts, dtype=np.float64).reshape(-1, len(FIELDS))
    parts = parts[parts[:, 0] > 0]
    if len(parts) == 0:
        return EMPTY.copy()
    ns, shifts, offsets, m2s = parts[:, 0], parts[:, 1], parts[:, 2], parts[:, 3]
    shift = shifts[0]
    means = (shifts - shift) + offsets  # each part's mean about the common shift
    n = math.fsum(ns)
    offset = math.fsum(ns * means) / n
    m2 = math.fsum(m2s) + math.fsum(ns * (means - offset) ** 2)
    return np.array([n, shift, offset, m2, parts[:, 4].min(), parts[:, 5].max()])


def _chunk(x, axis=None, keepdims=None, computing_meta=False):
    if computing_meta:
        return np.empty((0, len(FIELDS)))
    return chunk_stats(x)[None, :]


def _combine(parts, axis=None, keepdims=None, computing_meta=False):
    if computing_meta:
        return np.empty((0, len(FIELDS)))
    return combine_stats(np.concatenate(_flatten(parts)))[None, :]


def _aggregate(parts, axis=None, keepdims=None, computing_meta=False):
    if computing_meta:
        return np.empty(len(FIELDS))
    return combine_stats(np.concatenate(_flatten(parts)))


def _flatten(parts) -> list[np.ndarray]:
    """The part arrays of dask's (possibly nested) list of a reduction's intermediates."""
    if isinstance(parts, np.ndarray):
        return [parts.reshape(-1, len(FIELDS))]
    return [a for p in parts for a in _flatten(p)]


def summary_reduction(x, split_every: int | None = SPLIT_EVERY):
    """The statistics (:data:`FIELDS`) of every element of the dask array ``x``, as a lazy 1-D
    dask array of six numbers: one pass over each chunk (:func:`chunk_stats`), then the chunks'
    statistics combined in a tree (:func:`combine_stats`)."""
    return _reduction(x, _chunk, tuple(range(x.ndim)), split_every)


def _reduction(x, chunk, axis, split_every):
    """The ``da.reduction`` both summaries are: ``chunk`` makes each chunk's row of
    :data:`FIELDS`, then the rows are combined in a tree (:func:`combine_stats`)."""
    import dask.array as da

    return da.reduction(
        x,
        chunk,
        _aggregate,
        combine=_combine,
        axis=axis,
        keepdims=False,
        dtype=np.float64,
        split_every=split_every,
        concatenate=False,
        output_size=len(FIELDS),
        meta=np.empty(len(FIELDS)),
    )


def _files_stats(index: np.ndarray, blocks: NpyBlocks) -> np.ndarray:
    """The statistics (:data:`FIELDS`) of each block ``index`` names, a row per block, each
    block memory-mapped (read-only, checked) in turn."""
    rows = [chunk_stats(blocks.block(int(i))) for i in np.asarray(index).reshape(-1)]
    return np.stack(rows) if rows else np.empty((0, len(FIELDS)))


def npy_stats(npy_files: Sequence[str], shape: Sequence[int], per_task: int | None = None):
    """A lazy (n, 6) dask array: the statistics of each npy block (:func:`chunk_stats`), a
    task per ``per_task`` files (default: :data:`TASK_BYTES` of blocks, within dask's advice of
    100 MB-1 GB per chunk) instead of a task per 8 MB file: for the lesson's 1000 blocks 32
    tasks, not 1000 (whose scheduling cost as much as a third of the numpy work). Each block is
    mapped and unmapped in turn, so a task holds one block at a time, whatever its size."""
    import dask.array as da
    from dask.base import tokenize

    blocks = NpyBlocks(npy_files, shape)
    per_task = per_task or chunk_blocks(blocks.shape, TASK_BYTES)
    # named so that the task stream reads "npy-blocks-stats": the indices, fused with the
    # statistics of their blocks and the reduction's first step (dask joins the names)
    name = f"npy-blocks-{tokenize(blocks, per_task)}"
    index = da.from_array(np.arange(blocks.shape[0]), chunks=per_task, name=name)
    return index.map_blocks(
        _files_stats,
        blocks,
        new_axis=1,
        chunks=(index.chunks[0], (len(FIELDS),)),
        dtype=np.float64,
        meta=np.empty((0, len(FIELDS))),
    )


def _stats(x, axis=None, keepdims=None, computing_meta=False):
    if computing_meta:
        return np.empty((0, len(FIELDS)))
    return combine_stats(x)[None, :]


def stats_reduction(stats, split_every: int | None = SPLIT_EVERY):
    """The statistics of the union of the parts whose statistics are the rows of the dask
    array ``stats`` ((n, 6), e.g. :func:`npy_stats`): each chunk's rows combined
    (:func:`combine_stats`), then the chunks' in a tree of ``split_every``."""
    return _reduction(stats, _stats, 0, {0: split_every} if split_every else None)


def array_summary(npy_files: Sequence[str], shape: Sequence[int]) -> dict:
    """Mean, std (ddof 0), min and max over all blocks with dask, out of core, one pass over
    each block (:func:`npy_stats`, combined by :func:`stats_reduction`).

    The BLAS ``np.dot`` of the chunk step runs on one thread: dask's threads are the
    parallelism, and a dot split over a number of BLAS threads that follows the rule's cores
    would change the sums' last digits with ``--cores``. Here the process's BLAS is held to one
    thread for the computation (threadpoolctl); worker processes get one BLAS thread from their
    environment (:mod:`sda.scheduler`, distributed's nanny)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        stats = stats_reduction(npy_stats(npy_files, shape)).compute()
    n, shift, offset, m2, lo, hi = (float(v) for v in stats)
    mean = shift + offset
    return {
        "blocks": len(npy_files),
        "block_shape": [int(s) for s in shape],
        "count": int(n),
        "bytes": int(n) * np.dtype(np.float64).itemsize,
        "mean": mean,
        "std": math.sqrt(m2 / n),
        "ddof": 0,
        "min": lo,
        "max": hi,
    }
