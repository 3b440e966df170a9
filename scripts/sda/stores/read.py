"""Opening the stores, checked: a reader compares what it opens with what the config says
(shape, dtype, dataset names, the memmap sidecar) and raises :class:`sda.io.InputError` naming
the file and what differs."""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sda.io import InputError, write_csv
from sda.stores.paths import CHUNKED_DATASET, DTYPE, checksum


def _expect(path, what: str, got, want) -> None:
    if tuple(got) != tuple(want):
        raise InputError(f"{path}: {what} {tuple(got)} differs from expected {tuple(want)}")


def open_npz(path: str | Path, names: Sequence[str], shape: Sequence[int]):
    """``np.load`` of an npz, checking that every block is there; use as a context manager."""
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable .npz file ({exc})") from None
    missing = [n for n in names if n not in npz.files]
    if missing:
        npz.close()
        raise InputError(f"{path}: block {missing[0]} missing ({len(missing)} of {len(names)})")
    return npz


def npz_block(npz, path, name: str, shape: Sequence[int]) -> np.ndarray:
    try:
        block = npz[name]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"{path}: block {name} unreadable ({exc})") from None
    _expect(path, f"block {name} has shape", block.shape, shape)
    return block


def read_sidecar(sidecar: str | Path) -> dict:
    try:
        with open(sidecar) as fh:
            meta = json.load(fh)
        shape = tuple(int(s) for s in meta["shape"])
        dtype = np.dtype(meta["dtype"])
        order = meta.get("order", "C")
    except FileNotFoundError:
        raise InputError(f"{sidecar}: missing input file") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{sidecar}: not a memmap sidecar with shape, dtype, order ({exc})"
        ) from None
    if order not in ("C", "F"):
        raise InputError(f"{sidecar}: order {order!r} is not C or F")
    return {"shape": shape, "dtype": dtype, "order": order}


def open_memmap(
    path: str | Path, sidecar: str | Path, shape: Sequence[int] | None = None
) -> np.memmap:
    """Map a raw file read-only with the shape and dtype its sidecar gives, after checking that
    the file has exactly that many bytes (and, if given, the expected ``shape``)."""
    meta = read_sidecar(sidecar)
    want = math.prod(meta["shape"]) * meta["dtype"].itemsize
    try:
        have = os.path.getsize(path)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    if have != want:
        raise InputError(
            f"{path}: {have} bytes on disk, but {sidecar} says shape {meta['shape']} "
            f"{meta['dtype']} = {want} bytes"
        )
    if shape is not None:
        _expect(sidecar, "shape", meta["shape"], shape)
    if meta["dtype"] != DTYPE:
        raise InputError(f"{sidecar}: dtype {meta['dtype']} differs from expected {DTYPE}")
    return np.memmap(path, dtype=meta["dtype"], mode="r", shape=meta["shape"], order=meta["order"])


def open_h5(path: str | Path):
    import h5py

    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except OSError as exc:
        raise InputError(f"{path}: not a readable HDF5 file ({exc})") from None


def hdf5_datasets(f, path, names: Sequence[str], shape: Sequence[int]) -> list:
    """The per-block datasets of ``random.hdf5``, each present and of the block shape."""
    import h5py

    out = []
    for name in names:
        ds = f.get(name)
        if not isinstance(ds, h5py.Dataset):
            raise InputError(f"{path}: dataset {name} missing")
        _expect(path, f"dataset {name} has shape", ds.shape, shape)
        if ds.dtype != DTYPE:
            raise InputError(f"{path}: dataset {name} has dtype {ds.dtype}, expected {DTYPE}")
        out.append(ds)
    return out


def verify_checksum(path, ds, block: np.ndarray) -> None:
    stored = ds.attrs.get("checksum")
    if stored is not None and not isinstance(stored, str):
        stored = stored.decode() if isinstance(stored, bytes) else str(stored)
    if stored != checksum(block):
        raise InputError(
            f"{path}: dataset {ds.name.lstrip('/')}: checksum {stored} differs from its data"
        )


def hdf5_chunked_dataset(f, path, full_shape: Sequence[int]):
    import h5py

    ds = f.get(CHUNKED_DATASET)
    if not isinstance(ds, h5py.Dataset):
        raise InputError(f"{path}: dataset {CHUNKED_DATASET} missing")
    _expect(path, f"dataset {CHUNKED_DATASET} has shape", ds.shape, full_shape)
    if ds.dtype != DTYPE:
        raise InputError(
            f"{path}: dataset {CHUNKED_DATASET} has dtype {ds.dtype}, expected {DTYPE}"
        )
    return ds


def open_zarr(path: str | Path, full_shape: Sequence[int]):
    import zarr

    if not Path(path).is_dir():
        raise InputError(f"{path}: missing Zarr store")
    try:
        z = zarr.open_array(str(path), mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a readable Zarr array ({exc})") from None
    _expect(path, "shape", z.shape, full_shape)
    if z.dtype != DTYPE:
        raise InputError(f"{path}: dtype {z.dtype} differs from expected {DTYPE}")
    return z


def hdf5_listing(path: str | Path) -> list[dict]:
    """Like the lesson's ``f.visit(print)``: every dataset's name, shape and created attribute."""
    import h5py

    rows = []
    with open_h5(path) as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                created = obj.attrs.get("created", "")
                if isinstance(created, bytes):
                    created = created.decode()
                rows.append(
                    {"name": name, "shape": "x".join(map(str, obj.shape)), "created": str(created)}
                )

        f.visititems(visit)
    return rows


def write_listing(path: str | Path, rows: Sequence[dict]) -> None:
    write_csv(path, rows, ["name", "shape", "created"], lineterminator="\r\n", delimiter="\t")
