"""Dask workers that are Slurm jobs: dask-jobqueue's ``SLURMCluster`` sized from ``dask.slurm``.

With ``dask.scheduler: slurm`` (or ``text.scheduler: slurm``) a dask rule starts its own
cluster: a dask scheduler inside the rule's process and ``dask.slurm.jobs`` worker jobs
submitted with ``sbatch``. The rule waits for every worker (at most ``dask.slurm.timeout``
seconds), computes, and cancels the worker jobs when it ends, however it ends: on success, on an
error, on SIGTERM (Snakemake stopping a job, ``scancel`` of the rule's own job). The workers are
fixed: a worker job that ends before the rule does (killed, out of memory, out of time) fails
the rule with the job's id and Slurm state in its log, rather than leaving the computation to
wait for a worker that will not come back.

The scheduler and the workers talk over ``dask.slurm.interface`` (e.g. ``ib0`` on a cluster,
``lo`` on a single machine); None lets dask pick the host's address.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sda import scripts_dir
from sda.config import ConfigError, require

log = logging.getLogger(__name__)

# What a dask.slurm section must give: the keys without a sensible site-independent default.
REQUIRED = ("queue", "cores", "memory", "walltime", "jobs")
SLURM_COMMANDS = ("sbatch", "squeue", "scancel")
WALLTIME = re.compile(r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$")
JOB_NAME = "sda-dask"
POLL_S = 1.0


class WorkerLost(RuntimeError):
    """A worker job ended while the rule still needed it."""


@dataclass(frozen=True)
class SlurmSettings:
    """One ``dask.slurm`` config section (see config/README.md for each key)."""

    queue: str
    cores: int
    memory: str
    walltime: str
    jobs: int
    account: str = ""
    processes: int = 1
    interface: str | None = None
    job_extra_directives: tuple[str, ...] = ()
    timeout: float = 300.0
    log_directory: str = "logs/dask-slurm"

    @classmethod
    def from_config(cls, section: Mapping) -> SlurmSettings:
        known = {k: v for k, v in section.items() if k in cls.__dataclass_fields__}
        known["job_extra_directives"] = tuple(known.get("job_extra_directives") or ())
        known["account"] = known.get("account") or ""
        return cls(**known)

    @property
    def workers(self) -> int:
        """Dask workers of the whole cluster: ``processes`` per job."""
        return self.jobs * self.processes


def uses_slurm(config: Mapping) -> list[str]:
    """The config keys that choose the ``slurm`` scheduler."""
    keys = []
    if config.get("dask", {}).get("scheduler") == "slurm":
        keys.append("dask.scheduler")
    if config.get("text", {}).get("scheduler") == "slurm":
        keys.append("text.scheduler")
    return keys


def job_states(job_ids: list[str]) -> dict[str, str]:
    """Slurm's state (and pending reason) of each job: squeue for live jobs, sacct for ended
    ones; ``unknown`` where neither knows it."""
    states: dict[str, str] = {}
    if not job_ids:
        return states
    ids = ",".join(job_ids)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["squeue", "-h", "-j", ids, "-o", "%i %T %r"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        for line in out.splitlines():
            job, state, *reason = line.split(maxsplit=2)
            reason = reason[0] if reason and reason[0] != "None" else ""
            states[job] = f"{state} ({reason})" if reason else state
    rest = [j for j in job_ids if j not in states]
    if rest and shutil.which("sacct"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                ["sacct", "-n", "-X", "-P", "-j", ",".join(rest), "-o", "JobID,State,ExitCode"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
            for line in out.splitlines():
                job, state, code = (line.split("|") + ["", ""])[:3]
                states[job] = f"{state} (exit code {code})" if code else state
    return {j: states.get(j, "unknown") for j in job_ids}


def describe_jobs(job_ids: list[str]) -> str:
    states = job_states(job_ids)
    return ", ".join(f"job {j} {s}" for j, s in states.items()) or "no worker job submitted"


def check_submission(job_script: str) -> None:
    """Ask Slurm whether it would take the worker job (``sbatch --test-only``: nothing is
    submitted); raise naming the dask.slurm keys and Slurm's answer if not."""
    proc = subprocess.run(
        ["sbatch", "--test-only"], input=job_script, capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0:
        said = " ".join(proc.stderr.split()) or f"exit code {proc.returncode}"
        raise RuntimeError(
            f"dask.slurm: Slurm refuses the dask worker job ({said}). Check dask.slurm.queue, "
            "account, cores, memory, walltime and job_extra_directives."
        )


def _cluster_job_ids(cluster) -> dict[str, str]:
    """Worker (spec) name -> Slurm job id of a dask-jobqueue cluster."""
    return {
        str(name): str(job.job_id)
        for name, job in cluster.workers.items()
        if getattr(job, "job_id", None)
    }


class _Watchdog(threading.Thread):
    """Fails the main thread (with :class:`WorkerLost`) when the cluster loses a worker."""

    def __init__(self, client, cluster, expected: int, log_directory: str):
        super().__init__(name="sda-slurm-watchdog", daemon=True)
        self.client, self.cluster, self.expected = client, cluster, expected
        self.log_directory = log_directory
        self.stopped = threading.Event()
        self.message: str | None = None

    def run(self) -> None:
        while not self.stopped.wait(POLL_S):
            try:
                workers = self.client.scheduler_info(n_workers=-1)["workers"]
            except Exception:  # the client is closing: nothing to watch any more
                return
            if len(workers) >= self.expected or self.stopped.is_set():
                continue
            names = [str(w.get("name")) for w in workers.values()]
            ids = _cluster_job_ids(self.cluster)
            lost = [
                job
                for spec, job in ids.items()
                if not any(n == spec or n.startswith(f"{spec}-") for n in names)
            ] or list(ids.values())
            self.message = (
                f"a dask worker left during the computation ({len(workers)} of "
                f"{self.expected} workers left): {describe_jobs(lost)}; worker logs: "
                f"{self.log_directory}/{JOB_NAME}-<job id>.err. The rule fails rather than "
                "wait for a worker that may not come back; its outputs are not written."
            )
            log.error("%s", self.message)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
            return


@contextlib.contextmanager
def _signals(watchdog: _Watchdog) -> Iterator[None]:
    """SIGUSR1 (from the watchdog) raises WorkerLost; SIGTERM (Snakemake or scancel stopping
    the rule) raises SystemExit, so the cluster is closed and no worker job outlives the rule."""

    def lost(signum, frame):
        raise WorkerLost(watchdog.message or "a dask worker job ended")

    def term(signum, frame):
        raise SystemExit(f"stopped by signal {signum}; cancelling the dask worker jobs")

    old = {s: signal.signal(s, h) for s, h in ((signal.SIGUSR1, lost), (signal.SIGTERM, term))}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def slurm_client(settings: SlurmSettings) -> Iterator[object]:
    """A ``distributed.Client`` on a new ``SLURMCluster`` with all its workers started.

    Waits at most ``settings.timeout`` seconds for ``settings.workers`` workers; the error then
    names the config key and what Slurm says of each worker job. The cluster (and every worker
    job) is closed when the body ends, however it ends."""
    from dask_jobqueue import SLURMCluster
    from distributed import Client

    kwargs = dict(
        queue=settings.queue,
        account=settings.account or None,
        cores=settings.cores,
        processes=settings.processes,
        memory=settings.memory,
        walltime=str(settings.walltime),
        interface=settings.interface,
        job_extra_directives=list(settings.job_extra_directives),
        job_name=JOB_NAME,
        log_directory=settings.log_directory,
        # Workers unpickle tasks that call this package, and open files by the paths the
        # rule gives (relative to the workflow's directory): the same of both as the rule's.
        job_script_prologue=[
            f"cd {shlex.quote(os.getcwd())}",
            f"export PYTHONPATH={shlex.quote(str(scripts_dir()))}${{PYTHONPATH:+:$PYTHONPATH}}",
        ],
        scheduler_options={"dashboard_address": ":0"},
    )
    cluster = SLURMCluster(**kwargs)
    try:
        log.info("dask SLURMCluster: worker job script:\n%s", cluster.job_script())
        check_submission(cluster.job_script())
        cluster.scale(jobs=settings.jobs)
        client = Client(cluster)
        try:
            try:
                client.wait_for_workers(settings.workers, timeout=settings.timeout)
            except TimeoutError:
                got = len(client.scheduler_info(n_workers=-1)["workers"])
                raise RuntimeError(
                    f"dask.slurm: {got} of {settings.workers} dask workers started within "
                    f"dask.slurm.timeout={settings.timeout:g} s; Slurm says: "
                    f"{describe_jobs(list(_cluster_job_ids(cluster).values()))}. Check "
                    "dask.slurm.queue, account, cores, memory and walltime against `sinfo` "
                    "and your site's limits, or raise dask.slurm.timeout."
                ) from None
            ids = sorted(_cluster_job_ids(cluster).values(), key=int)
            log.info(
                "dask SLURMCluster: %d workers in Slurm jobs %s; dashboard %s",
                settings.workers,
                ", ".join(ids),
                client.dashboard_link,
            )
            watchdog = _Watchdog(client, cluster, settings.workers, settings.log_directory)
            with _signals(watchdog):
                watchdog.start()
                try:
                    yield client
                finally:
                    watchdog.stopped.set()
                    watchdog.join()
        finally:
            client.close()
    finally:
        cluster.close()
        log.info("dask SLURMCluster closed: worker jobs cancelled")


# --- the config's cross-field checks (rules/common.smk, after the schema) --------------


def check_dask(config: Mapping, which=None) -> None:
    """Where a scheduler is ``slurm``: the ``dask.slurm`` section has what it needs, its values
    parse, and Slurm's commands and dask-jobqueue are here (``which`` finds a command;
    ``shutil.which`` at the time of the call by default)."""
    which = which or shutil.which
    keys = uses_slurm(config)
    if not keys:
        return
    chosen = f"{keys[0]} is slurm"
    section = config.get("dask", {}).get("slurm") or {}
    for key in REQUIRED:
        require(section.get(key) not in (None, ""), f"dask.slurm.{key}", f"missing ({chosen})")
    from dask.utils import parse_bytes

    try:
        parse_bytes(section["memory"])
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"invalid config key dask.slurm.memory: {section['memory']!r} is not a size such "
            f"as 4GB ({exc})"
        ) from None
    require(
        bool(WALLTIME.match(str(section["walltime"]))),
        "dask.slurm.walltime",
        f"{section['walltime']!r} is not a Slurm time such as 01:30:00, 90 or 1-00:00:00",
    )
    for command in SLURM_COMMANDS:
        require(
            which(command) is not None,
            keys[0],
            f"slurm needs Slurm's `{command}` on PATH and there is none: no Slurm is reachable "
            "from this machine",
        )
    try:
        import dask_jobqueue  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"invalid config key {keys[0]}: slurm needs the dask-jobqueue package "
            "(pip install -r requirements.txt)"
        ) from None
