"""sda.stores.read: the memmap store read back through its sidecar, checked against the file."""

from __future__ import annotations

import pytest

from conftest import STORE_BLOCKS, STORE_SPEC, create_memmap
from sda.io import InputError, write_json
from sda.stores.read import open_memmap
from sda.stores.write import memmap_meta, write_memmap


def test_memmap_sidecar_disagreeing_with_file_size(tmp_path, blocks):
    dat, side = tmp_path / "r.dat", tmp_path / "r.dat.json"
    write_memmap(dat, side, blocks, STORE_SPEC.shape)
    write_json(side, memmap_meta((STORE_BLOCKS + 1, 12, 5)))
    with pytest.raises(InputError, match=r"r\.dat: 1920 bytes on disk, but .*r\.dat\.json says"):
        open_memmap(dat, side)
    write_json(side, memmap_meta((STORE_BLOCKS, 12, 5)))
    with pytest.raises(InputError, match=r"r\.dat\.json: shape \(4, 12, 5\) differs from expected"):
        open_memmap(dat, side, (STORE_BLOCKS, 5, 12))
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
