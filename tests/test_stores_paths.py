"""sda.stores.paths: the stores' paths from the rule's inputs, and the stores' config checks."""

from __future__ import annotations

import pytest

from conftest import REPO, check_all, load_yaml
from sda.config import ConfigError
from sda.stores.paths import Stores, check_stores


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


def test_stores_round_trip_through_rule_inputs():
    from types import SimpleNamespace

    s = Stores.under("results/stores", ["a/x000000.npy", "a/x000001.npy"], (3, 4))
    assert Stores.from_inputs(SimpleNamespace(**s.inputs()), s.shape) == s
    assert s.inputs()["zarr"] == "results/stores/random.zarr"
