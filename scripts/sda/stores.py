"""The same blocks in every array store (npz, raw memmap, HDF5, Zarr), and reading them back.

Writers take the npy block files and write one store each, one block at a time (memory stays at
about one block whatever the store size), atomically (:func:`sda.io.atomic_path`). Readers check
what they open against what the config says (shape, dtype, dataset names, the memmap sidecar)
and raise :class:`sda.io.InputError` naming the file and what differs.

Determinism: for the same config, ``xs.npz``/``xs_compressed.npz`` (zip members carry a fixed
1980-01-01 timestamp), ``random.dat``, ``random_chunked.hdf5`` and ``random.zarr`` are
byte-identical. ``random.hdf5`` differs only in its ``created`` attributes (the lesson's creation time
per block): datasets are created with ``track_times=False`` so HDF5 stores no object timestamps.

Every per-block mean source (numpy and ``dask.array`` over each store) is a function in
:data:`MEANS`: ``MEANS[source](stores, scheduler)`` returns the per-block means.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import csv
import datetime
import hashlib
import io
import json
import logging
import math
import os
import statistics
import sys
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sda.config import ConfigError
from sda.disk import release_reserved, require_free, reserve
from sda.io import InputError, atomic_path, atomic_write, load_npy, save_npy, scratch_dir

log = logging.getLogger(__name__)

DTYPE = np.dtype("float64")
CHUNKED_DATASET = "x"  # the 3-D dataset in random_chunked.hdf5
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed zip member timestamp: reproducible npz bytes
HDF5_CHUNK_LIMIT = 2**32  # HDF5 chunks must be smaller than 4 GiB
HDF5_MARGIN = 2**20  # reserved beyond the raw data: superblock, B-trees, attributes
NUMPY_SOURCES = ("npy", "npz", "npz_compressed", "memmap", "hdf5", "hdf5_chunked", "zarr")
DASK_SOURCES = (
    "dask_npy", "dask_memmap", "dask_hdf5", "dask_hdf5_chunked", "dask_zarr",
    "dask_hdf5_chunked_h5py", "dask_zarr_from_zarr",
)  # fmt: skip
SOURCES = NUMPY_SOURCES + DASK_SOURCES
# the store a source reads (a Stores attribute): dask_hdf5_chunked and dask_hdf5_chunked_h5py
# read the same file, zero-copy where possible and through h5py respectively
STORE_OF = {s: s.removeprefix("dask_").removesuffix("_h5py").removesuffix("_from_zarr")
            for s in SOURCES}  # fmt: skip
BASELINE = "memmap"  # the plain numpy pass, np.memmap block by block
RATIO_SOURCES = ("dask_memmap", "dask_hdf5_chunked", "dask_zarr")
RATIO_TARGET = 1.5
RTOL = 1e-12
DASK_CHUNK_BYTES = 128 * 2**20  # dask chunks of whole blocks, about this size (100 MB-1 GB)
ZARR_SHARD_LIMIT = 2**30  # a Zarr shard is written in one piece, from memory
MISSING = 2**64 - 1  # (offset, nbytes) of an inner chunk not stored in a Zarr shard


def check_stores_config(config: Mapping) -> None:
    """Cross-checks of the ``stores`` section; raise ``ConfigError`` naming the key."""
    blocks, stores = config["blocks"], config["stores"]
    if stores["n"] > blocks["n"]:
        raise ConfigError(
            f"invalid config key stores.n: {stores['n']} is larger than blocks.n={blocks['n']}"
        )
    nbytes = blocks["rows"] * blocks["cols"] * DTYPE.itemsize
    if nbytes >= HDF5_CHUNK_LIMIT:
        key = "blocks.cols" if blocks["cols"] > blocks["rows"] else "blocks.rows"  # the larger
        raise ConfigError(
            f"invalid config key {key}: a block of {blocks['rows']}x{blocks['cols']} "
            f"float64 is {nbytes} bytes, above HDF5's 4 GiB chunk limit (random_chunked.hdf5)"
        )
    shard = shard_blocks(stores.get("zarr_shard_blocks", 0), stores["n"]) * nbytes
    if shard > ZARR_SHARD_LIMIT:
        raise ConfigError(
            f"invalid config key stores.zarr_shard_blocks: a shard of "
            f"{stores['zarr_shard_blocks']} blocks of {blocks['rows']}x{blocks['cols']} float64 "
            f"is {shard} bytes, above {ZARR_SHARD_LIMIT} (1 GiB): the writer holds a whole "
            f"shard in memory (random.zarr)"
        )


def shard_blocks(setting: int, n: int) -> int:
    """Blocks per Zarr shard for ``stores.zarr_shard_blocks`` (0: no sharding), at most ``n``."""
    return min(int(setting), int(n))


@dataclass(frozen=True)
class Stores:
    """Where the stores of the first ``len(npy)`` blocks live, and the block shape."""

    npy: tuple[str, ...]
    shape: tuple[int, int]
    npz: str
    npz_compressed: str
    memmap: str
    sidecar: str
    hdf5: str
    hdf5_chunked: str
    zarr: str
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def under(cls, directory: str | Path, npy: Sequence[str], shape: Sequence[int]) -> Stores:
        """The standard names (``xs.npz``, ``random.dat`` ...) inside ``directory``."""
        d = Path(directory)
        return cls(
            npy=tuple(str(f) for f in npy),
            shape=(int(shape[0]), int(shape[1])),
            npz=str(d / "xs.npz"),
            npz_compressed=str(d / "xs_compressed.npz"),
            memmap=str(d / "random.dat"),
            sidecar=str(d / "random.dat.json"),
            hdf5=str(d / "random.hdf5"),
            hdf5_chunked=str(d / "random_chunked.hdf5"),
            zarr=str(d / "random.zarr"),
        )

    @classmethod
    def from_inputs(cls, inputs, shape: Sequence[int]) -> Stores:
        """The stores named by a rule's inputs (the keys of :meth:`inputs`)."""
        paths = {name: str(getattr(inputs, name)) for name in PATH_FIELDS}
        return cls(npy=tuple(inputs.npy), shape=(int(shape[0]), int(shape[1])), **paths)

    def inputs(self) -> dict[str, object]:
        """Named rule inputs for every store: ``npy`` (the blocks) and one key per path."""
        return {"npy": list(self.npy), **{name: getattr(self, name) for name in PATH_FIELDS}}

    @property
    def n(self) -> int:
        return len(self.npy)

    @property
    def full_shape(self) -> tuple[int, int, int]:
        return (self.n, *self.shape)

    def files(self, source: str) -> list[Path]:
        """The files a source reads (for eviction from the page cache and bytes on disk)."""
        kind = STORE_OF[source]
        if kind == "npy":
            return [Path(f) for f in self.npy]
        if kind == "memmap":
            return [Path(self.memmap), Path(self.sidecar)]
        if kind == "zarr":
            files = Path(self.zarr).rglob("*")
            return sorted(p for p in files if p.is_file() and not p.name.startswith(".snakemake"))
        return [Path(getattr(self, kind))]


PATH_FIELDS = ("npz", "npz_compressed", "memmap", "sidecar", "hdf5", "hdf5_chunked", "zarr")


def iter_blocks(npy_files: Sequence[str], shape: Sequence[int]) -> Iterator[tuple[str, np.ndarray]]:
    """(name, block) of each npy file, checked for shape and dtype; errors name the file."""
    for f in npy_files:
        yield Path(f).stem, load_npy(f, shape=tuple(shape), dtype=DTYPE)


def checksum(block: np.ndarray) -> str:
    """``sha256:<hex>`` of the block's bytes in C order."""
    return "sha256:" + hashlib.sha256(np.ascontiguousarray(block).view(np.uint8)).hexdigest()


def now_iso() -> str:
    """The current time in UTC, ISO 8601 to the second (fixed width)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------- writers


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


def deflate(data: bytes, level: int = zlib.Z_DEFAULT_COMPRESSION) -> bytes:
    """Raw deflate of ``data`` exactly as ``zipfile`` compresses a ``ZIP_DEFLATED`` member
    (zlib releases the GIL while it works, so members compress in parallel threads)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
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

    Compressed members are deflated by ``threads`` threads a few blocks ahead of the writer
    (memory: about ``2 * threads`` blocks), then written in order; the bytes are those of a
    single-threaded write (each member is one independent deflate stream, as zipfile makes it).
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


def write_sidecar(path: str | Path, meta: Mapping) -> None:
    with atomic_write(path, "w") as fh:
        json.dump(dict(meta), fh, indent=2, sort_keys=True)
        fh.write("\n")


def create_memmap(path: str | Path, shape: Sequence[int], dtype=DTYPE) -> np.memmap:
    """A new raw file of ``shape`` mapped for writing. Sizes are Python ints and offsets 64-bit:
    there is no 2 GB limit on a 64-bit platform (that was 32-bit address space)."""
    return np.memmap(path, dtype=dtype, mode="w+", shape=tuple(shape), order="C")


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
    write_sidecar(sidecar, memmap_meta(full))


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
    hdf5_compression: str,
    zarr_compression: str,
    zarr_shard_blocks: int = 0,
) -> None:
    """Write one store of ``stores`` by its kind (a name in :data:`NUMPY_SOURCES`)."""
    files, shape = stores.npy, stores.shape
    if kind == "npy":
        for f in files:
            save_npy(Path(stores.extra["npy_dir"]) / Path(f).name, load_npy(f, shape, DTYPE))
    elif kind in ("npz", "npz_compressed"):
        write_npz(getattr(stores, kind), files, shape, compressed=kind == "npz_compressed")
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


# ---------------------------------------------------------------------------- readers


def _expect(path, what: str, got, want) -> None:
    if tuple(got) != tuple(want):
        raise InputError(f"{path}: {what} {tuple(got)} differs from expected {tuple(want)}")


def open_npz(path: str | Path, names: Sequence[str], shape: Sequence[int]):
    """``np.load`` of an npz, checking that every block is there; use as a context manager."""
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable .npz file ({exc})") from None
    missing = [n for n in names if n not in npz.files]
    if missing:
        npz.close()
        raise InputError(f"{path}: block {missing[0]} missing ({len(missing)} of {len(names)})")
    return npz


def npz_block(npz, path, name: str, shape: Sequence[int]) -> np.ndarray:
    try:
        block = npz[name]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"{path}: block {name} unreadable ({exc})") from None
    _expect(path, f"block {name} has shape", block.shape, shape)
    return block


def read_sidecar(sidecar: str | Path) -> dict:
    try:
        with open(sidecar) as fh:
            meta = json.load(fh)
        shape = tuple(int(s) for s in meta["shape"])
        dtype = np.dtype(meta["dtype"])
        order = meta.get("order", "C")
    except FileNotFoundError:
        raise InputError(f"{sidecar}: missing input file") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{sidecar}: not a memmap sidecar with shape, dtype, order ({exc})"
        ) from None
    if order not in ("C", "F"):
        raise InputError(f"{sidecar}: order {order!r} is not C or F")
    return {"shape": shape, "dtype": dtype, "order": order}


def open_memmap(
    path: str | Path, sidecar: str | Path, shape: Sequence[int] | None = None
) -> np.memmap:
    """Map a raw file read-only with the shape and dtype its sidecar gives, after checking that
    the file has exactly that many bytes (and, if given, the expected ``shape``)."""
    meta = read_sidecar(sidecar)
    want = math.prod(meta["shape"]) * meta["dtype"].itemsize
    try:
        have = os.path.getsize(path)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    if have != want:
        raise InputError(
            f"{path}: {have} bytes on disk, but {sidecar} says shape {meta['shape']} "
            f"{meta['dtype']} = {want} bytes"
        )
    if shape is not None:
        _expect(sidecar, "shape", meta["shape"], shape)
    if meta["dtype"] != DTYPE:
        raise InputError(f"{sidecar}: dtype {meta['dtype']} differs from expected {DTYPE}")
    return np.memmap(path, dtype=meta["dtype"], mode="r", shape=meta["shape"], order=meta["order"])


def open_h5(path: str | Path):
    import h5py

    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except OSError as exc:
        raise InputError(f"{path}: not a readable HDF5 file ({exc})") from None


def hdf5_datasets(f, path, names: Sequence[str], shape: Sequence[int]) -> list:
    """The per-block datasets of ``random.hdf5``, each present and of the block shape."""
    import h5py

    out = []
    for name in names:
        ds = f.get(name)
        if not isinstance(ds, h5py.Dataset):
            raise InputError(f"{path}: dataset {name} missing")
        _expect(path, f"dataset {name} has shape", ds.shape, shape)
        if ds.dtype != DTYPE:
            raise InputError(f"{path}: dataset {name} has dtype {ds.dtype}, expected {DTYPE}")
        out.append(ds)
    return out


def verify_checksum(path, ds, block: np.ndarray) -> None:
    stored = ds.attrs.get("checksum")
    if stored is not None and not isinstance(stored, str):
        stored = stored.decode() if isinstance(stored, bytes) else str(stored)
    if stored != checksum(block):
        raise InputError(
            f"{path}: dataset {ds.name.lstrip('/')}: checksum {stored} differs from its data"
        )


def hdf5_chunked_dataset(f, path, full_shape: Sequence[int]):
    import h5py

    ds = f.get(CHUNKED_DATASET)
    if not isinstance(ds, h5py.Dataset):
        raise InputError(f"{path}: dataset {CHUNKED_DATASET} missing")
    _expect(path, f"dataset {CHUNKED_DATASET} has shape", ds.shape, full_shape)
    if ds.dtype != DTYPE:
        raise InputError(
            f"{path}: dataset {CHUNKED_DATASET} has dtype {ds.dtype}, expected {DTYPE}"
        )
    return ds


def open_zarr(path: str | Path, full_shape: Sequence[int]):
    import zarr

    if not Path(path).is_dir():
        raise InputError(f"{path}: missing Zarr store")
    try:
        z = zarr.open_array(str(path), mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a readable Zarr array ({exc})") from None
    _expect(path, "shape", z.shape, full_shape)
    if z.dtype != DTYPE:
        raise InputError(f"{path}: dtype {z.dtype} differs from expected {DTYPE}")
    return z


def hdf5_listing(path: str | Path) -> list[dict]:
    """Like the lesson's ``f.visit(print)``: every dataset's name, shape and created attribute."""
    import h5py

    rows = []
    with open_h5(path) as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                created = obj.attrs.get("created", "")
                if isinstance(created, bytes):
                    created = created.decode()
                rows.append(
                    {"name": name, "shape": "x".join(map(str, obj.shape)), "created": str(created)}
                )

        f.visititems(visit)
    return rows


def write_listing(path: str | Path, rows: Sequence[dict]) -> None:
    with atomic_write(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, ["name", "shape", "created"], delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)


# ---------------------------------------------------------------------------- dask arrays


def dask_npy(npy_files: Sequence[str], shape: Sequence[int]):
    """(n, rows, cols) dask array, one chunk per npy file, each mapped (and checked) in its task.

    Out of core: a chunk is a read-only memory map of its file, read by the reductions straight
    from the page cache (no copy: measured 30-50% faster than ``np.load`` into memory) and
    unmapped after them.
    """
    import dask
    import dask.array as da

    load = dask.delayed(load_npy, pure=True)
    parts = [
        da.from_delayed(load(str(f), tuple(shape), DTYPE.str, "r"), shape=tuple(shape), dtype=DTYPE)
        for f in npy_files
    ]
    return da.stack(parts)


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


# ---------------------------------------------------------------------------- zero-copy reads


@dataclass(frozen=True)
class Extent:
    """A run of ``blocks`` whole blocks stored raw (C order, native dtype) and contiguously in
    ``path`` from byte ``offset``; ``path`` None: not stored, reads as ``fill``."""

    path: str | None
    offset: int
    blocks: int
    fill: float = math.nan


NATIVE = DTYPE.newbyteorder("=")  # raw bytes are read as the platform's float64


def _raw_dtype_ok(dtype) -> bool:
    return np.dtype(dtype) == DTYPE and np.dtype(dtype).isnative


def _runs(starts: Sequence[tuple[str | None, int]], nbytes: int, per_chunk: int) -> list[Extent]:
    """Merge per-block (path, offset) into extents of consecutive blocks that follow each other
    in the same file, at most ``per_chunk`` blocks each (the dask chunks)."""
    out: list[Extent] = []
    for path, offset in starts:
        last = out[-1] if out else None
        if (
            last is not None
            and path is not None
            and last.path == path
            and last.offset + last.blocks * nbytes == offset
            and last.blocks < per_chunk
        ):
            out[-1] = Extent(path, last.offset, last.blocks + 1, last.fill)
        else:
            out.append(Extent(path, offset, 1))
    return out


def hdf5_extents(path: str | Path, full_shape: Sequence[int]) -> tuple[list[Extent] | None, str]:
    """Where each block of ``random_chunked.hdf5`` lies in the file, for zero-copy reads.

    With no filter, an HDF5 chunk (or a contiguous dataset) is the raw array in C order with
    the dataset dtype, at the byte offset HDF5 reports (``get_chunk_info_by_coord`` /
    ``get_offset``). Returns ``(extents, "")`` when every block can be mapped like that, else
    ``(None, reason)`` and the caller reads through h5py: filters (gzip, lzf), another dtype or
    byte order, chunks other than one block, unallocated chunks, a user block, another driver.
    A chunk that lies beyond the end of the file raises ``InputError`` naming the file.
    """
    import h5py

    n, rows, cols = full_shape
    nbytes = rows * cols * DTYPE.itemsize
    with open_h5(path) as f:
        ds = hdf5_chunked_dataset(f, path, full_shape)
        plist = ds.id.get_create_plist()
        layout = plist.get_layout()
        if f.driver != "sec2" or f.userblock_size:
            return None, f"driver {f.driver}, user block {f.userblock_size}"
        if not _raw_dtype_ok(ds.dtype):
            return None, f"dtype {ds.dtype.str} is not native {DTYPE}"
        if plist.get_nfilters() or ds.external:
            return None, f"filters {ds.compression or ds.external or 'set'}"
        if layout == h5py.h5d.CONTIGUOUS:
            start = ds.id.get_offset()
            if start is None:
                return None, "data not allocated"
            starts = [(str(path), start + i * nbytes) for i in range(n)]
        elif layout == h5py.h5d.CHUNKED and ds.chunks == (1, rows, cols):
            starts = []
            for i in range(n):
                info = ds.id.get_chunk_info_by_coord((i, 0, 0))
                if info.byte_offset is None or info.filter_mask or info.size != nbytes:
                    return None, f"chunk {i}: offset {info.byte_offset}, size {info.size}"
                starts.append((str(path), info.byte_offset))
        else:
            return None, f"layout {layout}, chunks {ds.chunks}"
    size = os.path.getsize(path)
    for i, (_, offset) in enumerate(starts):
        if offset + nbytes > size:
            raise InputError(
                f"{path}: block {i} ({nbytes} bytes at offset {offset}) lies beyond the end of "
                f"the file ({size} bytes): truncated"
            )
    return _runs(starts, nbytes, chunk_blocks(full_shape)), ""


def _native_bytes_codec(codec) -> bool:
    from zarr.codecs import BytesCodec

    return isinstance(codec, BytesCodec) and (
        codec.endian is None or codec.endian.value == sys.byteorder
    )


def zarr_extents(path: str | Path, full_shape: Sequence[int]) -> tuple[list[Extent] | None, str]:
    """Where each block of ``random.zarr`` lies, for zero-copy reads.

    With no compressor, no filter and a plain ``bytes`` codec (native byte order), a Zarr v3
    chunk holds the raw block in C order. Unsharded, each chunk is a file named by the array's
    chunk key encoding (``c/0/0/0``). Sharded (one ``sharding_indexed`` codec whose inner
    chunks are one block each, stored raw), a shard file ``c/k/0/0`` holds its inner chunks
    where its index says: see :func:`shard_index`; blocks back to back in one shard merge into
    one extent. Returns ``(None, reason)`` otherwise (the caller uses ``da.from_zarr``).
    A missing chunk (file, shard, or inner chunk) reads as the fill value (NaN), as Zarr reads
    it; a chunk file of the wrong size or a bad shard raises ``InputError`` naming the file.
    """
    from zarr.codecs import ShardingCodec
    from zarr.storage import LocalStore

    n, rows, cols = full_shape
    nbytes = rows * cols * DTYPE.itemsize
    z = open_zarr(path, full_shape)
    meta = z.metadata
    if meta.zarr_format != 3 or not isinstance(z.store, LocalStore):
        return None, f"zarr_format {meta.zarr_format}, store {type(z.store).__name__}"
    codecs = tuple(meta.codecs)
    sharding = codecs[0] if len(codecs) == 1 and isinstance(codecs[0], ShardingCodec) else None
    inner = tuple(sharding.codecs) if sharding is not None else codecs
    if len(inner) != 1 or not _native_bytes_codec(inner[0]) or not _raw_dtype_ok(z.dtype):
        return None, f"codecs {codecs}"
    if tuple(z.chunks) != (1, rows, cols):
        return None, f"chunks {z.chunks}"
    root = Path(z.store.root) / z.path
    fill = float(meta.fill_value)
    starts: list[tuple[str | None, int]] = []
    if sharding is None:
        for i in range(n):
            chunk = root / meta.encode_chunk_key((i, 0, 0))
            try:
                size = chunk.stat().st_size
            except FileNotFoundError:
                starts.append((None, 0))
                continue
            if size != nbytes:
                raise InputError(
                    f"{chunk}: {size} bytes, expected {nbytes} (chunk {i} of {path}, "
                    f"uncompressed {rows}x{cols} {DTYPE})"
                )
            starts.append((str(chunk), 0))
    else:
        step = int(z.shards[0])
        if tuple(z.shards[1:]) != (rows, cols):
            return None, f"shards {z.shards}"
        why = _index_codecs_why(sharding)
        if why:
            return None, why
        for k in range(math.ceil(n / step)):
            shard = root / meta.encode_chunk_key((k, 0, 0))
            blocks = min(step, n - k * step)
            index = shard_index(shard, sharding, step, nbytes, path)
            if index is None:  # no shard file: all its blocks read as the fill value
                starts += [(None, 0)] * blocks
                continue
            for j in range(blocks):
                offset, size = (int(v) for v in index[j])
                starts.append((None, 0) if offset == MISSING else (str(shard), offset))
    extents = _runs(starts, nbytes, chunk_blocks(full_shape))
    return [Extent(e.path, e.offset, e.blocks, fill) for e in extents], ""


def _index_codecs_why(sharding) -> str:
    """Why the shard index is not one we read (``bytes`` little endian, optional crc32c)."""
    from zarr.codecs import BytesCodec, Crc32cCodec

    ic = tuple(sharding.index_codecs)
    ok = (
        len(ic) in (1, 2)
        and isinstance(ic[0], BytesCodec)
        and (ic[0].endian is None or ic[0].endian.value == "little")
        and all(isinstance(c, Crc32cCodec) for c in ic[1:])
    )
    return "" if ok else f"shard index codecs {ic}"


def shard_index(shard: Path, sharding, step: int, nbytes: int, store) -> np.ndarray | None:
    """The (offset, nbytes) uint64 pairs of a shard's ``step`` inner chunks, checked; None if
    the shard file does not exist.

    The index is ``step`` x 16 bytes little-endian (+ 4 bytes crc32c if the index codecs say
    so) at the end of the file (``index_location: end``, the default) or at its start. The
    checksum is verified; every stored inner chunk must be ``nbytes`` long and lie inside the
    file (outside the index), else ``InputError`` naming the shard file. Offsets of
    ``2**64 - 1`` mark an inner chunk not stored (it reads as the fill value).
    """
    from zarr.codecs import Crc32cCodec
    from zarr.codecs.sharding import ShardingCodecIndexLocation

    crc = any(isinstance(c, Crc32cCodec) for c in sharding.index_codecs)
    size_index = step * 16 + (4 if crc else 0)
    at_end = sharding.index_location == ShardingCodecIndexLocation.end
    try:
        size = shard.stat().st_size
    except FileNotFoundError:
        return None
    if size < size_index:
        raise InputError(
            f"{shard}: {size} bytes, shorter than its shard index ({size_index} bytes; shard of "
            f"{store}): truncated"
        )
    with open(shard, "rb") as fh:
        fh.seek(size - size_index if at_end else 0)
        raw = fh.read(size_index)
    if crc:
        import google_crc32c

        body, stored = raw[:-4], raw[-4:]
        if np.uint32(google_crc32c.value(body)).astype("<u4").tobytes() != stored:
            raise InputError(
                f"{shard}: shard index checksum (crc32c) differs from the index (shard of "
                f"{store}): truncated or corrupt"
            )
        raw = body
    index = np.frombuffer(raw, dtype="<u8").reshape(step, 2)
    lo, hi = (0, size - size_index) if at_end else (size_index, size)
    for j, (offset, length) in enumerate(index.tolist()):
        if offset == MISSING and length == MISSING:
            continue
        if length != nbytes:
            raise InputError(
                f"{shard}: inner chunk {j} is {length} bytes, expected {nbytes} (shard of "
                f"{store}, uncompressed)"
            )
        if offset < lo or offset + length > hi:
            raise InputError(
                f"{shard}: inner chunk {j} ({length} bytes at offset {offset}) lies outside the "
                f"shard's data (bytes {lo}-{hi}; shard of {store})"
            )
    return index


def load_extent(path: str | None, offset: int, shape: tuple, dtype: str, fill: float):
    """One dask chunk: a read-only memmap of ``shape`` at ``offset`` in ``path`` (no copy), or
    ``fill`` where the chunk is not stored. Runs inside the task, so the graph holds only
    paths and numbers (it pickles, for every scheduler)."""
    if path is None:
        return np.full(shape, fill, dtype=dtype)
    try:
        mm = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except ValueError as exc:  # the file is shorter than offset + size
        raise InputError(f"{path}: cannot map {shape} {dtype} at offset {offset} ({exc})") from None
    return mm.view(np.ndarray)  # keeps the mapping alive through .base


def dask_extents(extents: Sequence[Extent], shape: Sequence[int], label: str):
    """(n, rows, cols) dask array with one chunk per extent, each a memmap opened in its task."""
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    rows, cols = shape
    name = f"{label}-{tokenize(tuple(extents), tuple(shape))}"
    dsk = {
        (name, j, 0, 0): (load_extent, e.path, e.offset, (e.blocks, rows, cols), NATIVE.str, e.fill)
        for j, e in enumerate(extents)
    }
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=())
    chunks = (tuple(e.blocks for e in extents), (rows,), (cols,))
    return da.Array(graph, name, chunks=chunks, dtype=NATIVE)


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


# ---------------------------------------------------------------------------- means


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


def _means_dask_hdf5_chunked(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    """Zero-copy memmaps of the HDF5 chunks where they are stored raw, else through h5py."""
    extents, why = hdf5_extents(s.hdf5_chunked, s.full_shape)
    if extents is not None:
        return block_mean_means(dask_extents(extents, s.shape, "hdf5-chunks"))
    log.info("%s: read through h5py: %s", s.hdf5_chunked, why)
    return _means_dask_hdf5_chunked_h5py(s, scheduler, verify)


def _means_dask_hdf5_chunked_h5py(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    with open_h5(s.hdf5_chunked) as f:
        ds = hdf5_chunked_dataset(f, s.hdf5_chunked, s.full_shape)
        arr = dask_hdf5_chunked(ds).mean(axis=(1, 2))
        return np.asarray(arr.compute(scheduler=handle_scheduler(scheduler)))


def _means_dask_zarr(s: Stores, scheduler: str, verify: bool) -> np.ndarray:
    """Zero-copy memmaps of the Zarr chunk files where they are stored raw, else from_zarr."""
    extents, why = zarr_extents(s.zarr, s.full_shape)
    if extents is not None:
        return block_mean_means(dask_extents(extents, s.shape, "zarr-chunks"))
    log.info("%s: read with da.from_zarr: %s", s.zarr, why)
    return _means_dask_zarr_from_zarr(s, scheduler, verify)


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
    "dask_hdf5_chunked": _means_dask_hdf5_chunked,
    "dask_zarr": _means_dask_zarr,
    "dask_hdf5_chunked_h5py": _means_dask_hdf5_chunked_h5py,
    "dask_zarr_from_zarr": _means_dask_zarr_from_zarr,
}
assert tuple(MEANS) == SOURCES


def block_means(
    stores: Stores, scheduler: str = "threads", seconds: dict[str, float] | None = None
) -> dict[str, np.ndarray]:
    """Per-block means from every source; checks that all agree with the npy blocks to
    :data:`RTOL` relative, else raises ``InputError`` naming the store and the block.

    ``seconds``, if given, receives each source's wall time (one timed read and mean each, as
    the lesson's ``%time``; the benchmark rule measures warm and cold with repeats)."""
    means = {}
    for source in SOURCES:
        start = time.perf_counter()
        means[source] = MEANS[source](stores, scheduler, True)
        if seconds is not None:
            seconds[source] = time.perf_counter() - start
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
            "bytes_on_disk": disk_bytes(stores.files(source)),
            "cores": cores,
        }
        for source in SOURCES
    ]


def write_block_means(path: str | Path, stores: Stores, means: Mapping[str, np.ndarray]) -> None:
    """One row per block, one column per source; floats written with ``repr`` (round-trip)."""
    with atomic_write(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["block", *means])
        for i, name in enumerate(_names(stores)):
            writer.writerow([name, *(repr(float(v[i])) for v in means.values())])


# ---------------------------------------------------------------------------- summary


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


def write_json(path: str | Path, data: Mapping) -> None:
    with atomic_write(path, "w") as fh:
        json.dump(dict(data), fh, indent=2, sort_keys=True)
        fh.write("\n")


# ---------------------------------------------------------------------------- benchmark


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


def disk_bytes(paths: Sequence[Path]) -> int:
    """Bytes allocated on disk (``st_blocks`` x 512), summed."""
    return sum(p.stat().st_blocks * 512 for p in paths)


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
        target.extra["npy_dir"] = str(scratch / "npy")
        write_s = {}
        for kind in NUMPY_SOURCES:
            times = [
                _seconds(
                    lambda k=kind: write_store(
                        k, target, hdf5_compression, zarr_compression, zarr_shard_blocks
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
                "bytes_on_disk": disk_bytes(stores.files(source)),
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
