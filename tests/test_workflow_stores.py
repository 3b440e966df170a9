"""Integration: the array stores and their analytics, run by real Snakemake on config/test.yaml.

Every value is checked against numpy on blocks generated here independently of sda.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
import shutil

import h5py
import numpy as np
import pytest
import zarr
from dask import array as da

from conftest import copy_workflow, refused_config, run_snakemake
from oracles import check_summary, expected_blocks, per_block_means

pytestmark = pytest.mark.workflow

SOURCES = [
    "npy", "npz", "npz_compressed", "memmap", "hdf5", "hdf5_chunked", "zarr",
    "dask_npy", "dask_memmap", "dask_hdf5", "dask_hdf5_chunked", "dask_zarr",
    "dask_hdf5_chunked_h5py", "dask_zarr_from_zarr",
]  # fmt: skip
STORE_FILES = [
    "results/stores/xs.npz",
    "results/stores/xs_compressed.npz",
    "results/stores/random.dat",
    "results/stores/random.dat.json",
    "results/stores/random_chunked.hdf5",
]


@pytest.fixture(scope="module")
def stores_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("stores") / "wf")
    run_snakemake(workdir, "stores_all", "results/bench/stores.csv")
    return workdir


@pytest.fixture(scope="module")
def data(test_config):
    return expected_blocks(test_config["blocks"], test_config["stores"]["n"])


def test_every_store_holds_the_blocks(stores_run, test_config, data):
    n = test_config["stores"]["n"]
    names = [f"x{i:06d}" for i in range(n)]
    res = stores_run / "results/stores"
    for npz in ("xs.npz", "xs_compressed.npz"):
        with np.load(res / npz) as z:
            assert z.files == names
            np.testing.assert_array_equal(np.stack([z[k] for k in names]), data)
    side = json.loads((res / "random.dat.json").read_text())
    assert side == {"shape": list(data.shape), "dtype": "<f8", "order": "C"}
    raw = np.fromfile(res / "random.dat", dtype="<f8").reshape(side["shape"])
    np.testing.assert_array_equal(raw, data)
    with h5py.File(res / "random.hdf5", "r") as f:
        assert sorted(f) == names
        for i, name in enumerate(names):
            np.testing.assert_array_equal(f[name][...], data[i])
            assert f[name].attrs["source"] == f"results/blocks/npy/{name}.npy"
    with h5py.File(res / "random_chunked.hdf5", "r") as f:
        ds = f["x"]
        assert ds.chunks == (1, *data.shape[1:])
        assert ds.compression == test_config["stores"]["hdf5_compression"]
        np.testing.assert_array_equal(ds[...], data)
    z = zarr.open_array(str(res / "random.zarr"), mode="r")
    shard = min(test_config["stores"]["zarr_shard_blocks"], n)
    assert z.chunks == (1, *data.shape[1:]) and z.shards == (shard, *data.shape[1:])
    np.testing.assert_array_equal(z[...], data)
    np.testing.assert_array_equal(da.from_zarr(str(res / "random.zarr")).compute(), data)


def test_hdf5_listing(stores_run, test_config, data):
    with open(stores_run / "results/stores/hdf5_listing.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert [r["name"] for r in rows] == [f"x{i:06d}" for i in range(len(data))]
    assert {r["shape"] for r in rows} == {f"{data.shape[1]}x{data.shape[2]}"}
    for r in rows:
        assert datetime.datetime.fromisoformat(r["created"]).tzinfo is not None


def test_block_means_of_every_source(stores_run, data):
    with open(stores_run / "results/tables/block_means.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["block", *SOURCES]
    assert [r["block"] for r in rows] == [f"x{i:06d}" for i in range(len(data))]
    expected = per_block_means(data)
    for source in SOURCES:
        got = np.array([float(r[source]) for r in rows])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=source)


def test_array_summary_over_all_blocks(stores_run, test_config):
    got = json.loads((stores_run / "results/tables/array_summary.json").read_text())
    x = expected_blocks(test_config["blocks"], test_config["blocks"]["n"])
    assert got["blocks"] == test_config["blocks"]["n"]
    check_summary(got, x)
    bench = (stores_run / "benchmarks/array_summary.tsv").read_text().splitlines()
    assert "max_rss" in bench[0]


def test_bench_stores(stores_run, test_config):
    with open(stores_run / "results/bench/stores.csv") as fh:
        rows = list(csv.DictReader(fh))
    by = {(r["what"], r["method"]): r for r in rows}
    warm = {r["method"]: r for r in rows if r["what"] == "read_mean_warm"}
    assert list(warm) == SOURCES
    writes = [r["method"] for r in rows if r["what"] == "write"]
    assert writes == [s for s in SOURCES if not s.startswith("dask_")]
    for source, r in warm.items():
        seconds = float(r["seconds"])
        assert seconds > 0 and int(r["bytes"]) > 0 and float(r["peak_mib"]) > 0
        assert r["identical"] == "yes" and r["baseline"] == "memmap"
        # the numpy sources use one thread, dask the rule's 2: said on both sides
        assert r["threads"] == ("2" if source.startswith("dask_") else "1")
        if source.startswith("dask_"):
            store = source.removeprefix("dask_").removesuffix("_h5py").removesuffix("_from_zarr")
            same = by[("read_mean_warm_same_store", source)]
            want = seconds / float(warm[store]["seconds"])
            assert float(same["ratio"]) == pytest.approx(want, rel=1e-3)
            assert same["baseline"] == store
    # the baseline paired with itself (ABBA): a ratio near 1, far from any other source's
    assert 0.1 < float(warm["memmap"]["ratio"]) < 10
    b = test_config["blocks"]
    raw = test_config["stores"]["n"] * b["rows"] * b["cols"] * 8
    assert int(by[("write", "memmap")]["bytes"]) >= raw  # allocated: at least the float64 data
    # config/test.yaml compresses (gzip, zstd): the zero-copy readers fall back to the libraries
    assert warm["dask_hdf5_chunked"]["note"].startswith("h5py (filters gzip")
    assert warm["dask_zarr"]["note"].startswith("zarr (codecs")
    assert warm["dask_memmap"]["note"].split(";")[0] == "memmap"
    assert {s for s, r in warm.items() if "target <=1.5" in r["note"]} == {
        "dask_memmap",
        "dask_hdf5_chunked",
        "dask_zarr",
    }
    # the whole-array summary over every block: dask against one numpy pass, same threads
    base, ours = by[("array_summary", "numpy_one_pass")], by[("array_summary", "dask")]
    assert base["threads"] == ours["threads"] == "2" and ours["baseline"] == "numpy_one_pass"
    assert ours["identical"] == "yes" and "one pass per block" in ours["note"]
    assert int(ours["bytes"]) == b["n"] * b["rows"] * b["cols"] * 8
    want = float(ours["seconds"]) / float(base["seconds"])
    assert float(ours["ratio"]) == pytest.approx(want, rel=1e-3)


def test_same_config_same_bytes_whatever_cores(stores_run, tmp_path):
    """One core instead of two: identical stores (random.hdf5: identical data, only the
    created attributes may differ) and identical tables."""
    other = copy_workflow(tmp_path / "wf1")
    targets = [*STORE_FILES, "results/stores/random.hdf5", "results/stores/random.zarr"]
    targets += ["results/tables/block_means.csv", "results/tables/array_summary.json"]
    run_snakemake(other, *targets, cores=1)
    for f in [*STORE_FILES, "results/tables/block_means.csv", "results/tables/array_summary.json"]:
        assert (other / f).read_bytes() == (stores_run / f).read_bytes(), f
    za, zb = stores_run / "results/stores/random.zarr", other / "results/stores/random.zarr"
    files = sorted(p.relative_to(za) for p in za.rglob("*") if p.is_file())
    files = [f for f in files if not f.name.startswith(".snakemake")]
    assert files and all((za / f).read_bytes() == (zb / f).read_bytes() for f in files)
    ha, hb = stores_run / "results/stores/random.hdf5", other / "results/stores/random.hdf5"
    assert ha.stat().st_size == hb.stat().st_size
    with h5py.File(ha, "r") as fa, h5py.File(hb, "r") as fb:
        for name in fa:
            assert fa[name][...].tobytes() == fb[name][...].tobytes()
            assert fa[name].attrs["checksum"] == fb[name].attrs["checksum"]


def test_uncompressed_stores_zero_copy(tmp_path, data):
    """The defaults (no compression): dask reads the HDF5 chunks and the Zarr shards as
    memmaps; every column of block_means.csv still agrees with numpy, and a truncated Zarr
    shard file fails the rule naming that file."""
    wf = copy_workflow(tmp_path / "wf")
    (wf / "raw.yaml").write_text("stores:\n  hdf5_compression: none\n  zarr_compression: none\n")
    configs = ["config/test.yaml", "raw.yaml"]
    target = "results/tables/block_means.csv"
    run_snakemake(wf, target, configfile=configs)
    with open(wf / target) as fh:
        rows = list(csv.DictReader(fh))
    expected = per_block_means(data)
    for source in SOURCES:
        got = np.array([float(r[source]) for r in rows])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=source)
    with h5py.File(wf / "results/stores/random_chunked.hdf5", "r") as f:
        assert f["x"].compression is None
    shard = wf / "results/stores/random.zarr/c/1/0/0"  # test.yaml: shards of 4 blocks, n 6
    np.testing.assert_array_equal(  # inner chunks raw and back to back, then the index
        np.fromfile(shard, dtype="<f8", count=data[4:].size).reshape(data[4:].shape), data[4:]
    )
    shard.write_bytes(shard.read_bytes()[:-8])
    (wf / target).unlink()
    proc = run_snakemake(wf, target, configfile=configs, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and not (wf / target).exists()
    assert re.search(r"results/stores/random\.zarr/c/1/0/0: shard index checksum", out), out


@pytest.fixture
def broken_copy(stores_run, tmp_path):
    """A copy of the finished run (outputs and Snakemake's metadata) to break."""
    dest = tmp_path / "broken"
    shutil.copytree(stores_run, dest, symlinks=True)
    return dest


def _fails(workdir, target, message):
    proc = run_snakemake(workdir, target, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(message, out), out
    assert not (workdir / target).exists()
    assert not list((workdir / target).parent.glob(".*.tmp*"))  # no temp file left


def test_sidecar_disagreeing_with_file_size(broken_copy):
    dat = broken_copy / "results/stores/random.dat"
    dat.write_bytes(dat.read_bytes()[:-8])
    _fails(
        broken_copy,
        "results/tables/block_means.csv",
        r"results/stores/random\.dat: \d+ bytes on disk, but results/stores/random\.dat\.json "
        r"says shape \(6, 30, 8\)",
    )


def test_hdf5_missing_dataset(broken_copy):
    with h5py.File(broken_copy / "results/stores/random.hdf5", "a") as f:
        del f["x000003"]
    _fails(
        broken_copy,
        "results/tables/block_means.csv",
        r"results/stores/random\.hdf5: dataset x000003 missing",
    )


def test_block_of_wrong_shape(broken_copy, test_config):
    b = test_config["blocks"]
    np.save(broken_copy / "results/blocks/npy/x000001.npy", np.zeros((b["rows"] - 1, b["cols"])))
    _fails(
        broken_copy,
        "results/stores/random_chunked.hdf5",
        rf"results/blocks/npy/x000001\.npy: shape \({b['rows'] - 1}, {b['cols']}\) differs",
    )


@pytest.mark.parametrize(
    "stores_yaml, key",
    [
        ("n: 21", "stores.n"),
        ("hdf5_compression: bzip2", "stores.hdf5_compression"),
        ("zarr_shard_blocks: -1", "stores.zarr_shard_blocks"),
    ],
)
def test_invalid_stores_config(workflow_copy, stores_yaml, key):
    out = refused_config(workflow_copy, f"stores:\n  {stores_yaml}\n", "stores_all")
    assert re.search(rf"invalid config key {re.escape(key)}\b", out), out
