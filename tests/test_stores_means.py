"""sda.stores.means: each block's mean from every source, against numpy; a damaged store fails naming it."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from conftest import STORE_BLOCKS, stacked
from oracles import per_block_means
from sda.io import InputError
from sda.stores.means import MEANS, block_means, write_block_means
from sda.stores.paths import SOURCES


def test_block_means_from_every_source_agree_with_numpy(tmp_path, stores):
    means = block_means(stores, "threads")
    assert tuple(means) == SOURCES
    expected = per_block_means(stacked(stores.npy))
    for source, values in means.items():
        np.testing.assert_allclose(values, expected, rtol=1e-12, atol=0, err_msg=source)
    out = tmp_path / "means.csv"
    write_block_means(out, stores, means)
    lines = out.read_text().splitlines()
    assert lines[0] == "block," + ",".join(SOURCES)
    assert len(lines) == STORE_BLOCKS + 1 and lines[1].startswith("x000000,")


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_block_means_with_other_schedulers(stores, scheduler):
    import dask

    with dask.config.set(scheduler=scheduler, num_workers=2):
        means = block_means(stores, scheduler)
    expected = per_block_means(stacked(stores.npy))
    for source in ("dask_zarr", "dask_memmap", "dask_npy"):
        np.testing.assert_allclose(means[source], expected, rtol=1e-12, atol=0, err_msg=source)


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


def test_every_source_has_a_means_function_in_order():
    assert tuple(MEANS) == SOURCES
