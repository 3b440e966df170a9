"""Choosing dask's scheduler from config, sized from the rule's threads.

``dask.scheduler`` in the config is one of ``threads``, ``processes``, ``sync``,
``local-cluster``, ``slurm`` (dask workers as Slurm jobs, sized by ``dask.slurm``: see
:mod:`sda.slurm_workers`) or the address of a running ``distributed`` scheduler
(``tcp://host:port``). A rule's ``scheduler`` param is the name, or for ``slurm`` a mapping
with ``name: slurm`` and the ``dask.slurm`` settings (:func:`scheduler_param`).

In a rule script::

    with dask_scheduler(config["dask"]["scheduler"], workers=sm.threads,
                        memory_mb=sm.resources.mem_mb):
        result = array.mean().compute()

``processes`` and ``local-cluster`` start worker processes that re-import the script, so the
script must keep its work under ``if __name__ == "__main__":`` (the project's rule style).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Mapping

import dask
from dask.callbacks import Callback

log = logging.getLogger(__name__)

LOCAL = ("threads", "processes", "sync")
SCHEDULERS = (*LOCAL, "local-cluster", "slurm")
# Variables that size the thread pools of BLAS/OpenMP libraries. Snakemake sets them to the
# rule's threads for every job; a worker process must get 1, or n workers x n BLAS threads
# oversubscribe the cores the rule was given.
BLAS_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
ADDRESS_TIMEOUT_S = 30.0


def is_address(spec: str) -> bool:
    """True for a distributed scheduler address such as ``tcp://10.0.0.5:8786``."""
    scheme, sep, rest = spec.partition("://")
    return bool(sep and rest and scheme.isalpha())


def scheduler_param(name: str, config: Mapping) -> str | dict:
    """A rule's ``scheduler`` param: ``name``, or for ``slurm`` the settings of ``dask.slurm``
    with it (the rule script has no other view of the config)."""
    if name == "slurm":
        return {"name": "slurm", **(config["dask"].get("slurm") or {})}
    return name


def spec_name(spec: str | Mapping) -> str:
    """The scheduler's name of a ``scheduler`` param (a name or a ``slurm`` mapping)."""
    return spec["name"] if isinstance(spec, Mapping) else spec


def scheduler_workers(spec: str | Mapping, threads: int) -> int:
    """Workers a computation gets: the rule's ``threads``, or for ``slurm`` the threads of all
    worker jobs (``jobs`` x ``cores``), to size partitions by."""
    if isinstance(spec, Mapping) and spec_name(spec) == "slurm":
        return max(1, int(spec["jobs"]) * int(spec["cores"]))
    return max(1, int(threads))


def is_distributed(spec: str | Mapping) -> bool:
    """True where the computation runs on ``distributed`` workers (a local cluster, Slurm, an
    address): what a ``performance_report`` can record."""
    name = spec_name(spec)
    return name in ("local-cluster", "slurm") or is_address(name)


def worker_slots(spec: str | Mapping, threads: int) -> int:
    """Threads or single-threaded workers a computation on ``spec`` gets from a rule's
    ``threads`` (:func:`dask_scheduler`'s sizing); 0 for a running cluster's address (its
    size is its own)."""
    name = spec_name(spec)
    if name == "sync":
        return 1
    if name in ("processes", "local-cluster"):
        return process_workers(threads)
    if name in ("threads", "slurm"):
        return scheduler_workers(spec, threads)
    return 0


def check_spec(spec: str | Mapping) -> str:
    """Return the name of ``spec`` if it names a scheduler, else raise ``ValueError`` saying
    what is allowed."""
    name = spec_name(spec)
    if isinstance(spec, Mapping) and name != "slurm":
        raise ValueError(f"invalid dask scheduler {spec!r}: only slurm takes settings")
    if name in SCHEDULERS or is_address(name):
        return name
    raise ValueError(
        f"invalid dask.scheduler {name!r}: expected one of {', '.join(SCHEDULERS)} "
        "or the address of a running distributed scheduler (tcp://host:port)"
    )


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the body (inherited by processes started there)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask: a batch job's allocation), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def process_workers(workers: int) -> int:
    """Worker processes for ``workers`` requested threads: no more than the CPUs available.

    ``snakemake --cores 8`` on a 2-core machine gives a rule 8 threads; 8 worker processes
    there would only cost 6 more interpreter start-ups (a LocalCluster of 8 took 24.5 s to
    count 19 MiB, one of 2 a few seconds). Threads are not capped: they cost little."""
    return max(1, min(int(workers), available_cpus()))


class LogProgress(Callback):
    """Logs a local computation's progress (tasks done of all) every tenth and at the end, so
    that a user tailing the rule's log under ``logs/`` sees it move (dask's ``ProgressBar``
    redraws one terminal line, which a log file would keep as one long line)."""

    def __init__(self, logger: logging.Logger = log, steps: int = 10):
        super().__init__()
        self._log, self._steps = logger, steps

    def _start_state(self, dsk, state) -> None:
        self._total = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))
        self._next, self._done, self._start = 1, 0, time.perf_counter()

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        self._done += 1
        if self._total and self._done * self._steps >= self._next * self._total:
            self._next = self._done * self._steps // self._total + 1
            self._log.info(
                "dask: %d of %d tasks done (%.0f%%), %.1f s",
                self._done,
                self._total,
                100 * self._done / self._total,
                time.perf_counter() - self._start,
            )


@contextlib.contextmanager
def local_scheduler(spec: str, workers: int) -> Iterator[object]:
    """The scheduler object dask's config gets for a local ``spec``: a thread pool of
    ``workers`` (dask's ``Executor`` scheduler: the threaded scheduler's own loop,
    ``dask.local.get_async``, on this pool), ``dask.local.get_sync``, or
    ``dask.multiprocessing.get``, shut down afterwards. An object, not the name: given a
    name, dask looks for a running ``distributed`` client at every compute, importing
    distributed (0.1-0.2 s of a rule's time, and its memory) where nothing uses it."""
    if spec == "threads":
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="dask") as pool:
            yield pool
    elif spec == "sync":
        import dask.local

        yield dask.local.get_sync
    else:
        import dask.multiprocessing

        yield dask.multiprocessing.get


@contextlib.contextmanager
def dask_scheduler(
    spec: str | Mapping = "threads",
    workers: int = 1,
    memory_mb: int | None = None,
    timeout: float = ADDRESS_TIMEOUT_S,
) -> Iterator[object | None]:
    """Run the body with dask configured for ``spec``; yield the ``Client`` if there is one.

    ``workers`` is the rule's ``threads``: the number of threads (``threads``), processes
    (``processes``) or single-threaded workers (``local-cluster``); processes are capped at the
    CPUs available (:func:`process_workers`). Worker processes get one BLAS
    thread each. ``memory_mb`` (the rule's ``mem_mb``) caps a local cluster's total worker memory,
    so that dask spills to disk before a batch system kills the job; without it each worker may
    use an equal share of the machine's memory (distributed's default). For an address, the
    remote cluster's size is whatever it was started with; ``timeout`` seconds bound both the
    connection and the wait for its first worker, and the error names the address. For
    ``slurm`` the cluster's size is ``dask.slurm``'s (``workers`` is not used).
    """
    name = check_spec(spec)
    if name == "slurm":
        from sda.slurm_workers import SlurmSettings, slurm_client

        if not isinstance(spec, Mapping):
            raise ValueError("dask scheduler slurm needs the dask.slurm settings with it")
        settings = SlurmSettings.from_config(spec)  # its fields only: "name" is not one
        with slurm_client(settings) as client:
            yield client
        return
    spec = name
    workers = max(1, int(workers))
    if spec in ("processes", "local-cluster"):
        workers = process_workers(workers)
    pinned = {var: "1" for var in BLAS_VARS}
    if spec in LOCAL:
        # The processes scheduler spawns its pool inside compute(): children inherit os.environ.
        env = pinned if spec == "processes" else {}
        with (
            _environ(env),
            local_scheduler(spec, workers) as scheduler,
            dask.config.set(scheduler=scheduler, num_workers=workers),
            LogProgress(),
        ):
            log.info("dask scheduler %s with %d workers", spec, workers)
            yield None
        return

    from distributed import Client, LocalCluster

    if spec == "local-cluster":
        # Merge with distributed's defaults (which also pin BLAS and set MALLOC_TRIM_THRESHOLD_).
        environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **pinned}
        memory_limit = f"{max(1, int(memory_mb) // workers)}MiB" if memory_mb else "auto"
        with (
            dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=memory_limit,
                dashboard_address=None,
                local_directory=os.environ.get("TMPDIR"),
            ) as cluster,
            Client(cluster) as client,
        ):
            log.info(
                "dask LocalCluster with %d single-threaded workers, memory limit %s each",
                workers,
                memory_limit,
            )
            yield client
        return

    try:
        client = Client(spec, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise RuntimeError(
            f"dask.scheduler {spec}: no distributed scheduler reachable within {timeout:g} s "
            f"({exc}). Start one there, or choose threads/processes/local-cluster."
        ) from exc
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError as exc:
            raise RuntimeError(
                f"dask.scheduler {spec}: the scheduler has no workers after {timeout:g} s"
            ) from exc
        n = len(client.scheduler_info(n_workers=-1)["workers"])
        log.info("dask distributed scheduler at %s with %d workers", spec, n)
        yield client
