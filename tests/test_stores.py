"""Unit tests of the store writers and readers, the means and the summary, without Snakemake."""

from __future__ import annotations

import json
import os
import re
import zipfile

import h5py
import numpy as np
import pytest
import zarr

from conftest import REPO, load_yaml
from sda.blocks.generate import BlockSpec, write_block
from sda.config import ConfigError
from sda.config_checks import CHECKS
from sda.io import InputError, write_json
from sda.measure.pagecache import evict
from sda.measure.process import traced_peak_mib
from sda.stores.arrays import dask_memmap
from sda.stores.means import MEANS, block_means, reader, write_block_means
from sda.stores.paths import SOURCES, Stores, check_stores
from sda.stores.read import hdf5_listing, open_memmap
from sda.stores.summary import array_summary
from sda.stores.write import (
    memmap_meta,
    write_hdf5,
    write_hdf5_chunked,
    write_memmap,
    write_npz,
    write_store,
    write_zarr,
)
from sda.stores.zerocopy import hdf5_extents, load_extent, zarr_extents

SPEC = BlockSpec(rows=12, cols=5, seed=9)
N = 4


def check_all(config) -> None:
    """Every cross-field check, as rules/common.smk runs them."""
    for check in CHECKS:
        check(config)


def create_memmap(path, shape) -> np.memmap:
    """A new raw float64 file of ``shape`` mapped for writing (a store written the lesson's way)."""
    return np.memmap(path, dtype=np.float64, mode="w+", shape=tuple(shape), order="C")


@pytest.fixture
def blocks(tmp_path) -> list[str]:
    npy = tmp_path / "npy"
    npy.mkdir()
    files = [str(npy / f"x{i:06d}.npy") for i in range(N)]
    for f in files:
        write_block(f, SPEC)
    return files


def arrays(files) -> np.ndarray:
    return np.stack([np.load(f) for f in files])


@pytest.fixture
def stores(tmp_path, blocks) -> Stores:
    s = Stores.under(tmp_path / "stores", blocks, SPEC.shape)
    for kind in ("npz", "npz_compressed", "memmap", "hdf5", "hdf5_chunked", "zarr"):
        write_store(kind, s, hdf5_compression="gzip", zarr_compression="zstd")
    return s


@pytest.fixture
def raw_stores(tmp_path, blocks) -> Stores:
    """Uncompressed chunked HDF5 and Zarr (one file per chunk): the zero-copy readers apply."""
    s = Stores.under(tmp_path / "raw", blocks, SPEC.shape)
    for kind in ("memmap", "hdf5_chunked", "zarr"):
        write_store(kind, s, hdf5_compression="none", zarr_compression="none")
    return s


SHARD = 3  # blocks per shard in sharded_stores: shards c/0/0/0 (blocks 0-2) and c/1/0/0 (3)


@pytest.fixture
def sharded_stores(tmp_path, blocks) -> Stores:
    """Uncompressed Zarr with shards of SHARD blocks (the default layout, smaller)."""
    s = Stores.under(tmp_path / "sharded", blocks, SPEC.shape)
    for kind in ("memmap", "zarr"):
        write_store(kind, s, "none", "none", zarr_shard_blocks=SHARD)
    return s


def test_npz_is_what_np_savez_writes_and_reproducible(tmp_path, blocks):
    for compressed in (False, True):
        ours = tmp_path / f"ours{compressed}.npz"
        write_npz(ours, blocks, SPEC.shape, compressed=compressed)
        ref = tmp_path / f"ref{compressed}.npz"
        save = np.savez_compressed if compressed else np.savez
        save(ref, **{f"x{i:06d}": np.load(f) for i, f in enumerate(blocks)})
        with np.load(ours) as a, np.load(ref) as b:
            assert a.files == b.files == [f"x{i:06d}" for i in range(N)]
            for name in a.files:
                np.testing.assert_array_equal(a[name], b[name])
        with zipfile.ZipFile(ours) as zf, zipfile.ZipFile(ref) as zr:
            assert [i.compress_type for i in zf.infolist()] == [
                i.compress_type for i in zr.infolist()
            ]
        again = tmp_path / "again.npz"
        write_npz(again, blocks, SPEC.shape, compressed=compressed)
        assert again.read_bytes() == ours.read_bytes()
        threaded = tmp_path / "threaded.npz"
        write_npz(threaded, blocks, SPEC.shape, compressed=compressed, threads=3)
        assert threaded.read_bytes() == ours.read_bytes()


def test_threaded_deflate_is_zipfiles_own(tmp_path, blocks):
    """Members deflated ahead in threads are the bytes zipfile's own streaming compressor
    writes, member for member (sizes and CRC included)."""
    ours, ref = tmp_path / "ours.npz", tmp_path / "ref.npz"
    write_npz(ours, blocks, SPEC.shape, compressed=True, threads=2)
    with zipfile.ZipFile(ref, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i, f in enumerate(blocks):
            info = zipfile.ZipInfo(f"x{i:06d}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.load(f), allow_pickle=False)
    assert ours.read_bytes() == ref.read_bytes()


def test_memmap_round_trip_and_sidecar(tmp_path, blocks):
    dat, side = tmp_path / "r.dat", tmp_path / "r.dat.json"
    write_memmap(dat, side, blocks, SPEC.shape)
    assert json.loads(side.read_text()) == {"shape": [N, 12, 5], "dtype": "<f8", "order": "C"}
    assert dat.stat().st_size == N * 12 * 5 * 8
    raw = np.fromfile(dat, dtype="<f8").reshape(N, 12, 5)  # independent reader
    np.testing.assert_array_equal(raw, arrays(blocks))
    np.testing.assert_array_equal(open_memmap(dat, side, (N, 12, 5)), arrays(blocks))
    ref = np.memmap(tmp_path / "ref.dat", dtype="float64", mode="w+", shape=(N, 12, 5))
    ref[:] = arrays(blocks)  # the lesson's way of writing it: the same bytes
    ref.flush()
    assert (tmp_path / "ref.dat").read_bytes() == dat.read_bytes()


def test_memmap_sidecar_disagreeing_with_file_size(tmp_path, blocks):
    dat, side = tmp_path / "r.dat", tmp_path / "r.dat.json"
    write_memmap(dat, side, blocks, SPEC.shape)
    write_json(side, memmap_meta((N + 1, 12, 5)))
    with pytest.raises(InputError, match=r"r\.dat: 1920 bytes on disk, but .*r\.dat\.json says"):
        open_memmap(dat, side)
    write_json(side, memmap_meta((N, 12, 5)))
    with pytest.raises(InputError, match=r"r\.dat\.json: shape \(4, 12, 5\) differs from expected"):
        open_memmap(dat, side, (N, 5, 12))
    side.write_text("{not json")
    with pytest.raises(InputError, match=r"r\.dat\.json: not a memmap sidecar"):
        open_memmap(dat, side)


def test_memmap_beyond_2_gib(tmp_path):
    """No 2 GB limit: a sparse file of more than 2**31 bytes maps and reads back at its end."""
    shape = (2, 16384, 8193)  # 2_147_614_720 bytes > 2**31
    dat, side = tmp_path / "big.dat", tmp_path / "big.dat.json"
    mm = create_memmap(dat, shape)
    mm[-1, -1, -1] = 42.0
    mm.flush()
    del mm
    write_json(side, memmap_meta(shape))
    assert dat.stat().st_size > 2**31
    big = open_memmap(dat, side, shape)
    assert big[-1, -1, -1] == 42.0 and big[0, 0, 0] == 0.0
    del big


def test_hdf5_datasets_attributes_and_listing(tmp_path, blocks):
    path = tmp_path / "r.hdf5"
    write_hdf5(path, blocks, SPEC.shape)
    with h5py.File(path, "r") as f:
        assert sorted(f) == [f"x{i:06d}" for i in range(N)]
        for i, f_npy in enumerate(blocks):
            ds = f[f"x{i:06d}"]
            np.testing.assert_array_equal(ds[...], np.load(f_npy))
            assert ds.attrs["source"] == f_npy
            assert ds.attrs["checksum"].startswith("sha256:")
            assert ds.attrs["created"].endswith("+00:00")
    rows = hdf5_listing(path)
    assert [r["name"] for r in rows] == [f"x{i:06d}" for i in range(N)]
    assert {r["shape"] for r in rows} == {"12x5"}


def test_hdf5_files_differ_only_in_created(tmp_path, blocks):
    """track_times=False: two writes differ at most in the bytes of the created attributes."""
    a, b = tmp_path / "a.hdf5", tmp_path / "b.hdf5"
    write_hdf5(a, blocks, SPEC.shape)
    with h5py.File(a, "a") as f:
        for ds in f.values():
            ds.attrs["created"] = "2000-01-01T00:00:00+00:00"
    write_hdf5(b, blocks, SPEC.shape)
    with h5py.File(b, "a") as f:
        for ds in f.values():
            ds.attrs["created"] = "2000-01-01T00:00:00+00:00"
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("compression", ["none", "gzip", "lzf"])
def test_hdf5_chunked(tmp_path, blocks, compression):
    path = tmp_path / "c.hdf5"
    write_hdf5_chunked(path, blocks, SPEC.shape, compression)
    with h5py.File(path, "r") as f:
        ds = f["x"]
        assert ds.shape == (N, 12, 5) and ds.chunks == (1, 12, 5)
        assert ds.compression == (None if compression == "none" else compression)
        np.testing.assert_array_equal(ds[...], arrays(blocks))
    again = tmp_path / "c2.hdf5"
    write_hdf5_chunked(again, blocks, SPEC.shape, compression)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("shard", [0, 3, 99])
@pytest.mark.parametrize("compression", ["none", "zstd", "gzip"])
def test_zarr(tmp_path, blocks, compression, shard):
    import dask.array as da

    path = tmp_path / "r.zarr"
    write_zarr(path, blocks, SPEC.shape, compression, shard)
    z = zarr.open_array(str(path), mode="r")
    assert z.shape == (N, 12, 5) and z.chunks == (1, 12, 5)
    assert z.shards == (None if shard == 0 else (min(shard, N), 12, 5))
    np.testing.assert_array_equal(z[...], arrays(blocks))
    np.testing.assert_array_equal(da.from_zarr(str(path)).compute(), arrays(blocks))
    shard_files = sorted(p.name for p in (path / "c").iterdir())
    assert shard_files == [str(k) for k in range(-(-N // min(shard, N)) if shard else N)]
    again = tmp_path / "r2.zarr"
    write_zarr(again, blocks, SPEC.shape, compression, shard)
    files = sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((path / f).read_bytes() == (again / f).read_bytes() for f in files)


def test_block_means_from_every_source_agree_with_numpy(tmp_path, stores):
    means = block_means(stores, "threads")
    assert tuple(means) == SOURCES
    expected = arrays(stores.npy).reshape(N, -1).mean(axis=1)
    for source, values in means.items():
        np.testing.assert_allclose(values, expected, rtol=1e-12, atol=0, err_msg=source)
    out = tmp_path / "means.csv"
    write_block_means(out, stores, means)
    lines = out.read_text().splitlines()
    assert lines[0] == "block," + ",".join(SOURCES)
    assert len(lines) == N + 1 and lines[1].startswith("x000000,")


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_block_means_with_other_schedulers(stores, scheduler):
    import dask

    with dask.config.set(scheduler=scheduler, num_workers=2):
        means = block_means(stores, scheduler)
    expected = arrays(stores.npy).reshape(N, -1).mean(axis=1)
    for source in ("dask_zarr", "dask_memmap", "dask_npy"):
        np.testing.assert_allclose(means[source], expected, rtol=1e-12, atol=0, err_msg=source)


def test_dask_memmap_stays_out_of_core(tmp_path):
    """from_array must not copy the memmap (dask copies array-likes with a .copy method)."""
    import dask

    shape = (4, 500, 500)  # 8 MB
    dat, side = tmp_path / "m.dat", tmp_path / "m.dat.json"
    mm = create_memmap(dat, shape)
    mm[:] = np.arange(4.0)[:, None, None]
    mm.flush()
    write_json(side, memmap_meta(shape))
    mm = open_memmap(dat, side, shape)
    x = dask_memmap(mm)
    assert x.chunks[1:] == ((500,), (500,))
    with dask.config.set(scheduler="threads", num_workers=2):
        peak = traced_peak_mib(lambda: x.mean(axis=(1, 2)).compute())
        np.testing.assert_array_equal(x.mean(axis=(1, 2)).compute(), [0.0, 1.0, 2.0, 3.0])
    assert peak < 2.0  # MiB; a copy of the store would be 7.6


def test_hdf5_missing_dataset_names_file_and_dataset(stores):
    with h5py.File(stores.hdf5, "a") as f:
        del f["x000002"]
    with pytest.raises(InputError, match=r"random\.hdf5: dataset x000002 missing"):
        block_means(stores)


def test_hdf5_checksum_mismatch(stores):
    with h5py.File(stores.hdf5, "a") as f:
        f["x000001"][0, 0] = 0.0
    with pytest.raises(InputError, match=r"random\.hdf5: dataset x000001: checksum sha256:"):
        block_means(stores)


def test_zarr_lost_chunk_is_caught(stores):
    (stores.files("zarr")[0]).unlink()  # c/0/0/0: block 0's chunk
    with pytest.raises(InputError, match=r"random\.zarr.*block x000000 mean nan from zarr"):
        block_means(stores)


def test_block_of_wrong_shape_fails_writer_and_leaves_nothing(tmp_path, blocks):
    np.save(blocks[2], np.zeros((11, 5)))
    s = Stores.under(tmp_path / "out", blocks, SPEC.shape)
    for kind in ("npz", "memmap", "hdf5", "hdf5_chunked", "zarr"):
        with pytest.raises(InputError, match=r"x000002\.npy: shape \(11, 5\) differs"):
            write_store(kind, s, "none", "none")
    with pytest.raises(InputError, match=r"x000002\.npy: shape \(11, 5\) differs"):
        write_store("zarr", s, "none", "none", zarr_shard_blocks=3)
    assert list((tmp_path / "out").iterdir()) == []  # no store, no temp file


def test_array_summary_matches_numpy(blocks):
    import dask

    with dask.config.set(scheduler="threads", num_workers=2):
        got = array_summary(blocks, SPEC.shape)
    x = arrays(blocks)
    assert got["count"] == x.size and got["blocks"] == N and got["ddof"] == 0
    assert got["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert got["std"] == pytest.approx(x.std(), rel=1e-12)
    assert (got["min"], got["max"]) == (x.min(), x.max())


def test_evict_runs_on_store_files(stores):
    files = stores.files("zarr") + stores.files("memmap")
    before = [f.read_bytes() for f in files]
    assert evict(files) is hasattr(os, "posix_fadvise")  # True on Linux: eviction ran
    assert [f.read_bytes() for f in files] == before  # and left the data as it was


def test_check_stores_config():
    ok = {"blocks": {"n": 10, "rows": 3, "cols": 3}, "stores": {"n": 10, "zarr_shard_blocks": 0}}
    check_stores(ok)
    with pytest.raises(ConfigError, match="stores.n: 11 is larger than blocks.n=10"):
        check_stores({**ok, "stores": {"n": 11, "zarr_shard_blocks": 0}})
    # a block above HDF5's 4 GiB chunk limit is refused by the blocks' own 1 GiB limit
    huge = load_yaml(REPO / "config" / "test.yaml")
    huge["blocks"].update(rows=2**16, cols=2**13)
    with pytest.raises(ConfigError, match=r"blocks.rows: .* 4294967296 bytes.* 4 GiB"):
        check_all(huge)
    big = {"blocks": {"n": 200, "rows": 1000, "cols": 1000}, "stores": {"n": 200}}
    check_stores({**big, "stores": {"n": 200, "zarr_shard_blocks": 134}})  # 1.07 GB
    check_stores({**big, "stores": {"n": 100, "zarr_shard_blocks": 500}})  # 100 blocks
    with pytest.raises(ConfigError, match="stores.zarr_shard_blocks: a shard of 135 blocks"):
        check_stores({**big, "stores": {"n": 200, "zarr_shard_blocks": 135}})


# ---------------------------------------------------------------------------- zero-copy readers

FAST = ("dask_hdf5_chunked", "dask_zarr", "dask_hdf5_chunked_h5py", "dask_zarr_from_zarr")


def expected_means(s: Stores) -> np.ndarray:
    return arrays(s.npy).reshape(N, -1).mean(axis=1)


def test_uncompressed_stores_are_read_zero_copy(raw_stores):
    s = raw_stores
    ext, why = hdf5_extents(s.hdf5_chunked, s.full_shape)
    assert why == "" and sum(e.blocks for e in ext) == N
    assert {e.path for e in ext} == {s.hdf5_chunked}
    zext, why = zarr_extents(s.zarr, s.full_shape)
    assert why == "" and [e.blocks for e in zext] == [1] * N
    assert [e.path for e in zext] == [f"{s.zarr}/c/{i}/0/0" for i in range(N)]
    assert reader("dask_hdf5_chunked", s) == reader("dask_zarr", s) == "memmap"
    for e in (*ext, *zext):  # each chunk is a view of the mapped file, no copy
        chunk = load_extent(e.path, e.offset, (e.blocks, *SPEC.shape), "<f8", e.fill)
        assert not chunk.flags.owndata and isinstance(chunk.base, np.memmap)
    for source in FAST:  # both paths agree with numpy to 1e-12
        got = MEANS[source](s, "threads", True)
        np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0, err_msg=source)


def test_contiguous_hdf5_dataset_is_read_zero_copy(tmp_path, blocks):
    s = Stores.under(tmp_path, blocks, SPEC.shape)
    with h5py.File(s.hdf5_chunked, "w") as f:
        f.create_dataset("x", data=arrays(blocks))  # no chunks: contiguous layout
    ext, why = hdf5_extents(s.hdf5_chunked, s.full_shape)
    assert why == "" and len(ext) == 1 and ext[0].blocks == N
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
    s = Stores.under(tmp_path, blocks, SPEC.shape)
    write_hdf5_chunked(s.hdf5_chunked, blocks, SPEC.shape, "lzf")
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
        load_extent(ext[1].path, ext[1].offset, (1, *SPEC.shape), "<f8", ext[1].fill)


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
    np.testing.assert_array_equal(raw, arrays(s.npy)[:3])  # independent of sda's reader
    for e in ext:
        chunk = load_extent(e.path, e.offset, (e.blocks, *SPEC.shape), "<f8", e.fill)
        assert not chunk.flags.owndata and isinstance(chunk.base, np.memmap)
    for source in ("zarr", "dask_zarr", "dask_zarr_from_zarr"):
        got = MEANS[source](s, "threads", True)
        np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0, err_msg=source)


def test_sharded_zarr_runs_follow_the_index(tmp_path, blocks):
    """Inner chunks written out of order: the offsets come from the index, not assumed."""
    s = Stores.under(tmp_path, blocks, SPEC.shape)
    z = zarr.create_array(
        store=s.zarr, shape=s.full_shape, chunks=(1, *SPEC.shape), shards=(N, *SPEC.shape),
        dtype="f8", compressors=None, fill_value=np.nan, zarr_format=3,
    )  # fmt: skip
    x = arrays(blocks)
    z[2] = x[2]
    z[0] = x[0]  # rewrites the shard: whatever order zarr picks, the index says where
    ext, why = zarr_extents(s.zarr, s.full_shape)
    assert why == "" and sum(e.blocks for e in ext) == N
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
    s = Stores.under(tmp_path, blocks, SPEC.shape)
    write_zarr(s.zarr, blocks, SPEC.shape, "zstd", SHARD)
    ext, why = zarr_extents(s.zarr, s.full_shape)
    assert ext is None and "Zstd" in why and reader("dask_zarr", s).startswith("zarr (")
    got = MEANS["dask_zarr"](s, "threads", True)
    np.testing.assert_allclose(got, expected_means(s), rtol=1e-12, atol=0)


def test_stores_round_trip_through_rule_inputs():
    from types import SimpleNamespace

    s = Stores.under("results/stores", ["a/x000000.npy", "a/x000001.npy"], (3, 4))
    assert Stores.from_inputs(SimpleNamespace(**s.inputs()), s.shape) == s
    assert s.inputs()["zarr"] == "results/stores/random.zarr"


def test_zarr_gzip_chunks_do_not_depend_on_the_clock(monkeypatch):
    """numcodecs' GZip stamps the current time into each chunk; ours writes time zero, so the
    same data gives the same bytes at any time (and still reads as gzip)."""
    import gzip
    import time as time_module

    from numcodecs.gzip import GZip

    from sda.stores.write import reproducible_gzip_codec

    data = np.arange(1000.0)
    ours, plain = reproducible_gzip_codec(4)._gzip_codec, GZip(4)
    encoded = {}
    for t in (1_000_000_000.0, 1_700_000_000.0):
        monkeypatch.setattr(time_module, "time", lambda t=t: t)
        encoded[t] = (ours.encode(data), plain.encode(data))
    (a, plain_a), (b, plain_b) = encoded.values()
    assert plain_a != plain_b  # the library's own codec follows the clock
    assert a == b
    assert np.frombuffer(gzip.decompress(a)).tolist() == data.tolist()


def test_every_source_has_a_means_function_in_order():
    assert tuple(MEANS) == SOURCES
