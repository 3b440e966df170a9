"""The whole array's summary statistics, with dask, out of core."""

from __future__ import annotations

from collections.abc import Sequence

from sda.stores.arrays import dask_npy


def array_summary(npy_files: Sequence[str], shape: Sequence[int]) -> dict:
    """Mean, std (ddof 0), min and max over all blocks with dask, out of core, in one pass
    (one ``dask.compute`` so the four reductions share each chunk's read)."""
    import dask

    x = dask_npy(npy_files, shape)
    mean, std, lo, hi = dask.compute(x.mean(), x.std(), x.min(), x.max())
    return {
        "blocks": len(npy_files),
        "block_shape": [int(s) for s in shape],
        "count": int(x.size),
        "bytes": int(x.nbytes),
        "mean": float(mean),
        "std": float(std),
        "ddof": 0,
        "min": float(lo),
        "max": float(hi),
    }
