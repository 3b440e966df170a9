"""The page cache, measured: how much of a file is cached, flushing and evicting it, the RAM.

A read is *cold* when its file's pages are not in the page cache. :func:`evict_checked` flushes
the files (``fsync``: only clean pages can be dropped), drops them with
``posix_fadvise(POSIX_FADV_DONTNEED)`` (:func:`evict`) and then asks the kernel with
``mincore(2)`` how many of their pages are still resident: a failed eviction is reported as a
fraction, not hidden.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import mmap
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

PAGE = mmap.PAGESIZE
_PROT_READ, _MAP_SHARED = 0x1, 0x01
_MAP_FAILED = ctypes.c_void_p(-1).value


def _libc():
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_long,
    ]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    return libc


def resident_pages(path: str | os.PathLike) -> tuple[int, int]:
    """(pages of ``path`` in the page cache, pages of ``path``), by ``mincore`` on a read-only
    mapping of the whole file. Mapping does not read the file: no page is brought in."""
    size = os.path.getsize(path)
    pages = (size + PAGE - 1) // PAGE
    if size == 0:
        return 0, 0
    libc = _libc()
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, _PROT_READ, _MAP_SHARED, fd, 0)
        if addr in (None, _MAP_FAILED):
            err = ctypes.get_errno()
            raise OSError(err, f"mmap: {os.strerror(err)}", str(path))
        try:
            vec = ctypes.create_string_buffer(pages)
            if libc.mincore(addr, size, vec) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"mincore: {os.strerror(err)}", str(path))
            return sum(b & 1 for b in vec.raw), pages
        finally:
            libc.munmap(addr, size)
    finally:
        os.close(fd)


def cached_fraction(paths: Iterable[str | os.PathLike]) -> float:
    """Fraction (0..1) of the pages of ``paths`` that are in the page cache now."""
    resident = total = 0
    for p in paths:
        r, t = resident_pages(p)
        resident, total = resident + r, total + t
    return resident / total if total else 0.0


def fsync_paths(paths: Sequence[str | os.PathLike]) -> None:
    """Flush the files and the directories that hold them to disk."""
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for d in sorted({str(Path(p).parent) for p in paths}):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def evict(paths: Sequence[Path]) -> bool:
    """Drop the files' pages from the page cache (``POSIX_FADV_DONTNEED``) so that the next
    read comes from disk; False where the platform cannot."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            with contextlib.suppress(OSError):
                os.fsync(fd)  # only clean pages can be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def evict_checked(paths: Sequence[str | os.PathLike]) -> float:
    """Flush and drop ``paths`` from the page cache; return the fraction still cached after
    (0.0: evicted; 1.0 where the platform has no ``posix_fadvise``)."""
    if not evict([Path(p) for p in paths]):
        return 1.0
    return cached_fraction(paths)


def meminfo(key: str) -> int:
    """A ``/proc/meminfo`` value in bytes (``MemTotal``, ``Cached`` ...)."""
    with open("/proc/meminfo") as fh:
        for line in fh:
            name, _, rest = line.partition(":")
            if name == key:
                return int(rest.split()[0]) * 1024
    raise KeyError(f"/proc/meminfo has no {key}")


def ram_bytes() -> int:
    """The machine's RAM (``MemTotal``)."""
    return meminfo("MemTotal")
