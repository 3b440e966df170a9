"""One writer per store: npz, raw memmap (+ JSON sidecar), HDF5, chunked HDF5, Zarr v3.

Writers take the npy block files and write one store each, one block at a time (memory stays at
about one block whatever the store size), atomically (:func:`sda.io.atomic_path`), after
checking that the filesystem has room for the raw bytes.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import io
import logging
import math
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sda.disk import release_reserved, require_free, reserve
from sda.io import atomic_path, atomic_write, load_npy, now_iso, save_npy, write_json
from sda.stores.paths import CHUNKED_DATASET, DTYPE, Stores, checksum, iter_blocks, shard_blocks

log = logging.getLogger(__name__)


ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed zip member timestamp: reproducible npz bytes


HDF5_MARGIN = 2**20  # reserved beyond the raw data: superblock, B-trees, attributes


def raw_bytes(
    npy_files: Sequence[str], shape: Sequence[int], compressed: bool = False
) -> int | None:
    """About the bytes of a store of these blocks, uncompressed (None when compressed: its
    size is known only once written). A writer checks the free space against it first."""
    return None if compressed else len(npy_files) * (math.prod(shape) * DTYPE.itemsize + 128)


def start_store(path: str | Path, nbytes: int | None) -> None:
    """Fail before writing when the store's filesystem has not room for ``nbytes``."""
    if nbytes:
        require_free(path, nbytes)


@contextlib.contextmanager
def hdf5_writing(tmp: Path, nbytes: int):
    """A new HDF5 file at ``tmp`` with ``nbytes`` (its raw size) reserved on disk first.

    HDF5 cannot recover from a full disk in the middle of a write (h5py then leaves the file
    open, and may crash the process when it is collected), so the space is set aside before any
    data is written: a disk too full fails here, cleanly (errno 28). What is left unused of the
    reservation (compression, the margin) is given back when the file is closed."""
    import h5py

    with h5py.File(tmp, "w") as f:
        reserve(tmp, nbytes + HDF5_MARGIN)
        yield f
    release_reserved(tmp)


def npy_bytes(block: np.ndarray) -> bytes:
    """The bytes ``np.save`` writes for ``block``: the ``.npy`` header, then the data."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, block, allow_pickle=False)
    return buf.getvalue()


DEFLATE_LEVEL = 2  # ISA-L's default level (0-3)


def deflate(data: bytes, level: int = DEFLATE_LEVEL) -> bytes:
    """Raw deflate of ``data``, the stream of a ``ZIP_DEFLATED`` zip member, by ISA-L (the
    ``isal`` package): any inflater (zlib, ``np.load``) reads it. On the lesson's random
    float64 blocks ISA-L's level 2 deflates 8 MB in 0.02 s against zlib's level 6 (zipfile's
    and ``np.savez_compressed``'s) 0.27 s, to 0.925 of the bytes against zlib's 0.929. It
    releases the GIL while it works, so members compress in parallel threads; its output
    depends only on the data and the level, on a given machine."""
    from isal import isal_zlib

    compressor = isal_zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


class _Deflated:
    """Stands in for a zip member's compressor: hands over data deflated beforehand."""

    def __init__(self, data: bytes):
        self._data = data

    def compress(self, data) -> bytes:
        return b""

    def flush(self) -> bytes:
        data, self._data = self._data, b""
        return data


def write_npz(
    path: str | Path,
    npy_files: Sequence[str],
    shape: Sequence[int],
    compressed: bool = False,
    threads: int = 1,
) -> None:
    """What ``np.savez`` / ``np.savez_compressed`` write (members ``x000000.npy`` …), block by
    block instead of all blocks in memory, and with a fixed member timestamp.

    Compressed members are deflated (:func:`deflate`) by ``threads`` threads a few blocks ahead
    of the writer (memory: about ``2 * threads`` blocks), then written in order; the bytes are
    those of a single-threaded write (each member is one independent deflate stream, as zipfile
    makes it; zipfile still computes the sizes and the CRC).
    """
    compression = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    blocks = iter_blocks(npy_files, shape)
    nbytes = raw_bytes(npy_files, shape, compressed)
    start_store(path, nbytes)
    with (
        atomic_path(path, size=nbytes) as tmp,
        zipfile.ZipFile(tmp, "w", compression=compression, allowZip64=True) as zf,
        concurrent.futures.ThreadPoolExecutor(max(1, threads)) as pool,
    ):

        def member(name: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.compress_type = compression
            return info

        if not compressed:
            for name, block in blocks:
                with zf.open(member(name), "w", force_zip64=True) as fh:
                    np.lib.format.write_array(fh, block, allow_pickle=False)
            return

        def job(name: str, block: np.ndarray) -> tuple[str, bytes, bytes]:
            raw = npy_bytes(block)
            return name, raw, deflate(raw)

        ahead: collections.deque = collections.deque()
        for name, block in blocks:
            ahead.append(pool.submit(job, name, block))
            if len(ahead) > 2 * max(1, threads):
                _write_deflated(zf, member, *ahead.popleft().result())
        while ahead:
            _write_deflated(zf, member, *ahead.popleft().result())


def _write_deflated(zf: zipfile.ZipFile, member, name: str, raw: bytes, packed: bytes) -> None:
    with zf.open(member(name), "w", force_zip64=True) as fh:
        fh._compressor = _Deflated(packed)  # sizes and CRC are still computed by zipfile
        fh.write(raw)
    log.info("%s.npy: %d bytes deflated to %d", name, len(raw), len(packed))


def memmap_meta(shape: Sequence[int], dtype=DTYPE, order: str = "C") -> dict:
    """The sidecar of a raw memmap file: all a reader needs, nothing hard-coded."""
    return {"shape": [int(s) for s in shape], "dtype": np.dtype(dtype).str, "order": order}


def write_memmap(
    path: str | Path, sidecar: str | Path, npy_files: Sequence[str], shape: Sequence[int]
) -> None:
    """Blocks into one raw (n, rows, cols) float64 file, plus its JSON sidecar.

    The bytes are exactly those of ``np.memmap(path, mode="w+", shape=(n, rows, cols))`` filled
    block by block, but written sequentially: filling a mapping keeps every written page in
    the job's resident memory (max_rss of the whole store), a plain write keeps one block.
    """
    full = (len(npy_files), *shape)
    nbytes = math.prod(full) * DTYPE.itemsize
    start_store(path, nbytes)
    with atomic_write(path, size=nbytes) as fh:
        for _, block in iter_blocks(npy_files, shape):
            fh.write(np.ascontiguousarray(block, dtype=DTYPE).data)
    write_json(sidecar, memmap_meta(full))


def write_hdf5(path: str | Path, npy_files: Sequence[str], shape: Sequence[int]) -> None:
    """One dataset per block (``x000000`` …) with attributes created, source and checksum."""
    nbytes = raw_bytes(npy_files, shape)
    start_store(path, nbytes)
    with atomic_path(path, size=nbytes) as tmp, hdf5_writing(tmp, nbytes) as f:
        for npy, (name, block) in zip(npy_files, iter_blocks(npy_files, shape), strict=True):
            ds = f.create_dataset(name, data=block, track_times=False)
            ds.attrs["created"] = now_iso()
            ds.attrs["source"] = str(npy)
            ds.attrs["checksum"] = checksum(block)


def hdf5_compression_args(compression: str) -> dict:
    """h5py ``create_dataset`` keywords for ``stores.hdf5_compression``."""
    if compression == "none":
        return {}
    if compression == "gzip":
        return {"compression": "gzip", "compression_opts": 4}
    if compression == "lzf":
        return {"compression": "lzf"}
    raise ValueError(f"unknown HDF5 compression {compression!r}: expected none, gzip or lzf")


def write_hdf5_chunked(
    path: str | Path, npy_files: Sequence[str], shape: Sequence[int], compression: str = "none"
) -> None:
    """One 3-D dataset ``x`` of (n, rows, cols), stored in chunks of one block."""
    full = (len(npy_files), *shape)
    nbytes = raw_bytes(npy_files, shape)  # also when compressed: see hdf5_writing
    start_store(path, nbytes)
    with atomic_path(path, size=nbytes) as tmp, hdf5_writing(tmp, nbytes) as f:
        ds = f.create_dataset(
            CHUNKED_DATASET,
            shape=full,
            dtype=DTYPE,
            chunks=(1, *shape),
            track_times=False,
            **hdf5_compression_args(compression),
        )
        for i, (_, block) in enumerate(iter_blocks(npy_files, shape)):
            ds[i] = block


def reproducible_gzip_codec(level: int):
    """Zarr v3's ``gzip`` codec with a fixed gzip header time (``mtime=0``).

    numcodecs' GZip writes the current time into every chunk's gzip header, so two writes of
    the same array a second apart differ in bytes. This codec writes the same chunks with the
    time field zero; it is stored as plain ``gzip`` and read back by any Zarr reader."""
    import gzip
    import io
    from functools import cached_property

    import zarr.codecs
    from numcodecs.compat import ensure_contiguous_ndarray
    from numcodecs.gzip import GZip

    class FixedTimeGZip(GZip):
        def encode(self, buf):
            out = io.BytesIO()
            with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=self.level, mtime=0) as fh:
                fh.write(ensure_contiguous_ndarray(buf))
            return out.getvalue()

    class ReproducibleGzipCodec(zarr.codecs.GzipCodec):
        @cached_property
        def _gzip_codec(self) -> GZip:
            return FixedTimeGZip(self.level)

    return ReproducibleGzipCodec(level=level)


def zarr_compressors(compression: str):
    """Zarr v3 ``compressors`` for ``stores.zarr_compression``."""
    import zarr.codecs

    if compression == "none":
        return None
    if compression == "zstd":
        return zarr.codecs.ZstdCodec(level=3)
    if compression == "gzip":
        return reproducible_gzip_codec(level=4)
    raise ValueError(f"unknown Zarr compression {compression!r}: expected none, zstd or gzip")


def write_zarr(
    path: str | Path,
    npy_files: Sequence[str],
    shape: Sequence[int],
    compression: str = "none",
    shard: int = 0,
) -> None:
    """The (n, rows, cols) array as a Zarr v3 directory store, chunks of one block.

    ``shard`` > 0 (``stores.zarr_shard_blocks``): Zarr v3 sharding, shards of ``shard`` blocks
    (at most n), each one file ``c/k/0/0`` holding its inner chunks (one block each) back to
    back, then the shard index. Shards are written whole, one at a time (a shard written block
    by block would be read and rewritten at every block): memory is about 2-3 shards.
    ``shard`` 0: one file per chunk. The fill value is NaN, so a chunk lost later reads as NaN
    (and fails the agreement check of the block means) rather than as plausible zeros.
    """
    import zarr

    full = (len(npy_files), *shape)
    step = shard_blocks(shard, len(npy_files)) or 1
    nbytes = raw_bytes(npy_files, shape, compression != "none")
    start_store(path, nbytes)
    with atomic_path(path, size=nbytes) as tmp:
        z = zarr.create_array(
            store=str(tmp),
            shape=full,
            chunks=(1, *shape),
            shards=(step, *shape) if shard > 0 else None,
            dtype=DTYPE,
            compressors=zarr_compressors(compression),
            fill_value=np.nan,
            zarr_format=3,
        )
        buf = np.empty((step, *shape), dtype=DTYPE)
        start = 0
        for i, (_, block) in enumerate(iter_blocks(npy_files, shape)):
            buf[i - start] = block
            if i - start + 1 == step or i + 1 == len(npy_files):
                z[start : i + 1] = buf[: i + 1 - start]
                start = i + 1


def write_store(
    kind: str,
    stores: Stores,
    *,
    hdf5_compression: str = "none",
    zarr_compression: str = "none",
    zarr_shard_blocks: int = 0,
    threads: int = 1,
    npy_dir: str | Path | None = None,
) -> None:
    """Write one store of ``stores`` by its kind (a name in :data:`NUMPY_SOURCES`): the one
    place that says which writer makes which store (the store rules name their kind as
    ``params.store``). ``npy`` copies the blocks into ``npy_dir``; ``threads`` deflate the
    compressed npz's members."""
    files, shape = stores.npy, stores.shape
    if kind == "npy":
        if npy_dir is None:
            raise ValueError("write_store('npy', ...) needs npy_dir")
        for f in files:
            save_npy(Path(npy_dir) / Path(f).name, load_npy(f, shape, DTYPE))
    elif kind in ("npz", "npz_compressed"):
        path = getattr(stores, kind)
        write_npz(path, files, shape, compressed=kind == "npz_compressed", threads=threads)
    elif kind == "memmap":
        write_memmap(stores.memmap, stores.sidecar, files, shape)
    elif kind == "hdf5":
        write_hdf5(stores.hdf5, files, shape)
    elif kind == "hdf5_chunked":
        write_hdf5_chunked(stores.hdf5_chunked, files, shape, hdf5_compression)
    elif kind == "zarr":
        write_zarr(stores.zarr, files, shape, zarr_compression, zarr_shard_blocks)
    else:
        raise ValueError(f"unknown store {kind!r}")
