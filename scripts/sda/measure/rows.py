"""The one row layout of every benchmark CSV, and its writer.

:func:`row` makes a row of :data:`FIELDS`: what was measured, by which method, its median
seconds over ``repeats`` runs, their spread (``min_s``, ``max_s``: a ratio within the spread is
noise) and the untimed first run's seconds where there was one (``first_s``: imports and a cold
cache, left out of the median), its peak memory, the threads it used, its ratio to ``baseline``
(another method of the same ``what``), whether its result is identical to the baseline's, the
bytes it wrote or read, and a note. :func:`write_rows` writes them (with :func:`sda.io.write_csv`,
the package's one CSV writer, ending lines as Python's ``csv`` module does).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sda.io import write_csv

FIELDS = [
    "what", "method", "seconds", "repeats", "min_s", "max_s", "first_s", "peak_mib", "threads",
    "ratio", "baseline", "identical", "bytes", "note",
]  # fmt: skip


def timing_cells(times: Sequence[float] = (), first: float | None = None) -> dict[str, str]:
    """The cells ``min_s``, ``max_s`` (the spread of the timed runs ``times``) and ``first_s``
    (an untimed first run's seconds) of a benchmark row; empty where not measured. Every
    benchmark CSV with repeats uses them (this module's rows, ``engines.csv``)."""
    return {
        "min_s": _number(min(times), 6) if times else "",
        "max_s": _number(max(times), 6) if times else "",
        "first_s": _number(first, 6),
    }


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
    times: Sequence[float] = (),
    first: float | None = None,
) -> dict:
    """One benchmark row (:data:`FIELDS`); ``seconds`` is the median of ``repeats`` runs,
    ``times`` those runs (their minimum and maximum are shown), ``first`` an untimed first
    run's seconds."""
    return {
        "what": what,
        "method": method,
        "seconds": _number(seconds, 6),
        "repeats": repeats,
        **timing_cells(times, first),
        "peak_mib": _number(None if peak_bytes is None else peak_bytes / 2**20, 4),
        "threads": threads,
        "ratio": _number(ratio, 4),
        "baseline": baseline,
        "identical": "" if identical is None else ("yes" if identical else "no"),
        "bytes": "" if nbytes is None else int(nbytes),
        "note": note,
    }


def write_rows(path: str | Path, rows: Sequence[dict], fields: Sequence[str] = FIELDS) -> None:
    """Write measurement rows (mappings by column) as CSV, atomically."""
    write_csv(path, rows, fields, lineterminator="\r\n")
