"""File helpers shared by every rule: atomic writes, scratch directories, checked loading.

Every output is written under a temporary name in its own directory and renamed into place
only when complete, so an interrupted or failed job never leaves a half-written file that a
later rule would accept. The temporary name is fixed per output (``.<name>.tmp``): a job killed
mid-write (``kill -9``, a lost node) leaves it behind, and the next write of that output, i.e.
the re-run of the same rule, removes it first. Scratch directories of a rule work the same way
(:func:`scratch_dir`). A write that runs out of space fails with
:class:`sda.disk.DiskFullError` naming the file (see :mod:`sda.disk`) and leaves nothing.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import glob
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from sda.disk import DiskFullError, free_bytes, is_no_space, no_space_error, require_free

# Temporary names of earlier versions: tempfile.mkstemp's ".<name>.<8 characters>.tmp<suffix>"
_OLD_TMP = r"\.{name}\.[a-z0-9_]{{8}}\.tmp"


class InputError(RuntimeError):
    """A corrupt, truncated or mismatched input file; the message names the file."""


def temp_path(path: str | os.PathLike, suffix: str = "") -> Path:
    """The temporary name of ``path`` while it is written: ``.<name>.tmp<suffix>`` beside it."""
    path = Path(path)
    return path.parent / f".{path.name}.tmp{suffix}"


def remove(path: Path) -> None:
    """Remove a file, a symlink or a directory tree; nothing if it does not exist."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_temp(tmp: Path) -> None:
    """Remove a temporary file or directory, and the files a library keeps beside it under its
    name (SQLite's ``<name>-journal``, ``-wal``, ``-shm``)."""
    remove(tmp)
    for sibling in tmp.parent.glob(glob.escape(tmp.name) + "-*"):
        remove(sibling)


def remove_stale(path: str | os.PathLike, suffix: str = "") -> None:
    """Remove what an interrupted write of ``path`` left: its temporary file or directory
    (also under the random names earlier versions used)."""
    path = Path(path)
    remove_temp(temp_path(path, suffix))
    old = re.compile(_OLD_TMP.format(name=re.escape(path.name)))
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(path.parent):
            if entry.name.startswith(f".{path.name}.") and old.match(entry.name):
                remove(Path(entry.path))


def disk_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a directory (0 if absent)."""
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, suffix: str = "", size: int | None = None
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    ``suffix`` keeps an extension that a library insists on (``np.save`` appends ``.npy``).
    A temporary file left by an interrupted earlier write is removed first. On error the
    temporary file (or directory) is removed and the exception propagates; a full disk is
    raised as :class:`sda.disk.DiskFullError` naming ``path``, the bytes needed (``size``, the
    expected size of the output, if the writer knows it) and the free space.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path, suffix)
    tmp = temp_path(path, suffix)
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException as exc:
        full = (
            isinstance(exc, Exception)
            and not isinstance(exc, DiskFullError)
            and is_no_space(exc, path.parent)
        )
        written = disk_bytes(tmp) if full else 0
        before = free_bytes(path.parent) if full else 0
        remove_temp(tmp)
        if full:
            # A library may still hold the removed file open (h5py, when it cannot flush), so
            # its space comes free only when the job's process exits: count it as free.
            free = max(free_bytes(path.parent), before + written)
            raise no_space_error(path, size, written, free) from None
        raise


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, mode: str = "wb", size: int | None = None, **kwargs
) -> Iterator:
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` on success.

    ``size``: the expected bytes, for the message of a full disk (see :func:`atomic_path`)."""
    with atomic_path(path, size=size) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_json(path: str | os.PathLike, data: Mapping) -> None:
    """A JSON object, indented and with sorted keys (the same bytes for the same data),
    atomically."""
    with atomic_write(path, "w") as fh:
        json.dump(dict(data), fh, indent=2, sort_keys=True)
        fh.write("\n")


def write_csv(
    path: str | os.PathLike,
    rows: Iterable[Sequence | Mapping],
    header: Sequence[str],
    lineterminator: str = "\n",
    delimiter: str = ",",
) -> None:
    """A UTF-8 CSV of a header and rows, atomically: the one CSV writer of the package. A row
    is a sequence in the header's order, or a mapping by column (a missing column is empty, an
    unknown one an error). Lines end in ``\n``; measurement tables keep the ``\r\n`` of
    Python's ``csv`` module that they have always had (``lineterminator``)."""
    header = list(header)
    with atomic_write(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator=lineterminator, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            if isinstance(row, Mapping):
                unknown = set(row) - set(header)
                if unknown:
                    raise ValueError(f"{path}: columns {sorted(unknown)} are not in {header}")
                row = [row.get(col, "") for col in header]
            writer.writerow(row)


def now_iso() -> str:
    """The current time in UTC, ISO 8601 to the second (fixed width)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def scratch_dir(path: str | os.PathLike, needed: int = 0) -> Iterator[Path]:
    """A rule's scratch directory ``path``, empty, removed when the block ends however it ends.

    Whatever a killed earlier run left there is removed first, so the re-run of the rule
    cleans up after the crash. With ``needed`` (bytes the block will write), fail before
    writing when the filesystem has less free (:func:`sda.disk.require_free`)."""
    path = Path(path)
    remove(path)
    if needed:
        require_free(path, needed)
    path.mkdir(parents=True)
    try:
        yield path
    except Exception as exc:
        if not isinstance(exc, DiskFullError) and is_no_space(exc, path):
            written = disk_bytes(path)
            remove(path)
            raise no_space_error(path, needed or None, written) from None
        raise
    finally:
        remove(path)


def npy_size(array: np.ndarray) -> int:
    """Size of ``array`` as a ``.npy`` file (header of at most 128 bytes for 2-D arrays)."""
    return int(array.nbytes) + 128


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """``np.save`` to ``path`` atomically."""
    with atomic_write(path, size=npy_size(array)) as fh:
        np.save(fh, array, allow_pickle=False)


def load_npy(
    path: str | os.PathLike,
    shape: tuple[int, ...] | None = None,
    dtype: np.dtype | str | None = None,
    mmap_mode: str | None = None,
) -> np.ndarray:
    """Load a ``.npy`` file; raise :class:`InputError` naming the file if it is unreadable,
    truncated, or not of the expected shape and dtype."""
    try:
        array = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({exc})") from None
    if shape is not None and tuple(array.shape) != tuple(shape):
        raise InputError(f"{path}: shape {tuple(array.shape)} differs from expected {tuple(shape)}")
    if dtype is not None and array.dtype != np.dtype(dtype):
        raise InputError(f"{path}: dtype {array.dtype} differs from expected {np.dtype(dtype)}")
    return array


def read_table(
    path: str | os.PathLike,
    columns: tuple[str, ...] | list[str] = (),
    numeric: tuple[str, ...] | list[str] | bool = (),
    **kwargs,
):
    """``pandas.read_csv`` of a result file, checked: raise :class:`InputError` naming the file
    when it is missing, unreadable, has no rows, lacks one of ``columns`` or ``numeric``, or has
    a value that is not a number in a ``numeric`` column (``True``: every column but
    ``columns``)."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    if numeric is True:
        numeric = [c for c in frame.columns if c not in columns]
    numeric = list(numeric or ())
    missing = [c for c in [*columns, *numeric] if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise InputError(f"{path}: no column {missing[0]!r} (columns: {have})")
    if frame.empty:
        raise InputError(f"{path}: no rows")
    for col in numeric:
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            raise InputError(f"{path}: column {col!r} holds values that are not numbers")
    return frame


def read_json(path: str | os.PathLike, keys: tuple[str, ...] | list[str] = ()) -> dict:
    """A JSON object from a result file, checked: raise :class:`InputError` naming the file when
    it is missing, not JSON, not an object, or lacks one of ``keys``."""
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise InputError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object (a {type(data).__name__})")
    missing = [k for k in keys if k not in data]
    if missing:
        raise InputError(f"{path}: no key {missing[0]!r}")
    return data
