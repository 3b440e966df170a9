"""sda.blocks.generate: block names and batches, each block a pure function of (seed, index) equal
to numpy's documented seeding, its npy and CSV files."""

from __future__ import annotations

import numpy as np
import pytest

from oracles import expected_block
from sda.blocks.generate import (
    BlockSpec,
    batch_pattern,
    batch_regex,
    block_index,
    block_name,
    csv_from_npy,
    make_block,
    read_csv_block,
    write_block,
    write_csv_block,
)
from sda.io import InputError, load_npy, save_npy


def batch_members(batch: str, size: int) -> list[str]:
    """Block stems in a generation batch: batch ``0001`` of size 100 is ``x000100`` … ``x000199``."""
    digits = len(str(size)) - 1
    return [f"x{batch}{s:0{digits}d}" if digits else f"x{batch}" for s in range(size)]


SPEC = BlockSpec(rows=50, cols=7, seed=3, distribution="normal", mean=100.0, sd=10.0)


def test_block_names_round_trip():
    assert block_name(0) == "x000000"
    assert block_name(999_999) == "x999999"
    assert block_index("results/blocks/npy/x000042.npy") == 42
    assert block_index("x000123.csv") == 123
    with pytest.raises(ValueError):
        block_name(1_000_000)
    with pytest.raises(ValueError):
        block_index("results/blocks/npy/y.npy")


def test_block_is_a_pure_function_of_seed_and_index():
    a, b = make_block(5, SPEC), make_block(5, SPEC)
    assert a.shape == (50, 7) and a.dtype == np.float64
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(make_block(6, SPEC), a)
    other_seed = BlockSpec(**{**SPEC.__dict__, "seed": 4})
    assert not np.array_equal(make_block(5, other_seed), a)
    # independent of what was generated before (no shared generator state)
    make_block(0, SPEC)
    assert make_block(5, SPEC).tobytes() == a.tobytes()
    # and equal to numpy's documented seeding, computed independently
    np.testing.assert_array_equal(a, expected_block(SPEC, 5))


def test_distribution_parameters():
    big = BlockSpec(rows=400, cols=500, seed=1, mean=100.0, sd=10.0)
    x = make_block(0, big)
    assert abs(x.mean() - 100.0) < 0.2 and abs(x.std() - 10.0) < 0.2
    uni = BlockSpec(rows=100, cols=100, seed=1, distribution="uniform", low=2.0, high=3.0)
    u = make_block(0, uni)
    assert u.min() >= 2.0 and u.max() < 3.0
    with pytest.raises(ValueError, match="unknown distribution"):
        make_block(0, BlockSpec(rows=1, cols=1, seed=1, distribution="poisson"))


def test_write_block_and_load(tmp_path):
    path = tmp_path / "x000007.npy"
    write_block(path, SPEC)
    loaded = load_npy(path, shape=SPEC.shape, dtype="float64")
    np.testing.assert_array_equal(loaded, expected_block(SPEC, 7))
    assert [p.name for p in tmp_path.iterdir()] == ["x000007.npy"]  # no temp files left


@pytest.mark.parametrize("fmt", ["%.18e", "%.17g", "%.6f"])
def test_csv_round_trip(tmp_path, fmt):
    block = make_block(1, SPEC)
    path = tmp_path / "x000001.csv"
    write_csv_block(path, block, fmt)
    text = path.read_text().splitlines()
    assert len(text) == SPEC.rows and all(line.count(",") == SPEC.cols - 1 for line in text)
    assert not text[0][0].isalpha()  # header-less
    back = read_csv_block(path, shape=SPEC.shape)
    expected = np.array([[float(fmt % v) for v in row] for row in block])
    np.testing.assert_array_equal(back, expected)  # equal up to the format, exactly
    if fmt in ("%.18e", "%.17g"):
        np.testing.assert_array_equal(back, block)  # 17+ significant digits round-trip float64


def test_csv_from_npy_checks_the_block(tmp_path):
    npy = tmp_path / "x000002.npy"
    save_npy(npy, make_block(2, SPEC)[:10])
    with pytest.raises(InputError, match=r"x000002\.npy: shape \(10, 7\) differs"):
        csv_from_npy(npy, tmp_path / "x000002.csv", SPEC, "%.18e")
    assert not (tmp_path / "x000002.csv").exists()


def test_batches_cover_the_block_names():
    assert (
        batch_members("0001", 100)[0] == "x000100" and batch_members("0001", 100)[-1] == "x000199"
    )
    assert batch_members("00004", 10) == [f"x00004{d}" for d in range(10)]
    assert batch_members("000123", 1) == ["x000123"]
    assert batch_pattern("d", 10)[3] == "d/x{batch}3.npy"
    assert batch_pattern("d", 1) == ["d/x{batch}.npy"]
    assert batch_regex(100) == r"\d{4}" and batch_regex(1) == r"\d{6}"
