"""dask workers that are Slurm jobs, on a real Slurm (ci/slurm/start.sh; ci/slurm/check.sh runs
this file and also compares whole workflow runs): the computation, what a killed worker job, a
worker that never starts and a job Slurm refuses do, and that no worker job outlives its rule."""

from __future__ import annotations

import os
import re
import subprocess
import time

import numpy as np
import pytest

from conftest import REPO, snakemake_command, start_workflow_command
from oracles import check_summary
from sda.scheduler import dask_scheduler
from slurm_check import DASK_WORKER_JOB, queued_jobs, sacct_jobs

pytestmark = pytest.mark.slurm


def spec(slurm: dict, **changes) -> dict:
    """A ``slurm`` scheduler param for this single-node Slurm: one 1-core worker job on lo."""
    return {
        "name": "slurm",
        "queue": slurm["partition"] or "",
        "account": slurm["account"] or "",
        "cores": 1,
        "memory": "1GB",
        "walltime": "00:10:00",
        "jobs": 1,
        "interface": "lo",
        "timeout": 120,
        **changes,
    }


def since() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def test_the_summary_computed_by_worker_jobs_equals_numpy(slurm, tmp_path, monkeypatch):
    from sda.stores.summary import array_summary

    monkeypatch.chdir(tmp_path)  # workers open the rule's relative paths from its directory
    rng = np.random.default_rng(5)
    blocks = [rng.normal(100, 10, (40, 7)) for _ in range(6)]
    paths = []
    for i, block in enumerate(blocks):
        np.save(f"b{i}.npy", block)
        paths.append(f"b{i}.npy")
    start = since()
    with dask_scheduler(spec(slurm, jobs=2)) as client:
        assert len(client.scheduler_info(n_workers=-1)["workers"]) == 2
        summary = array_summary(paths, (40, 7))
    check_summary(summary, np.concatenate(blocks))
    workers = sacct_jobs(DASK_WORKER_JOB, start, at_least=2)
    assert len(workers) == 2, workers
    assert {j.partition for j in workers} == {slurm["partition"] or workers[0].partition}
    assert queued_jobs(DASK_WORKER_JOB) == []


SLOW_SCRIPT = """\
import sys
sys.path.insert(0, {scripts!r})

if __name__ == "__main__":
    import time

    import dask

    from sda.scheduler import dask_scheduler
    from sda.logs import setup_logging

    sm = snakemake  # noqa: F821
    setup_logging(sm.log[0])
    with dask_scheduler(sm.params.scheduler) as client:
        parts = [dask.delayed(time.sleep)(2) for _ in range(30)]
        dask.compute(*parts)
    with open(sm.output[0], "w") as fh:
        fh.write("done")
"""
SLOW_SNAKEFILE = """\
rule slow:
    output:
        "slow.txt",
    log:
        "logs/slow.log",
    params:
        scheduler=config["scheduler"],
    script:
        "slow.py"
"""


@pytest.mark.workflow
def test_a_worker_job_killed_mid_computation_fails_the_rule_and_writes_nothing(slurm, tmp_path):
    import yaml

    (tmp_path / "Snakefile").write_text(SLOW_SNAKEFILE)
    (tmp_path / "slow.py").write_text(SLOW_SCRIPT.format(scripts=str(REPO / "scripts")))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"scheduler": spec(slurm)}))
    cmd = snakemake_command("--cores", "1", "--configfile", "config.yaml")
    proc = start_workflow_command(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    log = tmp_path / "logs" / "slow.log"
    job = None
    deadline = time.monotonic() + 120
    while job is None and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
        m = re.search(r"workers in Slurm jobs (\d+)", log.read_text() if log.exists() else "")
        job = m and m.group(1)
    assert job, f"no worker started: {log.read_text() if log.exists() else 'no log'}"
    time.sleep(3)  # mid-computation: 30 tasks of 2 s on one worker
    subprocess.run(["scancel", job], check=True)
    out, _ = proc.communicate(timeout=180)
    text = log.read_text()
    assert proc.returncode != 0, out
    assert "Error in rule slow" in out
    assert "a dask worker left during the computation" in text, text[-3000:]
    assert f"job {job} CANCELLED" in text or f"job {job} COMPLETING" in text, text[-3000:]
    assert "WorkerLost" in text
    assert not (tmp_path / "slow.txt").exists()
    time.sleep(2)
    assert queued_jobs(DASK_WORKER_JOB) == []


def test_no_worker_in_time_names_the_key_and_what_slurm_says(slurm, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    later = spec(slurm, timeout=5, job_extra_directives=["--begin=now+3600"])
    with pytest.raises(RuntimeError) as info, dask_scheduler(later):
        pass
    said = str(info.value)
    assert "0 of 1 dask workers started within dask.slurm.timeout=5 s" in said
    assert re.search(r"job \d+ PENDING \(BeginTime\)", said), said
    time.sleep(1)
    assert queued_jobs(DASK_WORKER_JOB) == []


def test_a_worker_job_slurm_refuses_is_said_before_waiting(slurm, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    with pytest.raises(RuntimeError) as info, dask_scheduler(spec(slurm, queue="no-such-queue")):
        pass
    said = str(info.value)
    assert "Slurm refuses the dask worker job" in said and "dask.slurm.queue" in said
    assert "invalid partition" in said.lower(), said
    assert time.monotonic() - started < 60  # not the 120 s timeout
    assert queued_jobs(DASK_WORKER_JOB) == []


def test_worker_logs_are_kept_with_the_workflow_logs(slurm, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with dask_scheduler(spec(slurm)) as client:
        cwd = client.run(os.getcwd)
        path = client.run(lambda: os.environ.get("PYTHONPATH", ""))
    assert list(cwd.values()) == [str(tmp_path)]
    assert all(p.split(os.pathsep)[0] == str(REPO / "scripts") for p in path.values()), path
    logs = list((tmp_path / "logs" / "dask-slurm").glob(f"{DASK_WORKER_JOB}-*.err"))
    assert len(logs) == 1, logs
    assert "Registered to:      tcp://127.0.0.1:" in logs[0].read_text()
