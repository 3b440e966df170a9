"""sda.stores.summary: the whole array's summary in one pass over each block, against numpy and
an independent two-pass float64 computation."""

from __future__ import annotations

import math
import tracemalloc

import dask
import dask.array as da
import numpy as np
import pytest

from conftest import STORE_BLOCKS, STORE_SPEC, stacked
from oracles import check_summary, two_pass_summary
from sda.scheduler import dask_scheduler
from sda.stores.summary import FIELDS, SLICE, array_summary, chunk_stats, summary_reduction


def test_array_summary_matches_numpy(blocks):
    with dask.config.set(scheduler="threads", num_workers=2):
        got = array_summary(blocks, STORE_SPEC.shape)
    x = stacked(blocks)
    assert got["blocks"] == STORE_BLOCKS and got["ddof"] == 0
    check_summary(got, x)


def summary_of(x: np.ndarray, chunks, split_every=None) -> dict:
    n, shift, offset, m2, lo, hi = summary_reduction(
        da.from_array(x, chunks=chunks), split_every=split_every
    ).compute()
    return {"count": n, "mean": shift + offset, "std": math.sqrt(m2 / n), "min": lo, "max": hi}


def agrees(got: dict, ref: dict, rtol: float = 1e-12) -> None:
    assert got["count"] == ref["count"]
    assert got["mean"] == pytest.approx(ref["mean"], rel=rtol)
    assert got["std"] == pytest.approx(ref["std"], rel=rtol)
    assert (got["min"], got["max"]) == (ref["min"], ref["max"])


@pytest.mark.parametrize(
    "loc, scale, shape, chunks, split_every",
    [
        (1e8, 1.0, (6, 300, 200), (1, 300, 200), None),  # the naive formula's worst case
        (1e8, 1.0, (6, 300, 200), (4, 300, 200), 2),  # chunks of several blocks, a tree
        (100.0, 10.0, (3, 1000, 1000), (1, 1000, 1000), None),  # the lesson's blocks
        (-5.0, 1e-3, (5, 7, 3), (2, 7, 3), 3),  # blocks smaller than a slice
    ],
)
def test_one_pass_equals_a_two_pass_float64_computation(loc, scale, shape, chunks, split_every):
    """Mean and std to 1e-12 relative, min and max exactly, of an independent two-pass
    computation (per block, math.fsum of the parts), whatever the chunks and the tree."""
    x = np.random.default_rng(7).normal(loc, scale, size=shape)
    with dask.config.set(scheduler="sync"):
        got = summary_of(x, chunks, split_every)
    agrees(got, two_pass_summary(list(x)))


def test_the_data_defeats_the_naive_formula():
    """On mean 1e8, sd 1 the textbook ``sumsq / n - mean**2`` is wrong in its first digits: the
    formulation above is proven on data where it matters."""
    x = np.random.default_rng(7).normal(1e8, 1.0, size=(6, 300, 200))
    ref = two_pass_summary(list(x))
    flat = x.ravel()
    naive = math.sqrt(max(0.0, float(np.dot(flat, flat)) / flat.size - ref["mean"] ** 2))
    assert abs(naive - ref["std"]) > 0.1 * ref["std"]


def test_a_chunk_is_read_once_with_no_temporary_larger_than_a_slice():
    block = np.random.default_rng(3).normal(100.0, 10.0, size=(1000, 1000))  # 8 MB
    tracemalloc.start()
    stats = chunk_stats(block)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < SLICE * 8 + 64 * 1024  # one slice's temporary (2 MiB), not the block's 8 MB
    assert len(stats) == len(FIELDS) and stats[0] == block.size
    agrees(
        {
            "count": stats[0],
            "mean": stats[1] + stats[2],
            "std": math.sqrt(stats[3] / stats[0]),
            "min": stats[4],
            "max": stats[5],
        },
        two_pass_summary([block]),
    )


@pytest.mark.parametrize("scheduler", ["sync", "processes", "local-cluster"])
def test_every_scheduler_gives_the_same_numbers(blocks, scheduler):
    with dask.config.set(scheduler="threads", num_workers=2):
        ref = array_summary(blocks, STORE_SPEC.shape)
    with dask_scheduler(scheduler, workers=2):
        got = array_summary(blocks, STORE_SPEC.shape)
    assert got == ref
