"""The word-count benchmarks: ours vs the lesson's two baselines, and the schedulers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from sda.io import InputError, scratch_dir
from sda.text.count import word_counts
from sda.text.lesson import lesson_counts, lesson_top10, python_counts
from sda.text.words import naming_undecodable

log = logging.getLogger(__name__)


BENCH_FIELDS = ["method", "seconds", "peak_rss_mib", "ratio", "identical", "files", "mib", "cores"]


SCHEDULER_FIELDS = ["pipeline", "scheduler", "workers", "seconds", "identical", "files", "mib"]


METHODS = ("ours", "python", "lesson_bag")


_CHILD = """
import json, pickle, resource, sys, time
sys.path.insert(0, {scripts!r})
from sda.bench.text import bench_child
bench_child(*json.loads(sys.argv[1]))
"""


def bench_child(
    method: str,
    files: list[str],
    errors: str,
    scheduler: str,
    workers: int,
    npartitions: int,
    files_per_task: int,
    out: str,
) -> None:
    """One timed run of ``method`` in this (fresh) process; pickles (seconds, rss, results)."""
    import pickle
    import resource
    import time

    import dask.bag  # noqa: F401  (imports are not part of any method's time)
    import pyarrow.compute  # noqa: F401

    from sda.daskutil import dask_scheduler

    start = time.perf_counter()
    if method == "ours":
        with dask_scheduler(scheduler, workers=workers):
            result = word_counts(files, errors, 10, npartitions, files_per_task)
        seconds = time.perf_counter() - start
        top, clean_map = result.raw_top, result.clean_dict()
    elif method == "python":
        top, clean_map = python_counts(files, errors)
        seconds = time.perf_counter() - start
    elif method == "lesson_bag":
        top, clean_map = lesson_counts(files, errors)
        seconds = time.perf_counter() - start
    else:
        raise ValueError(f"unknown method {method!r}")
    rss = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    with open(out, "wb") as fh:
        pickle.dump((seconds, rss * 1024, top, dict(clean_map)), fh)


def _run_child(args: list, scratch: Path):
    import json
    import pickle
    import subprocess
    import sys

    out = scratch / f"{args[0]}.pkl"
    code = _CHILD.format(scripts=str(Path(__file__).resolve().parents[2]))
    cmd = [sys.executable, "-c", code, json.dumps([*args, str(out)])]
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    if proc.stderr.strip():
        log.info("%s run, its stderr: %s", args[0], proc.stderr.strip()[-2000:])
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        if last.startswith("sda.io.InputError: "):  # a bad input: the same error, here
            raise InputError(last.removeprefix("sda.io.InputError: "))
        raise RuntimeError(f"{args[0]} run failed ({last})\n{proc.stderr[-4000:]}")
    with open(out, "rb") as fh:
        seconds, rss, top, clean_map = pickle.load(fh)
    out.unlink()
    return seconds, rss, top, clean_map


def bench_rows(
    files: Sequence[str],
    errors: str,
    scheduler: str,
    workers: int,
    npartitions: int,
    files_per_task: int,
    repeats: int,
    scratch: str | Path,
) -> list[dict]:
    """Ours vs plain Python vs the lesson's bag pipeline, each run in a fresh process,
    alternating, ``repeats`` times; medians, peak RSS, ratio to the faster baseline."""
    import statistics

    times: dict[str, list[float]] = {m: [] for m in METHODS}
    peaks: dict[str, int] = {m: 0 for m in METHODS}
    results: dict[str, tuple] = {}
    with scratch_dir(scratch) as scratch:
        for r in range(repeats):
            for method in METHODS:
                seconds, rss, top, clean_map = _run_child(
                    [method, list(files), errors, scheduler, workers, npartitions, files_per_task],
                    scratch,
                )
                log.info("repeat %d %s: %.3f s, peak RSS %.0f MiB", r, method, seconds, rss / 2**20)
                times[method].append(seconds)
                peaks[method] = max(peaks[method], rss)
                if r == 0:
                    results[method] = (top, clean_map)
    med = {m: statistics.median(t) for m, t in times.items()}
    fastest = min(med["python"], med["lesson_bag"])
    mib = sum(Path(f).stat().st_size for f in files) / 2**20
    rows = []
    for m in METHODS:
        same = results[m] == results["python"]
        rows.append(
            dict(
                method=m,
                seconds=f"{med[m]:.4g}",
                peak_rss_mib=f"{peaks[m] / 2**20:.0f}",
                ratio=f"{med[m] / fastest:.3f}",
                identical="yes" if same else "no",
                files=len(files),
                mib=f"{mib:.1f}",
                cores=workers,
            )
        )
    return rows


def scheduler_rows(
    files: Sequence[str], errors: str, workers: int, npartitions: int, files_per_task: int = 4
) -> list[dict]:
    """The same top-10 (the lesson's bag chain, and ours) on each scheduler, timed once each."""
    import time

    from sda.daskutil import dask_scheduler, process_workers

    rows = []
    reference = None
    mib = sum(Path(f).stat().st_size for f in files) / 2**20
    with naming_undecodable(files):
        for pipeline in ("lesson", "ours"):
            # Untimed warm-up: imports and first-call costs are not the scheduler's.
            with dask_scheduler("sync"):
                lesson_top10(files[:1], errors).compute()
                word_counts(files[:1], errors, 10, 1)
            for spec in ("sync", "threads", "processes", "local-cluster"):
                n = 1 if spec == "sync" else workers
                if spec in ("processes", "local-cluster"):
                    n = process_workers(n)  # what dask_scheduler starts: no more than the CPUs
                with dask_scheduler(spec, workers=n):
                    start = time.perf_counter()
                    if pipeline == "lesson":
                        top = lesson_top10(files, errors).compute()
                    else:
                        top = word_counts(files, errors, 10, npartitions, files_per_task).raw_top
                    seconds = time.perf_counter() - start
                top = [tuple(x) for x in top]
                reference = reference or top
                name = "distributed LocalCluster" if spec == "local-cluster" else spec
                log.info("%s on %s (%d workers): %.3f s", pipeline, name, n, seconds)
                rows.append(
                    dict(
                        pipeline=pipeline,
                        scheduler=name,
                        workers=n,
                        seconds=f"{seconds:.4g}",
                        identical="yes" if top == reference else "no",
                        files=len(files),
                        mib=f"{mib:.4g}",
                    )
                )
    return rows
