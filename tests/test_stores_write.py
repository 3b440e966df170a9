"""sda.stores.write: every store holds the blocks as the libraries' own writers would, the same bytes every time; a block of the wrong shape leaves nothing."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import h5py
import numpy as np
import pytest
import zarr

from conftest import STORE_BLOCKS, STORE_SPEC, stacked
from sda.io import InputError
from sda.stores.paths import Stores
from sda.stores.read import hdf5_listing, open_memmap
from sda.stores.write import (
    write_hdf5,
    write_hdf5_chunked,
    write_memmap,
    write_npz,
    write_store,
    write_zarr,
)


def test_npz_is_what_np_savez_writes_and_reproducible(tmp_path, blocks):
    for compressed in (False, True):
        ours = tmp_path / f"ours{compressed}.npz"
        write_npz(ours, blocks, STORE_SPEC.shape, compressed=compressed)
        ref = tmp_path / f"ref{compressed}.npz"
        save = np.savez_compressed if compressed else np.savez
        save(ref, **{f"x{i:06d}": np.load(f) for i, f in enumerate(blocks)})
        with np.load(ours) as a, np.load(ref) as b:
            assert a.files == b.files == [f"x{i:06d}" for i in range(STORE_BLOCKS)]
            for name in a.files:
                np.testing.assert_array_equal(a[name], b[name])
        with zipfile.ZipFile(ours) as zf, zipfile.ZipFile(ref) as zr:
            assert [i.compress_type for i in zf.infolist()] == [
                i.compress_type for i in zr.infolist()
            ]
        again = tmp_path / "again.npz"
        write_npz(again, blocks, STORE_SPEC.shape, compressed=compressed)
        assert again.read_bytes() == ours.read_bytes()
        threaded = tmp_path / "threaded.npz"
        write_npz(threaded, blocks, STORE_SPEC.shape, compressed=compressed, threads=3)
        assert threaded.read_bytes() == ours.read_bytes()


def test_deflated_members_are_zip_members_zlib_reads(tmp_path, blocks):
    """Members deflated ahead in threads (ISA-L) are ZIP_DEFLATED members whose stream zlib
    inflates to the npy bytes of the block, with zipfile's sizes and CRC right."""
    ours = tmp_path / "ours.npz"
    write_npz(ours, blocks, STORE_SPEC.shape, compressed=True, threads=2)
    with zipfile.ZipFile(ours) as zf:
        assert zf.testzip() is None  # every member's CRC-32 checked
        for i, (info, f) in enumerate(zip(zf.infolist(), blocks, strict=True)):
            assert info.filename == f"x{i:06d}.npy"
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            with open(ours, "rb") as fh:  # the member's raw stream, inflated by zlib itself
                fh.seek(info.header_offset + 26)
                name_len, extra_len = struct.unpack("<HH", fh.read(4))
                fh.seek(info.header_offset + 30 + name_len + extra_len)
                raw = zlib.decompressobj(-15).decompress(fh.read(info.compress_size))
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.load(f), allow_pickle=False)
            assert raw == buf.getvalue()


def test_memmap_round_trip_and_sidecar(tmp_path, blocks):
    dat, side = tmp_path / "r.dat", tmp_path / "r.dat.json"
    write_memmap(dat, side, blocks, STORE_SPEC.shape)
    assert json.loads(side.read_text()) == {
        "shape": [STORE_BLOCKS, 12, 5],
        "dtype": "<f8",
        "order": "C",
    }
    assert dat.stat().st_size == STORE_BLOCKS * 12 * 5 * 8
    raw = np.fromfile(dat, dtype="<f8").reshape(STORE_BLOCKS, 12, 5)  # independent reader
    np.testing.assert_array_equal(raw, stacked(blocks))
    np.testing.assert_array_equal(open_memmap(dat, side, (STORE_BLOCKS, 12, 5)), stacked(blocks))
    ref = np.memmap(tmp_path / "ref.dat", dtype="float64", mode="w+", shape=(STORE_BLOCKS, 12, 5))
    ref[:] = stacked(blocks)  # the lesson's way of writing it: the same bytes
    ref.flush()
    assert (tmp_path / "ref.dat").read_bytes() == dat.read_bytes()


def test_hdf5_datasets_attributes_and_listing(tmp_path, blocks):
    path = tmp_path / "r.hdf5"
    write_hdf5(path, blocks, STORE_SPEC.shape)
    with h5py.File(path, "r") as f:
        assert sorted(f) == [f"x{i:06d}" for i in range(STORE_BLOCKS)]
        for i, f_npy in enumerate(blocks):
            ds = f[f"x{i:06d}"]
            np.testing.assert_array_equal(ds[...], np.load(f_npy))
            assert ds.attrs["source"] == f_npy
            assert ds.attrs["checksum"].startswith("sha256:")
            assert ds.attrs["created"].endswith("+00:00")
    rows = hdf5_listing(path)
    assert [r["name"] for r in rows] == [f"x{i:06d}" for i in range(STORE_BLOCKS)]
    assert {r["shape"] for r in rows} == {"12x5"}


def test_hdf5_files_differ_only_in_created(tmp_path, blocks):
    """track_times=False: two writes differ at most in the bytes of the created attributes."""
    a, b = tmp_path / "a.hdf5", tmp_path / "b.hdf5"
    write_hdf5(a, blocks, STORE_SPEC.shape)
    with h5py.File(a, "a") as f:
        for ds in f.values():
            ds.attrs["created"] = "2000-01-01T00:00:00+00:00"
    write_hdf5(b, blocks, STORE_SPEC.shape)
    with h5py.File(b, "a") as f:
        for ds in f.values():
            ds.attrs["created"] = "2000-01-01T00:00:00+00:00"
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("compression", ["none", "gzip", "lzf"])
def test_hdf5_chunked(tmp_path, blocks, compression):
    path = tmp_path / "c.hdf5"
    write_hdf5_chunked(path, blocks, STORE_SPEC.shape, compression)
    with h5py.File(path, "r") as f:
        ds = f["x"]
        assert ds.shape == (STORE_BLOCKS, 12, 5) and ds.chunks == (1, 12, 5)
        assert ds.compression == (None if compression == "none" else compression)
        np.testing.assert_array_equal(ds[...], stacked(blocks))
    again = tmp_path / "c2.hdf5"
    write_hdf5_chunked(again, blocks, STORE_SPEC.shape, compression)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("shard", [0, 3, 99])
@pytest.mark.parametrize("compression", ["none", "zstd", "gzip"])
def test_zarr(tmp_path, blocks, compression, shard):
    import dask.array as da

    path = tmp_path / "r.zarr"
    write_zarr(path, blocks, STORE_SPEC.shape, compression, shard)
    z = zarr.open_array(str(path), mode="r")
    assert z.shape == (STORE_BLOCKS, 12, 5) and z.chunks == (1, 12, 5)
    assert z.shards == (None if shard == 0 else (min(shard, STORE_BLOCKS), 12, 5))
    np.testing.assert_array_equal(z[...], stacked(blocks))
    np.testing.assert_array_equal(da.from_zarr(str(path)).compute(), stacked(blocks))
    shard_files = sorted(p.name for p in (path / "c").iterdir())
    assert shard_files == [
        str(k)
        for k in range(-(-STORE_BLOCKS // min(shard, STORE_BLOCKS)) if shard else STORE_BLOCKS)
    ]
    again = tmp_path / "r2.zarr"
    write_zarr(again, blocks, STORE_SPEC.shape, compression, shard)
    files = sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((path / f).read_bytes() == (again / f).read_bytes() for f in files)


def test_block_of_wrong_shape_fails_writer_and_leaves_nothing(tmp_path, blocks):
    np.save(blocks[2], np.zeros((11, 5)))
    s = Stores.under(tmp_path / "out", blocks, STORE_SPEC.shape)
    for kind in ("npz", "memmap", "hdf5", "hdf5_chunked", "zarr"):
        with pytest.raises(InputError, match=r"x000002\.npy: shape \(11, 5\) differs"):
            write_store(kind, s)
    with pytest.raises(InputError, match=r"x000002\.npy: shape \(11, 5\) differs"):
        write_store("zarr", s, zarr_shard_blocks=3)
    assert list((tmp_path / "out").iterdir()) == []  # no store, no temp file


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
