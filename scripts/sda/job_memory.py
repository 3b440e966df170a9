"""Resources of rules that depend on the attempt: memory that grows when Slurm retries a job."""

from __future__ import annotations

from collections.abc import Callable


def mem_by_attempt(mb: int) -> Callable[..., int]:
    """``mem_mb`` of a rule whose memory grows with its data: ``mb`` on the first attempt and
    ``mb`` x attempt on a retry, so a job Slurm killed for its memory is resubmitted with more
    (the SLURM profile sets ``retries``; a local run has one attempt)."""

    def mem_mb(wildcards, attempt: int) -> int:
        return mb * attempt

    return mem_mb
