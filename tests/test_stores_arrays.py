"""sda.stores.arrays: dask arrays over the stores, out of core."""

from __future__ import annotations

import numpy as np

from conftest import create_memmap
from sda.io import write_json
from sda.measure.process import traced_peak_mib
from sda.stores.arrays import dask_memmap
from sda.stores.read import open_memmap
from sda.stores.write import memmap_meta


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
        # once untraced first: the modules a first compute imports are no copy of the store
        np.testing.assert_array_equal(x.mean(axis=(1, 2)).compute(), [0.0, 1.0, 2.0, 3.0])
        peak = traced_peak_mib(lambda: x.mean(axis=(1, 2)).compute())
    assert peak < 2.0  # MiB; a copy of the store would be 7.6


def test_dask_npy_is_one_layer_of_mapped_blocks(blocks, tmp_path):
    """One chunk per block, in one graph layer (not one per block); any index reads the blocks
    it covers; a bad block fails naming its file."""
    import pickle
    import re

    import dask
    import pytest

    from conftest import STORE_SPEC, stacked
    from sda.io import InputError
    from sda.stores.arrays import NpyBlocks, dask_npy

    x = dask_npy(blocks, STORE_SPEC.shape)
    assert x.numblocks == (len(blocks), 1, 1) and len(x.dask.layers) <= 2
    ref = stacked(blocks)
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(x.compute(), ref)
    view = pickle.loads(pickle.dumps(NpyBlocks(blocks, STORE_SPEC.shape)))
    np.testing.assert_array_equal(view[1:3, 2:4], ref[1:3, 2:4])
    np.testing.assert_array_equal(view[2, :, 1], ref[2, :, 1])
    bad = tmp_path / "bad.npy"
    bad.write_bytes(open(blocks[0], "rb").read()[:200])  # truncated
    y = dask_npy([blocks[0], str(bad)], STORE_SPEC.shape)
    with pytest.raises(InputError, match=re.escape(str(bad))), dask.config.set(scheduler="sync"):
        y.sum().compute()
