"""Free space and a full disk: early checks, one clear message, nothing left behind.

The writers are run on a real, tiny filesystem (a tmpfs of 1 MB; root only, else skipped), so
each library's own way of reporting a full disk is what is recognised.
"""

from __future__ import annotations

import contextlib
import errno
import re
import sqlite3

import numpy as np
import pytest

import sda.stores.write
from conftest import small_filesystem
from sda.blocks.generate import write_csv_block
from sda.disk import (
    DiskFullError,
    free_bytes,
    is_no_space,
    megabytes,
    mount_point,
    no_space_error,
    require_free,
)
from sda.io import atomic_path, atomic_write, save_npy


def test_megabytes():
    assert [megabytes(n) for n in (45e6, 2.24e6, 3e4, 0)] == [
        "45 MB",
        "2.2 MB",
        "0.03 MB",
        "0.00 MB",
    ]


def test_mount_point_of_a_path_not_yet_written(tmp_path):
    assert mount_point(tmp_path / "results" / "x.npy") == mount_point(tmp_path)
    assert mount_point("/").as_posix() == "/"


@pytest.mark.parametrize(
    "exc, full",
    [
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (sqlite3.OperationalError("database or disk is full"), True),
        (OSError("Can't write data (file write failed: errno = 28, error message = 'x')"), True),
        (OSError(errno.EACCES, "Permission denied"), False),
        (ValueError("could not convert string to float"), False),
        (OSError("100 requested and 10 written"), True),  # numpy, and the disk below is full
    ],
)
def test_is_no_space(exc, full, tmp_path, monkeypatch):
    monkeypatch.setattr("sda.disk.free_bytes", lambda path: 4096)
    assert is_no_space(exc, tmp_path) is full


def test_a_short_write_with_room_left_is_not_a_full_disk(tmp_path, monkeypatch):
    monkeypatch.setattr("sda.disk.free_bytes", lambda path: 10**9)
    assert not is_no_space(OSError("100 requested and 10 written"), tmp_path)


def test_is_no_space_follows_the_chain(tmp_path):
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("zarr could not write a chunk") from inner
    except RuntimeError as outer:
        assert is_no_space(outer, tmp_path)


def test_require_free_names_path_need_free_mount_and_shortfall(tmp_path, monkeypatch):
    monkeypatch.setattr("sda.disk.free_bytes", lambda path: 30 * 10**6)
    require_free(tmp_path / "a", 29 * 10**6)
    with pytest.raises(DiskFullError) as info:
        require_free(tmp_path / "a", 45 * 10**6)
    assert str(info.value) == (
        f"{tmp_path / 'a'}: not enough free space (needs about 45 MB, 30 MB free on "
        f"{mount_point(tmp_path)}, 15 MB short)"
    )


def test_no_space_message(tmp_path, monkeypatch):
    monkeypatch.setattr("sda.disk.free_bytes", lambda path: 3 * 10**6)
    mount = mount_point(tmp_path)
    known = no_space_error(tmp_path / "x.npy", 8_000_128)
    assert (
        str(known)
        == f"{tmp_path}/x.npy: no space left on device (needed about 8.0 MB, 3.0 MB free on {mount})"
    )
    unknown = no_space_error(tmp_path / "x.csv", None, written=2_500_000)
    assert "(needed more than 2.5 MB, 3.0 MB free" in str(unknown)


# --- what a killed job leaves, and the next write of the same output -------------------------


# --- a real full disk: every kind of writer -------------------------------------------------


@pytest.fixture
def tiny_fs(tmp_path):
    with small_filesystem(tmp_path / "fs", "1m") as fs:
        yield fs


@pytest.fixture
def big_blocks(tmp_path) -> list[str]:
    """Two blocks of 2 MB each, outside the tiny filesystem."""
    paths = []
    for i in range(2):
        path = tmp_path / f"x{i:06d}.npy"
        np.save(path, np.random.default_rng(i).normal(size=(512, 512)))
        paths.append(str(path))
    return paths


def _sqlite(path):
    with atomic_path(path, suffix=".sqlite") as tmp, contextlib.closing(sqlite3.connect(tmp)) as c:
        c.execute("CREATE TABLE t (b BLOB)")
        c.executemany("INSERT INTO t VALUES (?)", [(bytes(1000),)] * 3000)
        c.commit()


def _parquet(path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"x": np.random.default_rng(0).normal(size=300_000)})
    with atomic_path(path, ".parquet") as tmp:
        pq.write_table(table, tmp, compression="none")


def _text(path):
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("word " * 500_000)


WRITERS = {  # name -> (write into the directory, given the blocks; the size is known)
    "npy": (lambda d, b: save_npy(d / "x.npy", np.zeros((512, 512))), True),
    "csv": (lambda d, b: write_csv_block(d / "x.csv", np.ones((300, 300)), "%.18e"), True),
    "npz": (lambda d, b: sda.stores.write.write_npz(d / "xs.npz", b, (512, 512)), True),
    "memmap": (
        lambda d, b: sda.stores.write.write_memmap(d / "r.dat", d / "r.dat.json", b, (512, 512)),
        True,
    ),
    "hdf5": (lambda d, b: sda.stores.write.write_hdf5(d / "r.hdf5", b, (512, 512)), True),
    "hdf5_chunked": (
        lambda d, b: sda.stores.write.write_hdf5_chunked(d / "c.hdf5", b, (512, 512)),
        True,
    ),
    "zarr": (lambda d, b: sda.stores.write.write_zarr(d / "r.zarr", b, (512, 512)), True),
    "sqlite": (lambda d, b: _sqlite(d / "db.sqlite"), False),
    "parquet": (lambda d, b: _parquet(d / "f.parquet"), False),
    "text": (lambda d, b: _text(d / "t.txt"), False),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_full_disk_fails_the_write_with_one_clear_message_and_leaves_nothing(
    writer, tiny_fs, big_blocks, monkeypatch
):
    monkeypatch.setattr(
        sda.stores.write, "start_store", lambda path, nbytes: None
    )  # no early check
    write, size_known = WRITERS[writer]
    with pytest.raises(DiskFullError) as info:
        write(tiny_fs, big_blocks)
    need = "about" if size_known else "more than"
    pattern = rf"{re.escape(str(tiny_fs))}/[\w.]+: no space left on device \(needed {need} [\d.]+ MB, [\d.]+ MB free on {re.escape(str(tiny_fs))}\)"
    assert re.fullmatch(pattern, str(info.value)), str(info.value)
    assert list(tiny_fs.iterdir()) == []  # no partial file, no temporary file
    assert free_bytes(tiny_fs) > 0.9 * 2**20  # nothing is held open either
    free = float(re.search(r"([\d.]+) MB free", str(info.value)).group(1))
    assert free > 0.9 * 2**20 / 1e6


def test_stores_check_the_free_space_before_writing(tiny_fs, big_blocks):
    with pytest.raises(
        DiskFullError, match=r"not enough free space \(needs about 4\.2 MB, 1\.0 MB free"
    ):
        sda.stores.write.write_memmap(
            tiny_fs / "r.dat", tiny_fs / "r.dat.json", big_blocks, (512, 512)
        )
    assert list(tiny_fs.iterdir()) == []
