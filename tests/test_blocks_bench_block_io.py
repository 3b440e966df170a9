"""sda.blocks.bench_block_io: a block's load measured in a child process of its own."""

from __future__ import annotations

import numpy as np


def test_load_peak_is_measured_in_the_child_even_under_a_big_parent(tmp_path):
    from sda.blocks.bench_block_io import load_peak
    from sda.measure.process import vm_hwm

    path = tmp_path / "x000000.npy"
    np.save(path, np.ones((500, 1000)))  # 4 MB
    ballast = np.ones(50 * 2**20 // 8)  # the parent holds 50 MiB: must not hide the child's load
    m = load_peak(path, "npy")
    nbytes = m.result
    assert nbytes == 4_000_000
    assert nbytes <= m.traced_bytes < 2 * nbytes
    assert m.peak_increment >= nbytes // 2, "max-RSS increment must see the loaded array"
    assert m.peak_bytes < vm_hwm()  # the child's own peak, not this process's
    del ballast
