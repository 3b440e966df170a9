"""What every benchmark shares: one timer, one order of runs, one fresh-process runner, one row.

- :func:`timed` is the timer (``time.perf_counter`` around a call), :func:`timed_call` the same
  for one call whose result is kept.
- :func:`rounds` orders the runs of several methods: round ``r`` runs them in order, the next
  round in reverse (A B, B A, A B ...: ABBA over two rounds), so a drift of the machine's state
  (page cache, clock, other jobs) hits every method alike. :func:`abba` is the same for one
  source against its baseline inside a round: baseline, source, source, baseline.
- :func:`fresh_process` runs one call in a new Python process and returns its seconds, its
  result and its peak memory: ``VmHWM`` from ``/proc/self/status`` (the peak resident set of
  that process image; ``getrusage``'s ``ru_maxrss`` survives ``execve``, so a child started by a
  big parent would report the parent's peak and hide its own).
- :func:`row` is the one row layout of every benchmark CSV (:data:`FIELDS`): what was measured,
  by which method, its median seconds over ``repeats`` runs, its peak memory, the threads it
  used, its ratio to ``baseline`` (another method of the same ``what``), whether its result is
  identical to the baseline's, the bytes it wrote or read, and a note.
"""

from __future__ import annotations

import csv
import json
import pickle
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sda.io import InputError, atomic_write

FIELDS = [
    "what", "method", "seconds", "repeats", "peak_mib", "threads", "ratio", "baseline",
    "identical", "bytes", "note",
]  # fmt: skip
SCRIPTS = Path(__file__).resolve().parents[2]  # the directory holding the sda package


def timed(fn: Callable[[], object], repeats: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn``."""
    return [timed_call(fn)[1] for _ in range(repeats)]


def timed_call(fn: Callable[[], object]) -> tuple[object, float]:
    """``fn()`` and its wall-clock seconds."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


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


@dataclass(frozen=True)
class Measured:
    """One call in a fresh process: its seconds, result and peak memory."""

    seconds: float
    result: object
    peak_bytes: int  # VmHWM of the process at the end (plus its children's, if it had any)
    peak_increment: int  # VmHWM after the call minus VmHWM before it
    traced_bytes: int  # tracemalloc's peak during the call (numpy buffers included)


_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from sda.bench.harness import _child
_child(sys.argv[2])
"""


def high_water_mark() -> int:
    """Peak resident bytes of this process image (``VmHWM``)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("/proc/self/status has no VmHWM line: peak memory needs Linux")


def _child(spec: str) -> None:
    """The fresh process: import the function, then time one call of it."""
    import importlib
    import resource
    import tracemalloc

    job = json.loads(spec)
    module, name = job["function"].split(":")
    fn = getattr(importlib.import_module(module), name)
    for extra in job["imports"]:  # imports are no method's time
        importlib.import_module(extra)
    before = high_water_mark()
    tracemalloc.start()
    result, seconds = timed_call(lambda: fn(*job["args"]))
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    after = high_water_mark()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    with open(job["out"], "wb") as fh:
        pickle.dump((seconds, result, after + children, after - before, traced), fh)


def fresh_process(
    function: str, args: Sequence, scratch: Path, imports: Sequence[str] = ()
) -> Measured:
    """One call of ``function`` (``"module:name"``, JSON-able ``args``) in a new Python
    process, after importing its module and ``imports``. A child's :class:`InputError` is
    raised again here with its message; any other failure raises ``RuntimeError``."""
    out = Path(scratch) / "fresh_process.pkl"
    job = {"function": function, "args": list(args), "imports": list(imports), "out": str(out)}
    cmd = [sys.executable, "-c", _CHILD, str(SCRIPTS), json.dumps(job)]
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        if last.startswith("sda.io.InputError: "):  # a bad input: the same error, here
            raise InputError(last.removeprefix("sda.io.InputError: "))
        raise RuntimeError(f"{function} failed in a fresh process ({last})\n{proc.stderr[-4000:]}")
    with open(out, "rb") as fh:
        seconds, result, peak, increment, traced = pickle.load(fh)
    out.unlink()
    return Measured(seconds, result, peak, increment, traced)


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def row(
    what: str,
    method: str,
    *,
    repeats: int,
    threads: int,
    seconds: float | None = None,
    peak_bytes: float | None = None,
    ratio: float | None = None,
    baseline: str = "",
    identical: bool | None = None,
    nbytes: int | None = None,
    note: str = "",
) -> dict:
    """One benchmark row (:data:`FIELDS`); ``seconds`` is the median of ``repeats`` runs."""
    return {
        "what": what,
        "method": method,
        "seconds": _number(seconds, 6),
        "repeats": repeats,
        "peak_mib": _number(None if peak_bytes is None else peak_bytes / 2**20, 4),
        "threads": threads,
        "ratio": _number(ratio, 4),
        "baseline": baseline,
        "identical": "" if identical is None else ("yes" if identical else "no"),
        "bytes": "" if nbytes is None else int(nbytes),
        "note": note,
    }


def write_rows(path: str | Path, rows: Sequence[dict], fields: Sequence[str] = FIELDS) -> None:
    """Write measurement rows as CSV, atomically."""
    with atomic_write(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)
