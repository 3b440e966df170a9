"""Free space: checks before heavy jobs start, and disk-full errors that say so.

A job that runs out of space fails with one line naming the file, what it needed and what is
free where: ``results/stores/random.dat: no space left on device (needed about 800 MB, 312 MB
free on /scratch)``. Libraries report a full disk in many ways (``OSError`` with errno 28,
numpy's ``90000 requested and 69104 written``, SQLite's ``database or disk is full``, HDF5's
``errno = 28``); :func:`is_no_space` recognises them all, :func:`no_space_error` turns one into
:class:`DiskFullError`. Heavy rules call :func:`require_free` first and fail before writing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import sys
from pathlib import Path

MB = 10**6
NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
NO_SPACE_TEXT = (
    "no space left on device",
    "disk is full",  # sqlite3: database or disk is full
    "disk quota exceeded",
    "errno = 28",  # HDF5's error stack
    "errno 28",
)
SHORT_WRITE = re.compile(r"(\d+) requested and (\d+) written")  # numpy's tofile / np.save


FALLOC_FL_KEEP_SIZE = 1  # linux/falloc.h


class DiskFullError(RuntimeError):
    """Not enough space for an output; the message names the file, the need and the mount."""


def existing_ancestor(path: str | os.PathLike) -> Path:
    """``path`` or its nearest existing parent (what a not-yet-written output will live on)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def mount_point(path: str | os.PathLike) -> Path:
    """The mount point of the filesystem holding ``path``."""
    path = existing_ancestor(path)
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def free_bytes(path: str | os.PathLike) -> int:
    """Bytes available to this user on the filesystem of ``path``."""
    st = os.statvfs(existing_ancestor(path))
    return st.f_bavail * st.f_frsize


def megabytes(n: float) -> str:
    """``45 MB``, ``2.2 MB``, ``0.03 MB``: decimal megabytes, as ``df -H`` counts."""
    x = n / MB
    if x >= 10:
        return f"{x:.0f} MB"
    return f"{x:.1f} MB" if x >= 1 else f"{x:.2f} MB"


def require_free(path: str | os.PathLike, needed: int) -> None:
    """Fail before writing when ``path``'s filesystem has less than ``needed`` bytes free."""
    free = free_bytes(path)
    if needed > free:
        raise DiskFullError(
            f"{path}: not enough free space (needs about {megabytes(needed)}, "
            f"{megabytes(free)} free on {mount_point(path)}, {megabytes(needed - free)} short)"
        )


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def short_write(exc: BaseException) -> tuple[int, int] | None:
    """(requested, written) of numpy's short-write ``OSError``, else None."""
    for e in _chain(exc):
        match = SHORT_WRITE.search(str(e))
        if isinstance(e, OSError) and match:
            return int(match.group(1)), int(match.group(2))
    return None


def is_no_space(exc: BaseException, path: str | os.PathLike | None = None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a full disk or quota.

    numpy's short write has no errno (its counts are items, not bytes): it counts as a full
    disk when the filesystem of ``path`` has less than 1 MiB free, or less than the items that
    were not written, right after it."""
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in NO_SPACE_ERRNOS:
            return True
        text = str(e).lower()
        if any(t in text for t in NO_SPACE_TEXT):
            return True
    sizes = short_write(exc)
    if not sizes or path is None:
        return False
    requested, written = sizes
    return free_bytes(path) < max(2**20, requested - written)


def no_space_error(
    path: str | os.PathLike, needed: int | None, written: int = 0, free: int | None = None
) -> DiskFullError:
    """The error of a write of ``path`` that ran out of space, after its temporary file is gone.

    ``needed`` is the expected size of the output when the writer knows it; otherwise the bytes
    ``written`` before the failure are a lower bound. ``free``: the bytes free once the failed
    job is gone (default: free now)."""
    if needed:
        need = f"needed about {megabytes(needed)}"
    else:
        need = f"needed more than {megabytes(written)}"
    free = free_bytes(path) if free is None else free
    return DiskFullError(
        f"{path}: no space left on device ({need}, {megabytes(free)} free on {mount_point(path)})"
    )


def reserve(path: str | os.PathLike, nbytes: int) -> bool:
    """Reserve ``nbytes`` of disk for the existing file ``path``, without changing its size
    (Linux ``fallocate`` with ``FALLOC_FL_KEEP_SIZE``): writes up to that size then cannot fail
    for lack of space. For writers that cannot recover from a full disk mid-write (HDF5).

    Raises ``OSError`` (errno 28) when the filesystem has not room; returns False where the
    platform or the filesystem cannot reserve space (then only :func:`require_free` helps)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fallocate = libc.fallocate
    except (OSError, AttributeError):
        return False
    fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fd = os.open(path, os.O_WRONLY)
    try:
        if fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, int(nbytes)) == 0:
            return True
        code = ctypes.get_errno()
    finally:
        os.close(fd)
    if code in NO_SPACE_ERRNOS:
        raise OSError(code, os.strerror(code), str(path))
    return False  # EOPNOTSUPP and the like: this filesystem does not reserve


def release_reserved(path: str | os.PathLike) -> None:
    """Give back what :func:`reserve` set aside beyond the end of ``path`` (a truncation to
    its own size does not, on every filesystem: grow by one byte, then shrink back)."""
    size = os.path.getsize(path)
    with contextlib.suppress(OSError):
        os.truncate(path, size + 1)
        os.truncate(path, size)
