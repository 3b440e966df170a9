"""Where the stores of the first ``stores.n`` blocks live, and the sources that read them.

A *source* is one way of computing the per-block means: numpy over a store (``memmap``) or
``dask.array`` over it (``dask_memmap``); :data:`STORE_OF` names the store each one reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sda.config import require
from sda.io import load_npy

DTYPE = np.dtype("float64")


CHUNKED_DATASET = "x"  # the 3-D dataset in random_chunked.hdf5


NUMPY_SOURCES = ("npy", "npz", "npz_compressed", "memmap", "hdf5", "hdf5_chunked", "zarr")


DASK_SOURCES = (
    "dask_npy",
    "dask_memmap",
    "dask_hdf5",
    "dask_hdf5_chunked",
    "dask_zarr",
    "dask_hdf5_chunked_h5py",
    "dask_zarr_from_zarr",
)


SOURCES = NUMPY_SOURCES + DASK_SOURCES


# the store a source reads (a Stores attribute): dask_hdf5_chunked and dask_hdf5_chunked_h5py
# read the same file, zero-copy where possible and through h5py respectively
STORE_OF = {
    s: s.removeprefix("dask_").removesuffix("_h5py").removesuffix("_from_zarr") for s in SOURCES
}


def shard_blocks(setting: int, n: int) -> int:
    """Blocks per Zarr shard for ``stores.zarr_shard_blocks`` (0: no sharding), at most ``n``."""
    return min(int(setting), int(n))


@dataclass(frozen=True)
class Stores:
    """Where the stores of the first ``len(npy)`` blocks live, and the block shape."""

    npy: tuple[str, ...]
    shape: tuple[int, int]
    npz: str
    npz_compressed: str
    memmap: str
    sidecar: str
    hdf5: str
    hdf5_chunked: str
    zarr: str

    @classmethod
    def under(cls, directory: str | Path, npy: Sequence[str], shape: Sequence[int]) -> Stores:
        """The standard names (``xs.npz``, ``random.dat`` ...) inside ``directory``."""
        d = Path(directory)
        return cls(
            npy=tuple(str(f) for f in npy),
            shape=(int(shape[0]), int(shape[1])),
            npz=str(d / "xs.npz"),
            npz_compressed=str(d / "xs_compressed.npz"),
            memmap=str(d / "random.dat"),
            sidecar=str(d / "random.dat.json"),
            hdf5=str(d / "random.hdf5"),
            hdf5_chunked=str(d / "random_chunked.hdf5"),
            zarr=str(d / "random.zarr"),
        )

    @classmethod
    def from_inputs(cls, inputs, shape: Sequence[int]) -> Stores:
        """The stores named by a rule's inputs (the keys of :meth:`inputs`)."""
        paths = {name: str(getattr(inputs, name)) for name in PATH_FIELDS}
        return cls(npy=tuple(inputs.npy), shape=(int(shape[0]), int(shape[1])), **paths)

    def inputs(self) -> dict[str, object]:
        """Named rule inputs for every store: ``npy`` (the blocks) and one key per path."""
        return {"npy": list(self.npy), **{name: getattr(self, name) for name in PATH_FIELDS}}

    @property
    def n(self) -> int:
        return len(self.npy)

    @property
    def full_shape(self) -> tuple[int, int, int]:
        return (self.n, *self.shape)

    def files(self, source: str) -> list[Path]:
        """The files a source reads (for eviction from the page cache and bytes on disk)."""
        kind = STORE_OF[source]
        if kind == "npy":
            return [Path(f) for f in self.npy]
        if kind == "memmap":
            return [Path(self.memmap), Path(self.sidecar)]
        if kind == "zarr":
            files = Path(self.zarr).rglob("*")
            return sorted(p for p in files if p.is_file() and not p.name.startswith(".snakemake"))
        return [Path(getattr(self, kind))]


PATH_FIELDS = ("npz", "npz_compressed", "memmap", "sidecar", "hdf5", "hdf5_chunked", "zarr")


def iter_blocks(npy_files: Sequence[str], shape: Sequence[int]) -> Iterator[tuple[str, np.ndarray]]:
    """(name, block) of each npy file, checked for shape and dtype; errors name the file."""
    for f in npy_files:
        yield Path(f).stem, load_npy(f, shape=tuple(shape), dtype=DTYPE)


def checksum(block: np.ndarray) -> str:
    """``sha256:<hex>`` of the block's bytes in C order."""
    return "sha256:" + hashlib.sha256(np.ascontiguousarray(block).view(np.uint8)).hexdigest()


def allocated_bytes(paths: Sequence[Path]) -> int:
    """Bytes allocated on disk (``st_blocks`` x 512), summed."""
    return sum(p.stat().st_blocks * 512 for p in paths)


ZARR_SHARD_LIMIT = 2**30  # a Zarr shard is written in one piece, from memory


# --- the config's cross-field checks (rules/common.smk, after the schema) --------------


def check_stores(config: Mapping) -> None:
    blocks, stores = config["blocks"], config["stores"]
    require(
        stores["n"] <= blocks["n"],
        "stores.n",
        f"{stores['n']} is larger than blocks.n={blocks['n']}",
    )
    nbytes = blocks["rows"] * blocks["cols"] * 8
    shard = shard_blocks(stores["zarr_shard_blocks"], stores["n"]) * nbytes
    require(
        shard <= ZARR_SHARD_LIMIT,
        "stores.zarr_shard_blocks",
        f"a shard of {stores['zarr_shard_blocks']} blocks of {blocks['rows']}x{blocks['cols']} "
        f"float64 is {shard} bytes, above {ZARR_SHARD_LIMIT} (1 GiB): the writer holds a whole "
        "shard in memory (random.zarr)",
    )
