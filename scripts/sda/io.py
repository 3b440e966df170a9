"""File helpers shared by every rule: atomic writes and checked loading of blocks.

Every output is written under a temporary name in its own directory and renamed into place
only when complete, so an interrupted or failed job never leaves a half-written file that a
later rule would accept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


class InputError(RuntimeError):
    """A corrupt, truncated or mismatched input file; the message names the file."""


def _tmp_name(path: Path, suffix: str = "") -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    ``suffix`` keeps an extension that a library insists on (``np.save`` appends ``.npy``).
    On error the temporary file (or directory) is removed and the exception propagates.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path, suffix)
    tmp.unlink()
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **kwargs) -> Iterator:
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` on success."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """``np.save`` to ``path`` atomically."""
    with atomic_write(path) as fh:
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
