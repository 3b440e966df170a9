"""The engines benchmark: every engine of a workload in a fresh process, the same threads,
warm, alternating, medians; each result checked against the workflow's; one row per engine.

A :class:`Workload` names its engines (a function ``"module:name"`` with JSON-able arguments,
run by :func:`sda.measure.process.fresh_process`), the rule's result file as the reference,
and how a result compares with it (:class:`sda.engines.check.Check`). :func:`measure_workload`
runs one untimed round of every engine (page cache and the engines' lazy set-ups warm; its
results are the ones checked; its time is the row's ``first_s``), then ``repeats`` timed
rounds in alternating order (:func:`sda.measure.timing.round_order`): the row's ``seconds`` is
their median, ``min_s`` and ``max_s`` their spread. Every child gets ``POLARS_MAX_THREADS``
(polars reads it when imported); DuckDB and dask get ``threads`` as an argument. Peak memory is
the largest ``VmHWM`` of the engine's processes: its imports included, the same for every
engine.

As in the public benchmarks (db-benchmark, coiled's), a failure is a row, not the end of the
benchmark: an engine that fails, or runs past ``timeout`` seconds (then killed), is not run
again and gets a row with ``status`` ``error`` or ``timeout`` and the message in its note; an
engine whose result is outside its tolerance gets ``status`` ``error`` and the difference. The
other engines are still measured; ratios are to the fastest engine whose status is ``ok``. Only
a failure of the workflow's own path (:data:`OURS`) fails the rule (:class:`EngineFailed`),
after every workload has run; nothing is written then.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sda.engines.check import Check
from sda.io import InputError
from sda.measure.process import TimedOut, fresh_process
from sda.measure.rows import timing_cells, write_rows
from sda.measure.timing import round_order

log = logging.getLogger(__name__)

OURS = "dask"  # the engine that is the workflow's own path
STATUSES = ("ok", "error", "timeout")
FIELDS = [
    "workload", "engine", "version", "threads", "repeats", "status", "seconds", "first_s",
    "min_s", "max_s", "peak_mib", "ratio", "identical", "max_difference", "note",
]  # fmt: skip


def engine_row(
    workload: str,
    engine: str,
    version: str,
    threads: int,
    repeats: int,
    seconds: float | None,
    status: str = "ok",
    times: Sequence[float] = (),
    first: float | None = None,
    **rest,
) -> dict:
    """One row of :data:`FIELDS`: the median ``seconds`` of ``repeats`` runs (``times``, whose
    minimum and maximum are shown), the untimed first run's ``first`` seconds, the ``status``,
    and what else was measured (``peak_mib``, ``ratio``, ``identical``, ``max_difference``,
    ``note``, as shown); the fields not given are left empty."""
    unknown = set(rest) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a column of engines.csv: {sorted(unknown)}")
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {STATUSES}")
    given = dict(
        workload=workload,
        engine=engine,
        version=version,
        threads=threads,
        repeats=repeats,
        status=status,
        seconds="" if seconds is None else f"{seconds:.6g}",
        **timing_cells(times, first),
        **rest,
    )
    return {f: given.get(f, "") for f in FIELDS}


class EngineFailed(RuntimeError):
    """The workflow's own path failed on a workload, or its result disagrees with the
    workflow's file."""


@dataclass(frozen=True)
class Engine:
    name: str
    function: str  # "module:name" of the call, run in a fresh process
    args: Sequence
    threads: int  # the threads it uses (1: an engine that runs a query on one thread)
    packages: Sequence[str]  # distributions whose versions the row shows
    imports: Sequence[str] = ()  # imported before the child's clock starts
    note: str = ""


@dataclass(frozen=True)
class Workload:
    name: str
    engines: Sequence[Engine]
    reference: Callable[[], object]  # the workflow's result, read from its rule's file
    compare: Callable[[str, object, object], Check]  # (engine, result, reference)
    extra_rows: list[dict] = field(default_factory=list)  # engine_row()s: the Parquet copy
    parts: Engine | None = None  # our path's parts: a call returning {part: seconds}


@dataclass
class Measured:
    engine: Engine
    times: list[float] = field(default_factory=list)
    peak_bytes: int = 0
    result: object = None
    first: float | None = None  # the untimed first run's seconds
    status: str = "ok"
    message: str = ""  # why the status is not ok


class _Failed(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def run_engine(workload: str, engine: Engine, threads: int, timeout: float | None = None):
    """One call of the engine in a fresh process; a failure or a timeout raises
    :class:`_Failed` with the status and the child's first line of message."""
    try:
        return fresh_process(
            engine.function,
            list(engine.args),
            imports=engine.imports,
            trace=False,
            env={"POLARS_MAX_THREADS": str(threads)},
            timeout=timeout,
        )
    except TimedOut as exc:
        raise _Failed("timeout", str(exc)) from exc
    except (InputError, RuntimeError) as exc:
        first = str(exc).splitlines()[0]
        raise _Failed(
            "error", f"engine {engine.name} failed on workload {workload}: {first}"
        ) from exc


def measure_workload(
    workload: Workload, repeats: int, threads: int, timeout: float | None = None
) -> list[Measured]:
    """A warm-up round, then ``repeats`` alternating rounds of every engine; an engine that
    fails or times out keeps its status and is not run again."""
    runs = {e.name: Measured(e) for e in workload.engines}
    names = list(runs)
    for r in range(-1, repeats):  # round -1: the warm-up, untimed, its results checked
        for name in round_order(names, max(r, 0)):
            got = runs[name]
            if got.status != "ok":
                continue
            try:
                m = run_engine(workload.name, got.engine, threads, timeout)
            except _Failed as failed:
                got.status, got.message = failed.status, failed.message
                log.warning("%s %s round %d: %s", workload.name, name, r, failed.message)
                continue
            got.peak_bytes = max(got.peak_bytes, m.peak_bytes)
            if r < 0:
                got.result, got.first = m.result, m.seconds
            else:
                got.times.append(m.seconds)
            log.info(
                "%s %s round %d: %.3f s, peak %.0f MiB",
                workload.name,
                name,
                r,
                m.seconds,
                m.peak_bytes / 2**20,
            )
    return list(runs.values())


def part_rows(
    workload: Workload, repeats: int, threads: int, timeout: float | None = None
) -> list[dict]:
    """Rows of where our path's time goes: the parts' medians over ``repeats`` fresh
    processes (each after the whole path once in the same process, so warm)."""
    from sda.engines.versions import versions

    engine = workload.parts
    if engine is None:
        return []
    version = versions(*engine.packages)
    seen: dict[str, list[float]] = {}
    for _ in range(repeats):
        try:
            parts = run_engine(workload.name, engine, threads, timeout).result
        except _Failed as failed:
            return [
                engine_row(
                    workload.name,
                    f"{engine.name}: its parts",
                    version,
                    engine.threads,
                    repeats,
                    None,
                    status=failed.status,
                    note=failed.message,
                )
            ]
        for part, seconds in parts.items():
            seen.setdefault(part, []).append(seconds)
    return [
        engine_row(
            workload.name,
            f"{engine.name}: {part}",
            version,
            engine.threads,
            repeats,
            statistics.median(times),
            times=times,
            note=engine.note,
        )
        for part, times in seen.items()
    ]


def workload_rows(workload: Workload, measured: Sequence[Measured], repeats: int) -> list[dict]:
    """Check every engine's result against the workflow's (out of tolerance: status
    ``error``), then one row per engine; ratios to the fastest engine with status ``ok``."""
    from sda.engines.versions import versions

    want = workload.reference()
    checks = {}
    for m in measured:
        if m.status != "ok":
            continue
        check = workload.compare(m.engine.name, m.result, want)
        checks[m.engine.name] = check
        if not check.ok:
            m.status = "error"
            m.message = (
                f"the result differs from the workflow's beyond its tolerance "
                f"(max difference {check.difference:.3g}{'; ' + check.note if check.note else ''})"
            )
    med = {m.engine.name: statistics.median(m.times) for m in measured if m.status == "ok"}
    fastest = min(med.values(), default=None)
    rows = []
    for m in measured:
        check = checks.get(m.engine.name)
        ok = m.status == "ok"
        note = "; ".join(n for n in (m.engine.note, m.message or (check and check.note)) if n)
        seconds = med.get(m.engine.name)
        rows.append(
            engine_row(
                workload.name,
                m.engine.name,
                versions(*m.engine.packages),
                m.engine.threads,
                repeats,
                seconds,
                status=m.status,
                times=m.times if ok else (),
                first=m.first,
                peak_mib=f"{m.peak_bytes / 2**20:.5g}" if m.peak_bytes else "",
                ratio=f"{seconds / fastest:.4g}" if ok and fastest else "",
                identical="" if check is None else ("yes" if check.identical else "no"),
                max_difference="" if check is None else f"{check.difference:.3g}",
                note=note,
            )
        )
    return rows + list(workload.extra_rows)


def own_path_failures(rows: Sequence[dict]) -> list[str]:
    """The workflow's own path's rows whose status is not ``ok``, as messages."""
    return [
        f"{r['workload']}: {r['status']}: {r['note']}"
        for r in rows
        if r["engine"] == OURS and r["status"] != "ok"
    ]


def bench_engines(
    workloads: Sequence[Workload], repeats: int, threads: int, out, timeout: float | None = None
) -> list[dict]:
    """Every workload measured and checked, then ``engines.csv`` written (atomically); if the
    workflow's own path failed anywhere, :class:`EngineFailed` instead (nothing written)."""
    rows = []
    for workload in workloads:
        measured = measure_workload(workload, repeats, threads, timeout)
        rows += workload_rows(workload, measured, repeats)
        rows += part_rows(workload, repeats, threads, timeout)
    failed = own_path_failures(rows)
    if failed:
        raise EngineFailed("the workflow's own path (dask) failed: " + " | ".join(failed))
    write_rows(out, rows, FIELDS)
    return rows
