"""The engines benchmark: every engine of a workload in a fresh process, the same threads,
warm, alternating, medians; each result checked against the workflow's; one row per engine.

A :class:`Workload` names its engines (a function ``"module:name"`` with JSON-able arguments,
run by :func:`sda.measure.process.fresh_process`), the rule's result file as the reference,
and how a result compares with it (:class:`sda.engines.check.Check`). :func:`measure_workload`
runs one untimed round of every engine (page cache and the engines' lazy set-ups warm; its
results are the ones checked), then ``repeats`` timed rounds in alternating order
(:func:`sda.measure.timing.round_order`). Every child gets ``POLARS_MAX_THREADS`` (polars
reads it when imported); DuckDB and dask get ``threads`` as an argument. Peak memory is the
largest ``VmHWM`` of the engine's processes: its imports included, the same for every engine.

An engine that fails raises :class:`EngineFailed` naming the engine, the workload and the
child's message (an :class:`~sda.io.InputError` there names the file); an engine whose result
is outside its tolerance fails the same way. Nothing is written until every workload is done.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sda.engines.check import Check
from sda.io import InputError
from sda.measure.process import fresh_process
from sda.measure.rows import write_rows
from sda.measure.timing import round_order

log = logging.getLogger(__name__)

FIELDS = [
    "workload", "engine", "version", "threads", "repeats", "seconds", "peak_mib", "ratio",
    "identical", "max_difference", "note",
]  # fmt: skip


def engine_row(
    workload: str, engine: str, version: str, threads: int, repeats: int, seconds: float, **rest
) -> dict:
    """One row of :data:`FIELDS`: the median ``seconds`` of ``repeats`` runs, and what else
    was measured (``peak_mib``, ``ratio``, ``identical``, ``max_difference``, ``note``, as
    shown); the fields not given are left empty."""
    unknown = set(rest) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a column of engines.csv: {sorted(unknown)}")
    given = dict(workload=workload, engine=engine, version=version, threads=threads,
                 repeats=repeats, seconds=f"{seconds:.6g}", **rest)  # fmt: skip
    return {f: given.get(f, "") for f in FIELDS}


class EngineFailed(RuntimeError):
    """An engine failed on a workload, or its result disagrees with the workflow's."""


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


def run_engine(workload: str, engine: Engine, threads: int):
    """One call of the engine in a fresh process; failures become :class:`EngineFailed`."""
    try:
        return fresh_process(
            engine.function,
            list(engine.args),
            imports=engine.imports,
            trace=False,
            env={"POLARS_MAX_THREADS": str(threads)},
        )
    except (InputError, RuntimeError) as exc:
        first = str(exc).splitlines()[0]
        raise EngineFailed(f"engine {engine.name} failed on workload {workload}: {first}") from exc


def measure_workload(workload: Workload, repeats: int, threads: int) -> list[Measured]:
    """A warm-up round, then ``repeats`` alternating rounds of every engine."""
    runs = {e.name: Measured(e) for e in workload.engines}
    names = list(runs)
    for r in range(-1, repeats):  # round -1: the warm-up, untimed, its results checked
        for name in round_order(names, max(r, 0)):
            m = run_engine(workload.name, runs[name].engine, threads)
            got = runs[name]
            got.peak_bytes = max(got.peak_bytes, m.peak_bytes)
            if r < 0:
                got.result = m.result
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


def part_rows(workload: Workload, repeats: int, threads: int) -> list[dict]:
    """Rows of where our path's time goes: the parts' medians over ``repeats`` fresh
    processes (each after the whole path once in the same process, so warm)."""
    from sda.engines.versions import versions

    engine = workload.parts
    if engine is None:
        return []
    seen: dict[str, list[float]] = {}
    for _ in range(repeats):
        for part, seconds in run_engine(workload.name, engine, threads).result.items():
            seen.setdefault(part, []).append(seconds)
    version = versions(*engine.packages)
    return [
        engine_row(workload.name, f"{engine.name}: {part}", version, engine.threads, repeats,
                   statistics.median(times), note=engine.note)
        for part, times in seen.items()
    ]  # fmt: skip


def workload_rows(workload: Workload, measured: Sequence[Measured], repeats: int) -> list[dict]:
    """Check every engine's result against the workflow's, then one row per engine."""
    from sda.engines.versions import versions

    want = workload.reference()
    checks = {}
    for m in measured:
        check = workload.compare(m.engine.name, m.result, want)
        if not check.ok:
            raise EngineFailed(
                f"engine {m.engine.name} on workload {workload.name}: the result differs from "
                f"the workflow's beyond its tolerance ({check.note or check.difference})"
            )
        checks[m.engine.name] = check
    med = {m.engine.name: statistics.median(m.times) for m in measured}
    fastest = min(med.values())
    rows = []
    for m in measured:
        check = checks[m.engine.name]
        note = "; ".join(n for n in (m.engine.note, check.note) if n)
        seconds = med[m.engine.name]
        rows.append(
            engine_row(
                workload.name,
                m.engine.name,
                versions(*m.engine.packages),
                m.engine.threads,
                repeats,
                seconds,
                peak_mib=f"{m.peak_bytes / 2**20:.5g}",
                ratio=f"{seconds / fastest:.4g}",
                identical="yes" if check.identical else "no",
                max_difference=f"{check.difference:.3g}",
                note=note,
            )
        )
    return rows + list(workload.extra_rows)


def bench_engines(workloads: Sequence[Workload], repeats: int, threads: int, out) -> list[dict]:
    """Every workload measured and checked, then ``engines.csv`` written (atomically)."""
    rows = []
    for workload in workloads:
        measured = measure_workload(workload, repeats, threads)
        rows += workload_rows(workload, measured, repeats)
        rows += part_rows(workload, repeats, threads)
    write_rows(out, rows, FIELDS)
    return rows
