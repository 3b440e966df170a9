"""sda.job_memory: a Slurm job's memory grows with its attempt."""

from __future__ import annotations

from sda.job_memory import mem_by_attempt


def test_memory_grows_with_the_attempt():
    mem = mem_by_attempt(600)
    assert [mem(None, attempt=a) for a in (1, 2, 3)] == [600, 1200, 1800]
