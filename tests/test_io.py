"""sda.io: atomic writes (nothing half-written, what a killed write left removed by the next),
scratch directories, and checked reads that name the file."""

from __future__ import annotations

import re

import pytest

from oracles import expected_block
from sda.disk import DiskFullError
from sda.io import (
    InputError,
    atomic_path,
    atomic_write,
    load_npy,
    read_json,
    read_table,
    save_npy,
    scratch_dir,
    temp_path,
)

# a block of 50 x 7 normal numbers (blocks.seed 3)
BLOCK = {"seed": 3, "mean": 100.0, "sd": 10.0, "rows": 50, "cols": 7}


# --- atomic writes ---------------------------------------------------------------------------


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


def test_the_next_write_removes_what_a_killed_write_left(tmp_path):
    out = tmp_path / "lahman.sqlite"
    stale = temp_path(out, ".sqlite")
    stale.write_bytes(b"half a database")
    legacy = tmp_path / ".lahman.sqlite.k3j_x9ab.tmp.sqlite"  # mkstemp's names, older versions
    legacy.write_bytes(b"older half")
    unrelated = tmp_path / ".lahman.sqlite.keep"
    unrelated.write_bytes(b"not ours")
    with atomic_path(out, suffix=".sqlite") as tmp:
        assert tmp == stale and not tmp.exists()
        tmp.write_bytes(b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lahman.sqlite.keep", "lahman.sqlite"]


def test_a_killed_directory_write_is_removed_too(tmp_path):
    out = tmp_path / "random.zarr"
    stale = temp_path(out)
    (stale / "c" / "0").mkdir(parents=True)
    (stale / "c" / "0" / "0").write_bytes(b"chunk")
    with atomic_path(out) as tmp:
        assert not tmp.exists()
        tmp.mkdir()
        (tmp / "zarr.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["random.zarr"]


def test_scratch_dir_is_emptied_first_and_removed_however_it_ends(tmp_path):
    scratch = tmp_path / ".stores.csv.scratch"
    (scratch / "npy").mkdir(parents=True)
    (scratch / "npy" / "x000000.npy").write_bytes(b"left by a killed run")
    with scratch_dir(scratch) as d:
        assert d.is_dir() and list(d.iterdir()) == []
        (d / "a").write_text("x")
    assert not scratch.exists()
    with pytest.raises(RuntimeError, match="boom"), scratch_dir(scratch) as d:
        (d / "a").write_text("x")
        raise RuntimeError("boom")
    assert not scratch.exists()


def test_scratch_dir_checks_the_free_space_first(tmp_path, monkeypatch):
    monkeypatch.setattr("sda.disk.free_bytes", lambda path: 10**6)
    with pytest.raises(
        DiskFullError, match=r"\.scratch: not enough free space \(needs about 2\.0 MB"
    ):
        with scratch_dir(tmp_path / ".x.scratch", needed=2 * 10**6):
            pytest.fail("the block must not run")
    assert list(tmp_path.iterdir()) == []


# --- checked reads ---------------------------------------------------------------------------


def test_load_npy_names_corrupt_and_truncated_files(tmp_path):
    good = tmp_path / "x000000.npy"
    save_npy(good, expected_block(BLOCK, 0))
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


@pytest.mark.parametrize(
    "content, kwargs, message",
    [
        (None, {}, "missing input file"),
        (b"", {}, "not a readable CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage", {}, "not a readable CSV file"),
        (b"word,n\n", {"columns": ["word"]}, "no rows"),
        (b"wrd,n\nthe,3\n", {"columns": ["word"]}, "no column 'word' (columns: wrd, n)"),
        (b"word,n\nthe,3\nof,many\n", {"numeric": ["n"]}, "column 'n' holds values that are not"),
        (b'word,n\n"the,3\n', {}, "not a readable CSV file"),
    ],
)
def test_read_table_names_the_file(tmp_path, content, kwargs, message):
    path = tmp_path / "top10.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_table(path, **kwargs)


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"mean": 1.0', "not a readable JSON file"),
        (b"\xff\xfe", "not a readable JSON file"),
        (b"[1, 2]", "not a JSON object (a list)"),
        (b'{"mean": 1.0}', "no key 'count'"),
    ],
)
def test_read_json_names_the_file(tmp_path, content, message):
    path = tmp_path / "array_summary.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_json(path, ["mean", "count"])


def test_read_table_every_other_column_numeric(tmp_path):
    """block_means.csv: a label column, then a number per source."""
    path = tmp_path / "block_means.csv"
    path.write_text("block,npy,dask_npy\nx000000,100.5,100.5\nx000001,99.2,99.2\n")
    assert list(read_table(path, ["block"], numeric=True)["npy"]) == [100.5, 99.2]
    path.write_text("block,npy,dask_npy\nx000000,100.5,nan?\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: column 'dask_npy'")):
        read_table(path, ["block"], numeric=True)
