"""The word-count benchmarks: ours vs the lesson's two baselines, and the schedulers.

:func:`bench_rows` (``results/bench/text.csv``, rows of :data:`sda.measure.rows.FIELDS`, what
``word_count``): each method runs in a fresh process (:func:`sda.measure.process.fresh_process`),
in alternating order, and every one is timed to the same end point: the raw top-10 list and the
full cleaned table as a Python ``dict``. ``threads``: ours, the dask scheduler's workers; plain
Python, 1; the lesson's bag, dask's default for bags (a process pool of one worker per CPU).

:func:`scheduler_rows` (``results/bench/text_schedulers.csv``): the same top-10 on each scheduler.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from pathlib import Path

from sda.measure.process import fresh_process
from sda.measure.rows import row
from sda.measure.timing import round_order, timed_call
from sda.text.count import word_counts
from sda.text.lesson import lesson_counts, lesson_top10, python_counts
from sda.text.words import naming_undecodable

log = logging.getLogger(__name__)

SCHEDULER_FIELDS = ["pipeline", "scheduler", "workers", "seconds", "identical", "files", "mib"]
METHODS = ("ours", "python", "lesson_bag")
IMPORTS = ("dask.bag", "pyarrow.compute")  # imported before any method's timer starts


def run_ours(
    files: list[str],
    errors: str,
    scheduler: str,
    workers: int,
    npartitions: int,
    files_per_task: int,
) -> tuple[list, dict]:
    """The workflow's word count on ``scheduler``: (raw top-10, cleaned counts as a dict)."""
    from sda.scheduler import dask_scheduler

    with dask_scheduler(scheduler, workers=workers):
        result = word_counts(files, errors, 10, npartitions, files_per_task)
    return [tuple(x) for x in result.raw_top], result.clean_dict()


def run_python(files: list[str], errors: str) -> tuple[list, dict]:
    """Plain Python (the lesson's Counter): (raw top-10, cleaned counts as a dict)."""
    top, cleaned = python_counts(files, errors)
    return [tuple(x) for x in top], dict(cleaned)


def run_lesson_bag(files: list[str], errors: str) -> tuple[list, dict]:
    """The lesson's bag pipeline: (raw top-10, cleaned counts as a dict)."""
    top, cleaned = lesson_counts(files, errors)
    return [tuple(x) for x in top], dict(cleaned)


def bench_rows(
    files: Sequence[str],
    errors: str,
    scheduler: str,
    workers: int,
    npartitions: int,
    files_per_task: int,
    repeats: int,
) -> list[dict]:
    """Ours vs plain Python vs the lesson's bag pipeline, each run in a fresh process,
    alternating, ``repeats`` times; medians, peak memory, ratio to the faster baseline."""
    from dask.system import CPU_COUNT

    files = list(files)
    calls = {
        "ours": ("run_ours", [files, errors, scheduler, workers, npartitions, files_per_task]),
        "python": ("run_python", [files, errors]),
        "lesson_bag": ("run_lesson_bag", [files, errors]),
    }
    threads = {"ours": 1 if scheduler == "sync" else workers, "python": 1, "lesson_bag": CPU_COUNT}
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    peaks: dict[str, int] = {m: 0 for m in METHODS}
    results: dict[str, tuple] = {}
    for r in range(repeats):
        for method in round_order(METHODS, r):
            name, args = calls[method]
            m = fresh_process(f"sda.text.bench_text:{name}", args, imports=IMPORTS)
            log.info(
                "repeat %d %s: %.3f s, peak %.0f MiB", r, method, m.seconds, m.peak_bytes / 2**20
            )
            times[method].append(m.seconds)
            peaks[method] = max(peaks[method], m.peak_bytes)
            results.setdefault(method, m.result)
    med = {m: statistics.median(t) for m, t in times.items()}
    fastest = min(("python", "lesson_bag"), key=lambda m: med[m])
    nbytes = sum(Path(f).stat().st_size for f in files)
    return [
        row(
            "word_count",
            m,
            seconds=med[m],
            repeats=repeats,
            peak_bytes=peaks[m],
            threads=threads[m],
            ratio=med[m] / med[fastest],
            baseline=fastest,
            times=times[m],
            identical=results[m] == results[fastest],
            nbytes=nbytes,
            note=f"{len(files)} files",
        )
        for m in METHODS
    ]


def scheduler_rows(
    files: Sequence[str], errors: str, workers: int, npartitions: int, files_per_task: int = 4
) -> list[dict]:
    """The same top-10 (the lesson's bag chain, and ours) on each scheduler, timed once each.

    Each scheduler is started once for both pipelines, and first runs both on one file untimed:
    imports, the workers' start-up and first-call costs are not the scheduler's time."""
    from sda.scheduler import dask_scheduler, process_workers

    def lesson(paths):
        return [tuple(x) for x in lesson_top10(paths, errors).compute()]

    def ours(paths):
        return [
            tuple(x) for x in word_counts(paths, errors, 10, npartitions, files_per_task).raw_top
        ]

    pipelines = {"lesson": lesson, "ours": ours}
    timed = {}
    mib = sum(Path(f).stat().st_size for f in files) / 2**20
    with naming_undecodable(files):
        for spec in ("sync", "threads", "processes", "local-cluster"):
            n = 1 if spec == "sync" else workers
            if spec in ("processes", "local-cluster"):
                n = process_workers(n)  # what dask_scheduler starts: no more than the CPUs
            name = "distributed LocalCluster" if spec == "local-cluster" else spec
            with dask_scheduler(spec, workers=n):
                for run in pipelines.values():
                    run(files[:1])  # the untimed warm-up
                for pipeline, run in pipelines.items():
                    top, seconds = timed_call(lambda run=run: run(files))
                    log.info("%s on %s (%d workers): %.3f s", pipeline, name, n, seconds)
                    timed[pipeline, name] = (n, top, seconds)
    reference = timed["lesson", "sync"][1]
    return [
        dict(
            pipeline=pipeline,
            scheduler=name,
            workers=n,
            seconds=f"{seconds:.4g}",
            identical="yes" if top == reference else "no",
            files=len(files),
            mib=f"{mib:.4g}",
        )
        for pipeline in pipelines  # the lesson's rows first, each in the schedulers' order
        for (which, name), (n, top, seconds) in timed.items()
        if which == pipeline
    ]
