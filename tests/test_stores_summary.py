"""sda.stores.summary: the whole array's summary, against numpy."""

from __future__ import annotations

from conftest import STORE_BLOCKS, STORE_SPEC, stacked
from oracles import check_summary
from sda.stores.summary import array_summary


def test_array_summary_matches_numpy(blocks):
    import dask

    with dask.config.set(scheduler="threads", num_workers=2):
        got = array_summary(blocks, STORE_SPEC.shape)
    x = stacked(blocks)
    assert got["blocks"] == STORE_BLOCKS and got["ddof"] == 0
    check_summary(got, x)
