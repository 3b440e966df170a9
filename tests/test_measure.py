"""sda.measure: the page cache evicted and measured (checked by the kernel's mincore, independently), the
machine's RAM and a process's peak RSS from /proc."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from oracles import meminfo_total, mincore_fraction
from sda.measure.pagecache import cached_fraction, evict, evict_checked, ram_bytes
from sda.measure.process import vm_hwm


def on_tmpfs(path: Path) -> bool:
    best, kind = "", ""
    with open("/proc/mounts") as fh:
        for line in fh:
            _, mnt, fstype, *_ = line.split()
            if str(path).startswith(mnt) and len(mnt) > len(best):
                best, kind = mnt, fstype
    return kind == "tmpfs"


def test_eviction_really_evicts(tmp_path):
    if on_tmpfs(tmp_path):
        pytest.skip(f"{tmp_path} is on tmpfs, whose pages cannot be evicted")
    path = tmp_path / "data.bin"
    path.write_bytes(np.random.default_rng(0).bytes(8 * 2**20))
    path.read_bytes()
    assert mincore_fraction(path) > 0.9  # written and read: cached
    assert cached_fraction([path]) == pytest.approx(mincore_fraction(path), abs=0.01)
    left = evict_checked([path])
    assert left < 0.01
    assert mincore_fraction(path) < 0.01  # the independent check agrees
    path.read_bytes()
    assert cached_fraction([path]) > 0.9  # read back: cached again


def test_ram_and_peak_rss_from_proc():
    assert ram_bytes() == meminfo_total()
    before = vm_hwm()
    big = np.ones(64 * 2**20 // 8)  # 64 MiB touched
    assert vm_hwm() >= before + 60 * 2**20 or before > 64 * 2**20
    del big


def test_evict_runs_on_store_files(stores):
    files = stores.files("zarr") + stores.files("memmap")
    before = [f.read_bytes() for f in files]
    assert evict(files) is hasattr(os, "posix_fadvise")  # True on Linux: eviction ran
    assert [f.read_bytes() for f in files] == before  # and left the data as it was
