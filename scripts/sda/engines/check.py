"""How an engine's result compares with the workflow's: the verdict a benchmark row carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """``identical``: the same values as the workflow's result file; ``difference``: the
    largest relative difference (0 when identical; what it measures is the workload's, said
    in its module); ``ok``: within the workload's tolerance or its documented difference;
    ``note``: what differs and why, for the row and the report."""

    identical: bool
    difference: float
    ok: bool
    note: str = ""


def relative_difference(got, want) -> float:
    """Largest ``|got - want| / |want|`` over paired numbers (``|got - want|`` where ``want``
    is 0); 0 for two empty sequences. NaN in the same place on both sides counts as equal."""
    import numpy as np

    got = np.asarray(got, dtype="float64")
    want = np.asarray(want, dtype="float64")
    if got.shape != want.shape:
        return float("inf")
    both_nan = np.isnan(got) & np.isnan(want)
    diff = np.abs(got - want)
    scale = np.where(want == 0, 1.0, np.abs(want))
    rel = np.where(both_nan, 0.0, diff / scale)
    return float(np.max(rel, initial=0.0)) if rel.size else 0.0
