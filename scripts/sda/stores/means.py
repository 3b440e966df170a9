"""The per-block means from every source (numpy and ``dask.array`` over each store).

Every source is a function in :data:`MEANS`: ``MEANS[source](stores, scheduler, verify)``
returns the per-block means; :func:`block_means` runs them all and checks that they agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from sda.io import InputError, write_csv
from sda.measure.timing import timed_call
from sda.stores.arrays import dask_hdf5, dask_hdf5_chunked, dask_memmap, dask_npy, dask_zarr
from sda.stores.paths import SOURCES, STORE_OF, Stores, allocated_bytes, iter_blocks
from sda.stores.read import (
    hdf5_chunked_dataset,
    hdf5_datasets,
    npz_block,
    open_h5,
    open_memmap,
    open_npz,
    open_zarr,
    verify_checksum,
)
from sda.stores.zerocopy import dask_extents, hdf5_extents, zarr_extents

log = logging.getLogger(__name__)


RTOL = 1e-12


def reader(source: str, stores: Stores) -> str:
    """How a source reads its store: ``memmap`` (zero-copy), or the library and why."""
    if source == "dask_hdf5_chunked":
        ext, why = hdf5_extents(stores.hdf5_chunked, stores.full_shape)
        return "memmap" if ext is not None else f"h5py ({why})"
    if source == "dask_zarr":
        ext, why = zarr_extents(stores.zarr, stores.full_shape)
        return "memmap" if ext is not None else f"zarr ({why})"
    kind = STORE_OF[source]
    return {"memmap": "memmap", "hdf5": "h5py", "hdf5_chunked": "h5py", "zarr": "zarr"}.get(
        kind, "np.load"
    )


def handle_scheduler(spec: str) -> str:
    """Scheduler for graphs holding open h5py handles: these do not pickle, so they run on
    local threads (h5py releases the GIL for I/O) unless ``sync`` is asked."""
    return spec if spec in ("threads", "sync") else "threads"


def block_mean_means(arr) -> np.ndarray:
    return np.asarray(arr.mean(axis=(1, 2)).compute(), dtype=np.float64)


def _means_npy(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    return np.array([b.mean() for _, b in iter_blocks(s.npy, s.shape)])


def _names(s: Stores) -> list[str]:
    return [Path(f).stem for f in s.npy]


def _npz(kind: str) -> Callable:
    def means(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
        path = getattr(s, kind)
        with open_npz(path, _names(s), s.shape) as npz:
            return np.array([npz_block(npz, path, n, s.shape).mean() for n in _names(s)])

    return means


def _means_memmap(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    """The baseline: a plain numpy pass over the memmap, block by block."""
    mm = open_memmap(s.memmap, s.sidecar, s.full_shape)
    return np.array([mm[i].mean() for i in range(s.n)])


def _means_hdf5(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    with open_h5(s.hdf5) as f:
        out = []
        for ds in hdf5_datasets(f, s.hdf5, _names(s), s.shape):
            block = ds[...]
            if verify:
                verify_checksum(s.hdf5, ds, block)
            out.append(block.mean())
        return np.array(out)


def _means_hdf5_chunked(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    with open_h5(s.hdf5_chunked) as f:
        ds = hdf5_chunked_dataset(f, s.hdf5_chunked, s.full_shape)
        return np.array([ds[i].mean() for i in range(s.n)])


ZARR_READ_ERRORS = (ValueError, TypeError, OSError, RuntimeError)  # what zarr/numcodecs raise


def zarr_read_error(path, full_shape, exc: Exception) -> InputError:
    """An ``InputError`` for a chunk zarr could not decode: naming the chunk file where the
    store is raw (a file of the wrong size), else the store."""
    if isinstance(exc, InputError):
        return exc
    zarr_extents(path, full_shape)  # raises naming the chunk file of the wrong size, if raw
    return InputError(f"{path}: a chunk is not readable by zarr ({type(exc).__name__}: {exc})")


def _means_zarr(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    z = open_zarr(s.zarr, s.full_shape)
    try:
        return np.array([z[i].mean() for i in range(s.n)])
    except ZARR_READ_ERRORS as exc:
        raise zarr_read_error(s.zarr, s.full_shape, exc) from None


def _means_dask_npy(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    return block_mean_means(dask_npy(s.npy, s.shape))


def _means_dask_memmap(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    return block_mean_means(dask_memmap(open_memmap(s.memmap, s.sidecar, s.full_shape)))


def _means_dask_hdf5(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    with open_h5(s.hdf5) as f:
        arr = dask_hdf5(hdf5_datasets(f, s.hdf5, _names(s), s.shape)).mean(axis=(1, 2))
        return np.asarray(arr.compute(scheduler=handle_scheduler(scheduler)))


def _zero_copy_or(library: Callable, extents_of: Callable, path: str, label: str) -> Callable:
    """A means source that maps the store's raw chunks (:mod:`sda.stores.zerocopy`) where it
    can, else reads through ``library`` (another source), the one fallback."""

    def means(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
        extents, why = extents_of(getattr(s, path), s.full_shape)
        if extents is not None:
            return block_mean_means(dask_extents(extents, s.shape, label))
        log.info("%s: read through %s: %s", getattr(s, path), library.__name__, why)
        return library(s, scheduler, verify)

    return means


def _means_dask_hdf5_chunked_h5py(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    with open_h5(s.hdf5_chunked) as f:
        ds = hdf5_chunked_dataset(f, s.hdf5_chunked, s.full_shape)
        arr = dask_hdf5_chunked(ds).mean(axis=(1, 2))
        return np.asarray(arr.compute(scheduler=handle_scheduler(scheduler)))


def _means_dask_zarr_from_zarr(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    open_zarr(s.zarr, s.full_shape)
    try:
        return block_mean_means(dask_zarr(s.zarr, s.full_shape))
    except ZARR_READ_ERRORS as exc:
        raise zarr_read_error(s.zarr, s.full_shape, exc) from None


MEANS: dict[str, Callable[[Stores, str, bool], np.ndarray]] = {
    "npy": _means_npy,
    "npz": _npz("npz"),
    "npz_compressed": _npz("npz_compressed"),
    "memmap": _means_memmap,
    "hdf5": _means_hdf5,
    "hdf5_chunked": _means_hdf5_chunked,
    "zarr": _means_zarr,
    "dask_npy": _means_dask_npy,
    "dask_memmap": _means_dask_memmap,
    "dask_hdf5": _means_dask_hdf5,
    # zero-copy memmaps of the HDF5 chunks / Zarr chunk files where stored raw, else the library
    "dask_hdf5_chunked": _zero_copy_or(
        _means_dask_hdf5_chunked_h5py, hdf5_extents, "hdf5_chunked", "hdf5-chunks"
    ),
    "dask_zarr": _zero_copy_or(_means_dask_zarr_from_zarr, zarr_extents, "zarr", "zarr-chunks"),
    "dask_hdf5_chunked_h5py": _means_dask_hdf5_chunked_h5py,
    "dask_zarr_from_zarr": _means_dask_zarr_from_zarr,
}


def block_means(
    stores: Stores, scheduler: str = "threads", seconds: dict[str, float] | None = None
) -> dict[str, np.ndarray]:
    """Per-block means from every source; checks that all agree with the npy blocks to
    :data:`RTOL` relative, else raises ``InputError`` naming the store and the block.

    ``seconds``, if given, receives each source's wall time (one timed read and mean each, as
    the lesson's ``%time``; the benchmark rule measures warm and cold with repeats)."""
    means = {}
    for source in SOURCES:
        means[source], took = timed_call(lambda s=source: MEANS[s](stores, scheduler, True))
        if seconds is not None:
            seconds[source] = took
        log.info("%s: per-block means of %d blocks", source, stores.n)
    ref = means["npy"]
    for source, values in means.items():
        bad = ~np.isclose(values, ref, rtol=RTOL, atol=0.0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            kind = STORE_OF[source]
            where = stores.npy[i] if kind == "npy" else getattr(stores, kind)
            raise InputError(
                f"{where}: block {_names(stores)[i]} mean {float(values[i])!r} from {source} "
                f"differs from the npy block's {float(ref[i])!r} (more than {RTOL:g} relative)"
            )
    return means


READ_FIELDS = ["source", "store", "reader", "seconds", "per_block_s", "bytes_on_disk", "cores"]


def read_rows(stores: Stores, seconds: Mapping[str, float], cores: int) -> list[dict]:
    """One row per source: its one timed read and mean (warm cache), and its bytes on disk."""
    return [
        {
            "source": source,
            "store": STORE_OF[source],
            "reader": reader(source, stores),
            "seconds": f"{seconds[source]:.4g}",
            "per_block_s": f"{seconds[source] / stores.n:.4g}",
            "bytes_on_disk": allocated_bytes(stores.files(source)),
            "cores": cores,
        }
        for source in SOURCES
    ]


def write_block_means(path: str | Path, stores: Stores, means: Mapping[str, np.ndarray]) -> None:
    """One row per block, one column per source; floats written with ``repr`` (round-trip)."""
    rows = [
        [name, *(repr(float(v[i])) for v in means.values())]
        for i, name in enumerate(_names(stores))
    ]
    write_csv(path, rows, ["block", *means], lineterminator="\r\n")
