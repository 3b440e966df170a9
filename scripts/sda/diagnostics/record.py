"""Record what dask does while a rule computes, into the rule's diagnostics outputs.

In a rule script, the scheduler and the recording of its computation in one::

    with recorded_scheduler(spec, sm.output, sm.input, sm.threads, sm.resources.mem_mb):
        result = computation()

(:func:`recording` alone, around a body run on a scheduler set up elsewhere.)

The rule declares the outputs (``rules/common.smk``: ``diagnostics(rule, scheduler)``; none
with ``diagnostics: false``, and then this records nothing):

- ``resources``, ``resources.csv``: ``time_s`` from the computation's start, ``memory_bytes``
  (RSS of this process and its children, or of every distributed worker), ``cpu_percent`` (of
  one core), every :data:`sda.diagnostics.sample.INTERVAL_S` seconds;
- ``tasks``, ``tasks.csv``: the task stream: ``prefix`` (the task key's name, as dask's
  dashboard colours it), ``worker`` (``thread 0``, ``process 0``, ``worker 1``...), ``start_s``, ``end_s``;
- ``record``, ``run.json``: the scheduler, its workers, the bytes of data read and the
  computation's wall time, which the report sets the records against;
- ``dask_report``, ``dask-report.html`` (distributed schedulers only): dask's
  ``performance_report`` with its JavaScript inline, so it opens without a network.

Local schedulers are watched with a :class:`dask.callbacks.Callback` (the start and end of each
task as the scheduler hands it out and gets it back); a distributed one with
``distributed.get_task_stream``, from the workers' own records.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dask.callbacks import Callback
from dask.utils import key_split

from sda.diagnostics.sample import INTERVAL_S, Sampler, cluster_probe, process_probe
from sda.io import atomic_write, disk_bytes, remove_temp, temp_path, write_csv, write_json
from sda.scheduler import dask_scheduler, spec_name, worker_slots

log = logging.getLogger(__name__)

RESOURCE_FIELDS = ("time_s", "memory_bytes", "cpu_percent")
TASK_FIELDS = ("prefix", "worker", "start_s", "end_s")
RECORD_KEYS = ("scheduler", "workers", "data_bytes", "wall_s", "interval_s", "tasks")
# The outputs of a rule that records, by name, and their files in its diagnostics folder.
FILES = {
    "resources": "resources.csv",
    "tasks": "tasks.csv",
    "record": "run.json",
    "dask_report": "dask-report.html",
}
OUTPUTS = tuple(FILES)
# What a performance report loads from the network even in inline mode: its favicon.
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>\s*", re.IGNORECASE)


@dataclass
class Task:
    prefix: str
    worker: str
    start_s: float
    end_s: float


class LocalTasks(Callback):
    """The task stream of dask's local schedulers: each task's start (handed to a worker) and
    end (its result back), and the thread (``processes``: the process) that ran it, numbered in
    order of first appearance."""

    def __init__(self, t0: float, clock=time.time, unit: str = "thread"):
        super().__init__()
        self.t0, self.clock, self.unit = t0, clock, unit
        self.tasks: list[Task] = []
        self._started: dict = {}
        self._ids: dict = {}

    def _pretask(self, key, dsk, state) -> None:
        self._started[key] = self.clock()

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        end = self.clock()
        start = self._started.pop(key, end)
        n = self._ids.setdefault(worker_id, len(self._ids))
        self.tasks.append(Task(key_split(key), f"{self.unit} {n}", start - self.t0, end - self.t0))


def distributed_tasks(stream: list[dict], t0: float) -> list[Task]:
    """Rows of ``distributed.get_task_stream``'s records: the compute span of each task, its
    worker (and thread, where a worker has several) numbered in order of first appearance."""
    workers: dict[str, int] = {}
    threads: dict[tuple[str, object], int] = {}
    tasks = []
    spans = [(s, rec) for rec in stream for s in rec["startstops"] if s.get("action") == "compute"]
    for span, rec in sorted(spans, key=lambda sr: sr[0]["start"]):
        w = workers.setdefault(rec["worker"], len(workers))
        ident = (rec["worker"], rec.get("thread"))
        if ident not in threads:
            threads[ident] = sum(addr == rec["worker"] for addr, _ in threads)
        t = threads[ident]
        name = f"worker {w}" if t == 0 else f"worker {w}.{t}"
        tasks.append(Task(key_split(rec["key"]), name, span["start"] - t0, span["stop"] - t0))
    return tasks


def self_contained(html: str) -> str:
    """A performance report without the one thing it fetches from the network (its icon)."""
    return _REMOTE_LINK.sub("", html)


def record_paths(folder: str | Path, distributed: bool = False) -> dict[str, str]:
    """The diagnostics files of a rule in ``folder``, by output name: the three records, and
    dask's performance report where the scheduler is ``distributed``."""
    names = OUTPUTS if distributed else OUTPUTS[:3]
    return {name: f"{folder}/{FILES[name]}" for name in names}


def outputs_of(output: Mapping | object) -> dict[str, Path]:
    """The diagnostics outputs among a job's outputs (a Snakemake ``output`` or a mapping)."""
    items = output.items() if hasattr(output, "items") else []
    return {k: Path(v) for k, v in items if k in OUTPUTS}


def _fmt(value: float | None, digits: int = 6) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def write_record(paths: Mapping[str, Path], samples, tasks: list[Task], info: Mapping) -> None:
    """Write the records, each atomically."""
    write_csv(
        paths["resources"],
        [(f"{s.time_s:.4f}", _fmt(s.memory_bytes, 12), _fmt(s.cpu_percent, 4)) for s in samples],
        RESOURCE_FIELDS,
    )
    tasks = sorted(tasks, key=lambda t: (t.start_s, t.worker))
    write_csv(
        paths["tasks"],
        [(t.prefix, t.worker, f"{t.start_s:.6f}", f"{t.end_s:.6f}") for t in tasks],
        TASK_FIELDS,
    )
    write_json(paths["record"], {**info, "tasks": len(tasks)})


def input_bytes(inputs) -> int:
    """Bytes of the files (or directories) a computation reads."""
    return sum(disk_bytes(Path(p)) for p in inputs)


@contextlib.contextmanager
def recording(
    output: Mapping | object,
    client=None,
    spec: str | Mapping = "threads",
    threads: int = 1,
    inputs=(),
    interval: float = INTERVAL_S,
) -> Iterator[None]:
    """Record the body's computation into ``output``'s diagnostics files (nothing if the job
    has none). ``client``: the distributed client ``dask_scheduler`` yielded, if any; ``spec``
    and ``threads``: the scheduler and the rule's threads given to it; ``inputs``: the files the
    computation reads (their bytes are what the report sets memory against)."""
    paths = outputs_of(output)
    if not paths:
        yield
        return
    clock = time.time  # the clock of distributed's task stream too
    name = spec_name(spec)
    local_probe = process_probe(children=name == "processes")
    sampler = Sampler(cluster_probe(client) if client else local_probe, interval, clock)
    local = LocalTasks(0.0, clock, "process" if name == "processes" else "thread")
    report_tmp = temp_path(paths["dask_report"], ".dask") if "dask_report" in paths else None
    try:
        with contextlib.ExitStack() as stack:
            if client is not None:
                from distributed import get_task_stream, performance_report

                if report_tmp is not None:
                    remove_temp(report_tmp)  # what a killed run left
                    report_tmp.parent.mkdir(parents=True, exist_ok=True)
                    stack.enter_context(performance_report(str(report_tmp), mode="inline"))
                stream = stack.enter_context(get_task_stream(client))
            else:
                stack.enter_context(local)
            t0 = local.t0 = sampler.start().t0
            try:
                yield
            finally:
                samples = sampler.stop()
        wall = clock() - t0
        tasks = distributed_tasks(stream.data, t0) if client is not None else local.tasks
        if report_tmp is not None:
            with atomic_write(paths["dask_report"], "w", encoding="utf-8") as fh:
                fh.write(self_contained(report_tmp.read_text(encoding="utf-8")))
    finally:
        if report_tmp is not None:
            remove_temp(report_tmp)
    info = {
        "scheduler": name,
        "workers": worker_slots(spec, threads),
        "data_bytes": input_bytes(inputs),
        "wall_s": round(wall, 4),
        "interval_s": interval,
        "unread_samples": sampler.failures,
    }
    write_record(paths, samples, tasks, info)
    log.info(
        "diagnostics: %d samples, %d tasks over %.2f s in %s",
        len(samples),
        len(tasks),
        wall,
        paths["resources"].parent,
    )


@contextlib.contextmanager
def recorded_scheduler(
    spec: str | Mapping, output: Mapping | object, inputs=(), workers: int = 1, memory_mb=None
) -> Iterator[object | None]:
    """:func:`sda.scheduler.dask_scheduler` for ``spec`` with the rule's ``workers`` (threads)
    and ``memory_mb``, and the body's computation recorded into ``output``'s diagnostics
    (:func:`recording`, the same scheduler and threads); yields the client, if any."""
    with (
        dask_scheduler(spec, workers=workers, memory_mb=memory_mb) as client,
        recording(output, client, spec, workers, inputs),
    ):
        yield client
