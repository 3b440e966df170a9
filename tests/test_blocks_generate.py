"""Unit tests of the block functions, without Snakemake."""

from __future__ import annotations

import numpy as np
import pytest

from sda.blocks.generate import (
    BlockSpec,
    batch_pattern,
    batch_regex,
    block_index,
    block_name,
    csv_from_npy,
    make_block,
    read_csv,
    write_block,
    write_csv,
)
from sda.io import InputError, atomic_write, load_npy, save_npy


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
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence([3, 5]))).normal(
        100.0, 10.0, size=(50, 7)
    )
    np.testing.assert_array_equal(a, expected)


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
    np.testing.assert_array_equal(loaded, make_block(7, SPEC))
    assert [p.name for p in tmp_path.iterdir()] == ["x000007.npy"]  # no temp files left


@pytest.mark.parametrize("fmt", ["%.18e", "%.17g", "%.6f"])
def test_csv_round_trip(tmp_path, fmt):
    block = make_block(1, SPEC)
    path = tmp_path / "x000001.csv"
    write_csv(path, block, fmt)
    text = path.read_text().splitlines()
    assert len(text) == SPEC.rows and all(line.count(",") == SPEC.cols - 1 for line in text)
    assert not text[0][0].isalpha()  # header-less
    back = read_csv(path, shape=SPEC.shape)
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


def test_load_npy_names_corrupt_and_truncated_files(tmp_path):
    good = tmp_path / "x000000.npy"
    save_npy(good, make_block(0, SPEC))
    truncated = tmp_path / "x000001.npy"
    truncated.write_bytes(good.read_bytes()[:-100])
    garbage = tmp_path / "x000002.npy"
    garbage.write_bytes(b"not numpy at all")
    with pytest.raises(InputError, match="x000001.npy"):
        load_npy(truncated)
    with pytest.raises(InputError, match="x000002.npy"):
        load_npy(garbage)
    with pytest.raises(InputError, match="x000003.npy: missing"):
        load_npy(tmp_path / "x000003.npy")
    with pytest.raises(InputError, match="dtype float64 differs"):
        load_npy(good, dtype="float32")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as fh:
            fh.write("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    target.write_text("old")
    with atomic_write(target, "w") as fh:
        fh.write("new")
    assert target.read_text() == "new" and len(list(tmp_path.iterdir())) == 1


def test_batches_cover_the_block_names():
    assert (
        batch_members("0001", 100)[0] == "x000100" and batch_members("0001", 100)[-1] == "x000199"
    )
    assert batch_members("00004", 10) == [f"x00004{d}" for d in range(10)]
    assert batch_members("000123", 1) == ["x000123"]
    assert batch_pattern("d", 10)[3] == "d/x{batch}3.npy"
    assert batch_pattern("d", 1) == ["d/x{batch}.npy"]
    assert batch_regex(100) == r"\d{4}" and batch_regex(1) == r"\d{6}"


def test_load_peak_is_measured_in_the_child_even_under_a_big_parent(tmp_path):
    from sda.blocks.bench_block_io import load_peak
    from sda.measure.process import vm_hwm

    path = tmp_path / "x000000.npy"
    np.save(path, np.ones((500, 1000)))  # 4 MB
    ballast = np.ones(50 * 2**20 // 8)  # the parent holds 50 MiB: must not hide the child's load
    m = load_peak(path, "npy")
    nbytes = m.result
    assert nbytes == 4_000_000
    assert nbytes <= m.traced_bytes < 2 * nbytes
    assert m.peak_increment >= nbytes // 2, "max-RSS increment must see the loaded array"
    assert m.peak_bytes < vm_hwm()  # the child's own peak, not this process's
    del ballast


def test_bare_snakefile_has_the_workflows_job_shape(tmp_path):
    """The bare Snakefile (Snakemake's own cost in bench_generate) asks for the same block names,
    in the same batches, as the workflow, and its jobs write nothing but empty files."""
    import subprocess
    import sys

    from sda.blocks.bench_generate import bare_snakefile

    (tmp_path / "Snakefile").write_text(bare_snakefile(20, 10))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    files = sorted(p.name for p in (tmp_path / "results/blocks/npy").iterdir())
    assert files == [f"{block_name(i)}.npy" for i in range(20)]
    assert all((tmp_path / "results/blocks/npy" / f).stat().st_size == 0 for f in files)
    assert "generate_blocks        2" in proc.stdout + proc.stderr
