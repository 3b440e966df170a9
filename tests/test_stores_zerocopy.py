"""sda.stores.zerocopy: uncompressed HDF5 chunks and Zarr chunks or shards read as memmaps (no
copy), compressed ones through the libraries; a damaged file fails naming it. Every mean against
numpy's."""

from __future__ import annotations

import os
import re

import h5py
import numpy as np
import pytest
import zarr

from conftest import SHARD, STORE_BLOCKS, STORE_SPEC, stacked
from oracles import per_block_means
from sda.io import InputError
from sda.stores.means import MEANS, reader
from sda.stores.paths import Stores
from sda.stores.write import write_hdf5_chunked, write_zarr
from sda.stores.zerocopy import hdf5_extents, load_extent, zarr_extents

# ---------------------------------------------------------------------------- zero-copy readers

FAST = ("dask_hdf5_chunked", "dask_zarr", "dask_hdf5_chunked_h5py", "dask_zarr_from_zarr")


def expected_means(s: Stores) -> np.ndarray:
    return per_block_means(stacked(s.npy))


def test_uncompressed_stores_are_read_zero_copy(raw_stores):
    s = raw_stores
    ext, why = hdf5_extents(s.hdf5_chunked, s.full_shape)
    assert why == "" and sum(e.blocks for e in ext) == STORE_BLOCKS
    assert {e.path for e in ext} == {s.hdf5_chunked}
    zext, why = zarr_extents(s.zarr, s.full_shape)
    assert why == "" and [e.blocks for e in zext] == [1] * STORE_BLOCKS
    assert [e.path for e in zext] == [f"{s.zarr}/c/{i}/0/0" for i in range(STORE_BLOCKS)]
    assert reader("dask_hdf5_chunked", s) == reader("dask_zarr", s) == "memmap"
    for e in (*ext, *zext):  # each chunk is a view of the mapped file, no copy
        chunk = load_extent(e.path, e.offset, (e.blocks, *STORE_SPEC.shape), "<f8", e.fill)
        assert not chunk.flags.owndata and isinstance(chunk.base, np.memmap)
    for source in FAST:  # both paths agree with numpy to 1e-12
        got = MEANS[source](s, "threads", True)
        np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0, err_msg=source)


def test_contiguous_hdf5_dataset_is_read_zero_copy(tmp_path, blocks):
    s = Stores.under(tmp_path, blocks, STORE_SPEC.shape)
    with h5py.File(s.hdf5_chunked, "w") as f:
        f.create_dataset("x", data=stacked(blocks))  # no chunks: contiguous layout
    ext, why = hdf5_extents(s.hdf5_chunked, s.full_shape)
    assert why == "" and len(ext) == 1 and ext[0].blocks == STORE_BLOCKS
    got = MEANS["dask_hdf5_chunked"](s, "sync", True)
    np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0)


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_zero_copy_graphs_pickle(raw_stores, scheduler):
    import dask

    with dask.config.set(scheduler=scheduler, num_workers=2):
        for source in ("dask_hdf5_chunked", "dask_zarr"):
            got = MEANS[source](raw_stores, scheduler, True)
            np.testing.assert_allclose(got, expected_means(raw_stores), rtol=1e-12, atol=0)


def test_compressed_stores_fall_back_to_the_libraries(stores):
    ext, why = hdf5_extents(stores.hdf5_chunked, stores.full_shape)
    assert ext is None and "gzip" in why
    zext, zwhy = zarr_extents(stores.zarr, stores.full_shape)
    assert zext is None and "Zstd" in zwhy
    assert reader("dask_hdf5_chunked", stores).startswith("h5py (")
    assert reader("dask_zarr", stores).startswith("zarr (")
    for source in FAST:
        got = MEANS[source](stores, "threads", True)
        np.testing.assert_allclose(got, expected_means(stores), rtol=1e-12, atol=0)


def test_lzf_hdf5_falls_back(tmp_path, blocks):
    s = Stores.under(tmp_path, blocks, STORE_SPEC.shape)
    write_hdf5_chunked(s.hdf5_chunked, blocks, STORE_SPEC.shape, "lzf")
    assert hdf5_extents(s.hdf5_chunked, s.full_shape)[0] is None
    got = MEANS["dask_hdf5_chunked"](s, "threads", True)
    np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0)


def test_truncated_hdf5_names_the_file(raw_stores):
    path = raw_stores.hdf5_chunked
    size = os.path.getsize(path)
    os.truncate(path, size - 100)  # inside the last chunk
    with pytest.raises(InputError, match=re.escape(path)):
        MEANS["dask_hdf5_chunked"](raw_stores, "threads", False)


def test_chunk_beyond_end_of_hdf5_names_the_file(raw_stores, monkeypatch):
    """Should HDF5 open a file shorter than its chunks, the extent check still catches it."""
    path = raw_stores.hdf5_chunked
    real = os.path.getsize
    monkeypatch.setattr(os.path, "getsize", lambda p: real(p) - 100 if str(p) == path else real(p))
    with pytest.raises(InputError, match=re.escape(path) + r": block 3 .* truncated"):
        hdf5_extents(path, raw_stores.full_shape)


def test_truncated_zarr_chunk_names_the_chunk_file(raw_stores):
    chunk = f"{raw_stores.zarr}/c/2/0/0"
    os.truncate(chunk, os.path.getsize(chunk) - 8)
    with pytest.raises(InputError, match=re.escape(chunk) + r": 472 bytes, expected 480"):
        MEANS["dask_zarr"](raw_stores, "threads", False)


@pytest.mark.parametrize("source", ["zarr", "dask_zarr_from_zarr"])
def test_truncated_zarr_chunk_through_zarr_names_the_chunk_file(raw_stores, source):
    chunk = f"{raw_stores.zarr}/c/3/0/0"
    os.truncate(chunk, 100)
    with pytest.raises(InputError, match=re.escape(chunk) + r": 100 bytes, expected 480"):
        MEANS[source](raw_stores, "threads", False)


def test_corrupt_compressed_zarr_chunk_names_the_store(stores):
    chunk = f"{stores.zarr}/c/1/0/0"
    os.truncate(chunk, 10)
    with pytest.raises(InputError, match=re.escape(stores.zarr) + ": a chunk is not readable"):
        MEANS["zarr"](stores, "threads", False)


def test_truncated_chunk_in_task_names_the_file(raw_stores):
    chunk = f"{raw_stores.zarr}/c/1/0/0"
    ext, _ = zarr_extents(raw_stores.zarr, raw_stores.full_shape)
    os.truncate(chunk, 8)  # after the graph was built
    with pytest.raises(InputError, match=re.escape(chunk) + ": cannot map"):
        load_extent(ext[1].path, ext[1].offset, (1, *STORE_SPEC.shape), "<f8", ext[1].fill)


def test_lost_zarr_chunk_reads_as_fill_value_zero_copy(raw_stores):
    os.unlink(f"{raw_stores.zarr}/c/0/0/0")
    got = MEANS["dask_zarr"](raw_stores, "threads", False)
    assert np.isnan(got[0]) and np.allclose(got[1:], expected_means(raw_stores)[1:], rtol=1e-12)


# ---------------------------------------------------------------------------- sharded Zarr


def shard_file(s: Stores, k: int) -> str:
    return f"{s.zarr}/c/{k}/0/0"


def test_sharded_zarr_is_read_zero_copy_in_runs(sharded_stores):
    s = sharded_stores
    ext, why = zarr_extents(s.zarr, s.full_shape)
    block = 12 * 5 * 8
    assert why == "" and reader("dask_zarr", s) == "memmap"
    assert [(e.path, e.offset, e.blocks) for e in ext] == [
        (shard_file(s, 0), 0, 3),  # inner chunks back to back in C order, then the index
        (shard_file(s, 1), 0, 1),
    ]
    assert os.path.getsize(shard_file(s, 0)) == 3 * block + 3 * 16 + 4
    raw = np.fromfile(shard_file(s, 0), dtype="<f8", count=3 * 12 * 5).reshape(3, 12, 5)
    np.testing.assert_array_equal(raw, stacked(s.npy)[:3])  # independent of sda's reader
    for e in ext:
        chunk = load_extent(e.path, e.offset, (e.blocks, *STORE_SPEC.shape), "<f8", e.fill)
        assert not chunk.flags.owndata and isinstance(chunk.base, np.memmap)
    for source in ("zarr", "dask_zarr", "dask_zarr_from_zarr"):
        got = MEANS[source](s, "threads", True)
        np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0, err_msg=source)


def test_sharded_zarr_runs_follow_the_index(tmp_path, blocks):
    """Inner chunks written out of order: the offsets come from the index, not assumed."""
    s = Stores.under(tmp_path, blocks, STORE_SPEC.shape)
    z = zarr.create_array(
        store=s.zarr,
        shape=s.full_shape,
        chunks=(1, *STORE_SPEC.shape),
        shards=(STORE_BLOCKS, *STORE_SPEC.shape),
        dtype="f8",
        compressors=None,
        fill_value=np.nan,
        zarr_format=3,
    )
    x = stacked(blocks)
    z[2] = x[2]
    z[0] = x[0]  # rewrites the shard: whatever order zarr picks, the index says where
    ext, why = zarr_extents(s.zarr, s.full_shape)
    assert why == "" and sum(e.blocks for e in ext) == STORE_BLOCKS
    got = MEANS["dask_zarr"](s, "sync", False)
    want = z[...].mean(axis=(1, 2))  # zarr's own reading: NaN for the unwritten blocks 1, 3
    np.testing.assert_array_equal(np.isnan(got), [False, True, False, True])
    np.testing.assert_allclose(got[[0, 2]], want[[0, 2]], rtol=1e-12, atol=0)
    np.testing.assert_allclose(got[[0, 2]], x[[0, 2]].mean(axis=(1, 2)), rtol=1e-12, atol=0)


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_sharded_zero_copy_graph_pickles(sharded_stores, scheduler):
    import dask

    with dask.config.set(scheduler=scheduler, num_workers=2):
        got = MEANS["dask_zarr"](sharded_stores, scheduler, True)
    np.testing.assert_allclose(got, expected_means(sharded_stores), rtol=1e-12, atol=0)


@pytest.mark.parametrize("source", ["zarr", "dask_zarr", "dask_zarr_from_zarr"])
def test_truncated_shard_names_the_shard_file(sharded_stores, source):
    shard = shard_file(sharded_stores, 0)
    os.truncate(shard, os.path.getsize(shard) - 8)
    with pytest.raises(InputError, match=re.escape(shard) + r": shard index checksum"):
        MEANS[source](sharded_stores, "threads", False)


def test_shard_shorter_than_its_index_names_the_shard_file(sharded_stores):
    shard = shard_file(sharded_stores, 1)
    os.truncate(shard, 20)
    with pytest.raises(InputError, match=re.escape(shard) + r": 20 bytes, shorter than its"):
        MEANS["dask_zarr"](sharded_stores, "threads", False)


def test_shard_index_pointing_outside_the_file_names_it(sharded_stores):
    """A consistent index (checksum recomputed) with an offset past the data is refused."""
    import google_crc32c

    shard = shard_file(sharded_stores, 0)
    data = bytearray(open(shard, "rb").read())
    index = np.frombuffer(data[-52:-4], dtype="<u8").copy().reshape(3, 2)
    index[2, 0] += 480
    body = index.tobytes()
    data[-52:] = body + np.uint32(google_crc32c.value(body)).astype("<u4").tobytes()
    open(shard, "wb").write(data)
    with pytest.raises(InputError, match=re.escape(shard) + r": inner chunk 2 .* lies outside"):
        MEANS["dask_zarr"](sharded_stores, "threads", False)


def test_lost_shard_reads_as_fill_value(sharded_stores):
    os.unlink(shard_file(sharded_stores, 0))
    got = MEANS["dask_zarr"](sharded_stores, "threads", False)
    assert np.isnan(got[:3]).all()
    np.testing.assert_allclose(got[3:], expected_means(sharded_stores)[3:], rtol=1e-12, atol=0)
    for source in ("zarr", "dask_zarr_from_zarr"):  # as zarr itself reads it
        np.testing.assert_array_equal(MEANS[source](sharded_stores, "sync", False), got)


def test_compressed_shards_fall_back_to_from_zarr(tmp_path, blocks):
    s = Stores.under(tmp_path, blocks, STORE_SPEC.shape)
    write_zarr(s.zarr, blocks, STORE_SPEC.shape, "zstd", SHARD)
    ext, why = zarr_extents(s.zarr, s.full_shape)
    assert ext is None and "Zstd" in why and reader("dask_zarr", s).startswith("zarr (")
    got = MEANS["dask_zarr"](s, "threads", True)
    np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0)
