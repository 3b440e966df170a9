"""The lesson's one billion numbers: blocks of random numbers, one file each.

Block ``i`` depends only on ``(seed, i)``: it is drawn from ``numpy.random.default_rng([seed, i])``,
so any block can be regenerated alone, in any order, by any process, with identical bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sda.config import ConfigError, require
from sda.io import atomic_write, load_npy, save_npy

NAME_RE = re.compile(r"x(\d{6})\.(npy|csv)$")


def block_name(i: int) -> str:
    """The lesson's file stem for block ``i``: ``x000042``."""
    if not 0 <= i < 1_000_000:
        raise ValueError(f"block index {i} outside 0..999999")
    return f"x{i:06d}"


def block_index(path: str | Path) -> int:
    """Inverse of :func:`block_name` for a block file path."""
    match = NAME_RE.search(str(path))
    if not match:
        raise ValueError(f"{path}: not a block file name like x000042.npy")
    return int(match.group(1))


@dataclass(frozen=True)
class BlockSpec:
    """What a block is: its shape and the distribution its numbers come from."""

    rows: int
    cols: int
    seed: int
    distribution: str = "normal"
    mean: float = 100.0
    sd: float = 10.0
    low: float = 0.0
    high: float = 1.0

    @classmethod
    def from_config(cls, blocks: Mapping) -> BlockSpec:
        return cls(
            rows=int(blocks["rows"]),
            cols=int(blocks["cols"]),
            seed=int(blocks["seed"]),
            distribution=str(blocks["distribution"]),
            mean=float(blocks.get("mean", 100.0)),
            sd=float(blocks.get("sd", 10.0)),
            low=float(blocks.get("low", 0.0)),
            high=float(blocks.get("high", 1.0)),
        )

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @property
    def npy_bytes(self) -> int:
        """Size of one block's ``.npy`` file (a header of 128 bytes, then float64 data)."""
        return self.rows * self.cols * 8 + 128

    def csv_bytes(self, fmt: str) -> int:
        """About the size of one block's CSV copy: every number as wide as the widest of the
        distribution's likely extremes (mean +- 6 sd, or low and high), plus its separator."""
        if self.distribution == "normal":
            extremes = (self.mean - 6 * self.sd, self.mean + 6 * self.sd)
        else:
            extremes = (self.low, self.high)
        return self.rows * self.cols * (max(len(fmt % x) for x in extremes) + 1)


def make_block(i: int, spec: BlockSpec) -> np.ndarray:
    """Block ``i`` as a float64 array of ``spec.shape``; a pure function of ``(spec, i)``."""
    rng = np.random.default_rng([spec.seed, i])
    if spec.distribution == "normal":
        return rng.normal(spec.mean, spec.sd, size=spec.shape)
    if spec.distribution == "uniform":
        return rng.uniform(spec.low, spec.high, size=spec.shape)
    raise ValueError(f"unknown distribution {spec.distribution!r}")


def write_block(path: str | Path, spec: BlockSpec) -> None:
    """Generate the block named by ``path`` and save it atomically as ``.npy``."""
    save_npy(path, make_block(block_index(path), spec))


def write_csv_block(path: str | Path, array: np.ndarray, fmt: str = "%.18e") -> None:
    """Header-less, comma-separated text, one row per line, like the lesson's CSV blocks."""
    width = max(len(fmt % x) for x in (array.min(), array.max())) + 1 if array.size else 0
    with atomic_write(path, "wb", size=array.size * width) as fh:
        np.savetxt(fh, array, fmt=fmt, delimiter=",")


def read_csv_block(path: str | Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a CSV block back with ``np.loadtxt``; errors name the file."""
    from sda.io import InputError

    try:
        array = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: not a readable CSV block ({exc})") from None
    if shape is not None and array.shape != tuple(shape):
        raise InputError(f"{path}: shape {array.shape} differs from expected {tuple(shape)}")
    return array


def csv_from_npy(npy: str | Path, csv: str | Path, spec: BlockSpec, fmt: str) -> None:
    """Write the CSV copy of an npy block, checking the block first."""
    write_csv_block(csv, load_npy(npy, shape=spec.shape, dtype=np.float64), fmt)


def batch_pattern(directory: str, size: int, ext: str = ".npy") -> list[str]:
    """Snakemake output patterns of one batch, with the ``{batch}`` wildcard left in."""
    digits = len(str(size)) - 1
    return [
        f"{directory}/x{{batch}}{s:0{digits}d}{ext}" if digits else f"{directory}/x{{batch}}{ext}"
        for s in range(size)
    ]


def batch_regex(size: int) -> str:
    """Wildcard constraint of ``{batch}``: the leading digits that a batch's blocks share."""
    return rf"\d{{{6 - (len(str(size)) - 1)}}}"


MAX_BLOCK_BYTES = 2**30  # a block is read whole into memory and is one dask chunk


# --- the config's cross-field checks (rules/common.smk, after the schema) --------------


def batch_size(n: int, batch: int | str) -> int:
    """Blocks written per generation job.

    ``auto`` picks the largest power of ten up to 100 that divides ``n`` (1000 blocks -> 10 jobs
    of 100 blocks, so the workflow pays ten Python start-ups, not a thousand). An explicit value
    must be a power of ten that divides ``n``: the batch is then the set of block names that share
    all but their last digits, e.g. ``x0001??``.
    """
    if batch == "auto":
        for size in (100, 10, 1):
            if n % size == 0 and n // size >= 2 or size == 1:
                return size
    require(
        isinstance(batch, int) and batch in (1, 10, 100, 1000),
        "blocks.batch",
        f"{batch!r} is not auto or a power of ten up to 1000",
    )
    require(n % batch == 0, "blocks.batch", f"{batch} does not divide blocks.n={n}")
    return batch


def check_blocks(config: Mapping) -> None:
    blocks = config["blocks"]
    n = blocks["n"]
    require(
        blocks["csv_n"] <= n,
        "blocks.csv_n",
        f"{blocks['csv_n']} is larger than blocks.n={n}",
    )
    require(n <= 1_000_000, "blocks.n", f"{n} blocks do not fit the x%06d names")
    rows, cols = blocks["rows"], blocks["cols"]
    nbytes = rows * cols * 8
    require(
        nbytes <= MAX_BLOCK_BYTES,
        "blocks.cols" if cols > rows else "blocks.rows",
        f"a block of blocks.rows x blocks.cols = {rows} x {cols} float64 is {nbytes} bytes, "
        f"above {MAX_BLOCK_BYTES} (1 GiB: a block is read whole into memory, and is one dask "
        "chunk; HDF5's chunk limit, 4 GiB, is above it)",
    )
    if blocks["distribution"] == "uniform":
        require(
            blocks["low"] < blocks["high"],
            "blocks.low",
            f"low={blocks['low']} must be below high={blocks['high']}",
        )
    batch_size(n, blocks.get("batch", "auto"))
    try:
        blocks["csv_format"] % 1.5
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid config key blocks.csv_format: {exc}") from None
