"""The timer and the order of runs: every benchmark times with these.

- :func:`timed` is the timer (``time.perf_counter`` around a call), :func:`timed_call` the same
  for one call whose result is kept, :func:`warm_median` the median of repeats after an untimed
  warm-up run.
- :func:`rounds` orders the runs of several methods: round ``r`` runs them in order, the next
  round in reverse (A B, B A, A B ...: ABBA over two rounds), so a drift of the machine's state
  (page cache, clock, other jobs) hits every method alike. :func:`abba` is the same for one
  source against its baseline inside a round: baseline, source, source, baseline.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def timed(fn: Callable[[], object], repeats: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn``."""
    return [timed_call(fn)[1] for _ in range(repeats)]


def timed_call(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its wall-clock seconds."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def warm_median(fn: Callable[[], T], repeats: int) -> tuple[T, float]:
    """The result of ``fn()`` and the median of ``repeats`` (at least 1) wall times, after one
    untimed run (imports, compile caches, the first read of a file)."""
    result = fn()
    return result, statistics.median(timed(fn, max(1, repeats)))


def round_order(methods: Sequence[str], r: int) -> list[str]:
    """The order of the methods in round ``r``: as given, every other round reversed."""
    return list(methods) if r % 2 == 0 else list(reversed(methods))


def rounds(methods: Sequence[str], repeats: int) -> Iterator[tuple[int, str]]:
    """(round, method) of ``repeats`` rounds in :func:`round_order`."""
    for r in range(repeats):
        for method in round_order(methods, r):
            yield r, method


def alternating(runs: Mapping[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each of ``runs``, ``repeats`` times each, in the order of :func:`rounds`."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _, name in rounds(list(runs), repeats):
        times[name] += timed(runs[name])
    return times


def abba(
    baseline: Callable[[], object], source: Callable[[], object], warmup: int = 1
) -> tuple[list[float], list[float]]:
    """``warmup`` discarded runs of both, then baseline, source, source, baseline: the same
    warm-up and the same mean position for both. Returns (baseline seconds, source seconds)."""
    for _ in range(warmup):
        baseline()
        source()
    b1 = timed(baseline)
    s = timed(source, 2)
    return b1 + timed(baseline), s


def paired_ratio(times: Sequence[float], baseline_times: Sequence[float]) -> float:
    """Median of ``times`` over the median of the baseline runs paired with them."""
    return statistics.median(times) / statistics.median(baseline_times)
