"""The stores as ``dask.array`` collections, out of core: chunks of whole blocks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sda.io import load_npy
from sda.stores.paths import DTYPE

DASK_CHUNK_BYTES = 128 * 2**20  # dask chunks of whole blocks, about this size (100 MB-1 GB)


def dask_npy(npy_files: Sequence[str], shape: Sequence[int]):
    """(n, rows, cols) dask array, one chunk per npy file, each mapped (and checked) in its task.

    Out of core: a chunk is a read-only memory map of its file, read by the reductions straight
    from the page cache (no copy: measured 30-50% faster than ``np.load`` into memory) and
    unmapped after them. One ``from_array`` over :class:`NpyBlocks`, not a ``da.stack`` of one
    array per file: the same chunks in one graph layer instead of a thousand.
    """
    import dask.array as da

    blocks = NpyBlocks(npy_files, shape)
    return da.from_array(blocks, chunks=(1, *blocks.shape[1:]), name=False, asarray=False)


class NpyBlocks:
    """The npy blocks as one (n, rows, cols) array-like for ``da.from_array``: indexing maps
    the blocks it covers read-only, checked by :func:`sda.io.load_npy` (shape, dtype, a
    truncated or unreadable file named). It pickles as its file names."""

    def __init__(self, npy_files: Sequence[str], shape: Sequence[int]):
        self.files = tuple(str(f) for f in npy_files)
        self.shape = (len(self.files), *(int(s) for s in shape))
        self.dtype, self.ndim = DTYPE, len(self.shape)

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        first, rest = index[0], index[1:]
        if isinstance(first, slice):
            picked = range(*first.indices(self.shape[0]))
            parts = [self.block(i)[rest] for i in picked]
            return parts[0][None] if len(parts) == 1 else np.stack(parts)
        return self.block(int(first))[rest]

    def __dask_tokenize__(self):
        return (type(self).__name__, self.files, self.shape)

    def block(self, i: int) -> np.ndarray:
        """Block ``i``, memory-mapped read-only and checked."""
        return load_npy(self.files[i], self.shape[1:], DTYPE.str, "r")


class MemmapView:
    """What ``da.from_array`` gets instead of the ``np.memmap`` itself.

    dask 2026.8's ``from_array`` copies every array-like that has a ``.copy()`` method
    (``x = x.copy()`` in dask/array/core.py): given a ``np.memmap`` it reads the whole store into
    memory (764 MiB traced for an 800 MB store). This view has only shape, dtype, ndim and
    ``__getitem__``; it maps the file on first use in each process and pickles as its path, so
    the graph works with every scheduler and stays out of core.
    """

    def __init__(self, path: str | Path, shape: Sequence[int], dtype=DTYPE, order: str = "C"):
        self.path, self.shape, self.dtype = str(path), tuple(shape), np.dtype(dtype)
        self.order, self.ndim, self._mm = order, len(self.shape), None

    def __getitem__(self, index):
        if self._mm is None:
            self._mm = np.memmap(self.path, self.dtype, "r", shape=self.shape, order=self.order)
        return self._mm[index]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_mm": None}


def chunk_blocks(shape: Sequence[int], target: int = DASK_CHUNK_BYTES) -> int:
    """Blocks per dask chunk: as many whole blocks (storage chunks) as fit in ``target`` bytes."""
    return max(1, target // (math.prod(shape[1:]) * DTYPE.itemsize))


def dask_memmap(mm: np.memmap):
    """``da.from_array(..., name=False)`` over the memmap (no hashing, no copy: see
    :class:`MemmapView`), chunks of whole blocks, about :data:`DASK_CHUNK_BYTES` each."""
    import dask.array as da

    order = "F" if mm.flags.f_contiguous and not mm.flags.c_contiguous else "C"
    view = MemmapView(mm.filename, mm.shape, mm.dtype, order)
    return da.from_array(view, chunks=(chunk_blocks(mm.shape), *mm.shape[1:]), name=False)


def dask_hdf5(datasets: Sequence):
    """The lesson's ``da.concatenate`` of one ``from_array`` per HDF5 dataset (3-D here)."""
    import dask.array as da

    return da.concatenate([da.from_array(ds, chunks=ds.shape, name=False)[None] for ds in datasets])


def dask_hdf5_chunked(ds):
    """``da.from_array`` over the chunked dataset; a dask chunk is a run of whole HDF5 chunks."""
    import dask.array as da

    return da.from_array(ds, chunks=(chunk_blocks(ds.shape), *ds.shape[1:]), name=False)


def dask_zarr(path: str | Path, shape: Sequence[int]):
    """``da.from_zarr``; a dask chunk is a run of whole Zarr chunks (blocks)."""
    import dask.array as da

    return da.from_zarr(str(path), chunks=(chunk_blocks(shape), *shape[1:]))
