"""Zero-copy reads: the blocks of ``random_chunked.hdf5`` and ``random.zarr`` mapped straight
from the files' bytes, without h5py or zarr decoding them.

This is what makes the dask sources over HDF5 and Zarr about as fast as numpy over the raw
memmap. It relies on these format facts, each checked on the file before any byte is mapped:

- HDF5: a dataset with no filter, the file's ``sec2`` driver and no user block stores each chunk
  (or the contiguous data) as the raw array in C order with the dataset's dtype, at the byte
  offset HDF5 itself reports (``get_chunk_info_by_coord`` / ``get_offset``); chunks must be one
  block and the dtype native float64.
- Zarr v3: with no compressor, no filter and one ``bytes`` codec in native byte order, a chunk
  is the raw block in C order, in the file named by the chunk key encoding (``c/0/0/0``).
  Sharded (one ``sharding_indexed`` codec, inner chunks of one block stored raw), a shard file
  ends (or starts) with an index of little-endian uint64 (offset, nbytes) pairs, one per inner
  chunk, optionally followed by a crc32c; ``2**64 - 1`` marks an inner chunk not stored.

When any of these does not hold, :func:`hdf5_extents` and :func:`zarr_extents` return
``(None, reason)`` and the caller reads through the library instead (h5py,
``da.from_zarr``): that is the one fallback. A file that claims a layout its bytes do not have
(truncated, a chunk of the wrong size, a bad shard index) raises :class:`sda.io.InputError`
naming the file.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sda.io import InputError
from sda.stores.arrays import chunk_blocks
from sda.stores.paths import DTYPE
from sda.stores.read import hdf5_chunked_dataset, open_h5, open_zarr

MISSING = 2**64 - 1  # (offset, nbytes) of an inner chunk not stored in a Zarr shard


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
