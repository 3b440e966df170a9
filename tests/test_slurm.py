"""A job Slurm kills for its memory: reported with its log, re-run or retried with more memory.

Tests marked ``slurm`` need a running Slurm (ci/slurm/start.sh; ci/slurm/check.sh runs them);
they are skipped, saying why, when ``sinfo`` cannot reach one. Whether this Slurm kills a job
over its memory at all is read from its config (``memory_enforcement``, tested here without a
Slurm).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, run_workflow_command, snakemake_command
from slurm_check import check_jobs, run_id_of_log, sacct_jobs


def show_config_values(text: str) -> dict[str, str]:
    """``Key = Value`` lines of ``scontrol show config`` (cgroup.conf's section included)."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and " " not in key.strip():
            values[key.strip()] = value.strip()
    return values


def memory_enforcement(show_config: str) -> str | None:
    """None when this Slurm kills a job that uses more memory than it asked for, else why not.

    Slurm enforces memory in one of two ways: the cgroup task plugin with
    ``ConstrainRAMSpace=yes`` in cgroup.conf, or the accounting poller with
    ``JobAcctGatherParams=OverMemoryKill`` (what ci/slurm/start.sh sets up: it has no cgroups).
    ``show_config`` is the output of ``scontrol show config``."""
    v = show_config_values(show_config)
    task, gather = v.get("TaskPlugin", ""), v.get("JobAcctGatherType", "")
    params = v.get("JobAcctGatherParams", "")
    if "task/cgroup" in task and v.get("ConstrainRAMSpace", "").lower() == "yes":
        return None
    if "OverMemoryKill" in params and gather and "jobacct_gather/none" not in gather:
        return None
    return (
        "this Slurm does not kill a job over its memory request: neither TaskPlugin=task/cgroup "
        "with ConstrainRAMSpace=yes nor JobAcctGatherParams=OverMemoryKill "
        f"(TaskPlugin={task or '?'}, JobAcctGatherType={gather or '?'}, "
        f"JobAcctGatherParams={params or '?'}, "
        f"ConstrainRAMSpace={v.get('ConstrainRAMSpace', '?')}); ci/slurm/start.sh sets it up"
    )


SHOW_CONFIG_CI = """\
Configuration data as of 2026-11-27T02:00:00
JobAcctGatherFrequency  = task=1
JobAcctGatherType       = jobacct_gather/linux
JobAcctGatherParams     = OverMemoryKill
TaskPlugin              = task/none
"""
SHOW_CONFIG_CGROUP = """\
JobAcctGatherType       = jobacct_gather/cgroup
JobAcctGatherParams     = (null)
TaskPlugin              = task/cgroup,task/affinity

Cgroup Support Configuration:
ConstrainRAMSpace       = yes
"""


def test_memory_enforcement_is_read_from_the_slurm_config():
    assert memory_enforcement(SHOW_CONFIG_CI) is None
    assert memory_enforcement(SHOW_CONFIG_CGROUP) is None
    unconstrained = SHOW_CONFIG_CGROUP.replace(
        "ConstrainRAMSpace       = yes", "ConstrainRAMSpace = no"
    )
    reason = memory_enforcement(unconstrained)
    assert reason and "ConstrainRAMSpace=no" in reason and "TaskPlugin=task/cgroup" in reason
    no_kill = SHOW_CONFIG_CI.replace("OverMemoryKill", "(null)")
    assert "JobAcctGatherParams=(null)" in memory_enforcement(no_kill)
    assert memory_enforcement("") is not None


# --- on a real Slurm ------------------------------------------------------------------------


HOG_SNAKEFILE = """\
rule hog:
    output:
        "hog.txt",
    log:
        "logs/hog.log",
    threads: 1
    resources:
        mem_mb=config["mem_mb"],
        runtime=2,
    shell:
        "python3 -c 'import time; b = b\\"x\\" * (700 * 2**20); time.sleep(6); print(len(b))'"
        " > {output} 2> {log}"
"""


def _run_hog(workdir: Path, slurm: dict, mem_mb: int, *extra: str) -> subprocess.CompletedProcess:
    cmd = snakemake_command("--executor", "slurm", "--jobs", "1", *extra)
    cmd += ["--slurm-init-seconds-before-status-checks", "2", "--config", f"mem_mb={mem_mb}"]
    resources = [f"slurm_{k}={v}" for k, v in slurm.items() if v]
    if resources:
        cmd += ["--default-resources", *resources]
    return run_workflow_command(cmd, cwd=workdir, timeout=300)


@pytest.fixture(scope="module")
def slurm_kills_over_memory(slurm) -> dict:
    """The running Slurm, if it kills a job over its memory request; else a skip saying why."""
    proc = subprocess.run(
        ["scontrol", "show", "config"], capture_output=True, text=True, timeout=20
    )
    if proc.returncode != 0:
        pytest.skip(f"scontrol show config failed: {proc.stderr.strip()[-300:]}")
    reason = memory_enforcement(proc.stdout)
    if reason:
        pytest.skip(reason)
    return slurm


@pytest.mark.slurm
@pytest.mark.workflow
def test_job_killed_for_memory_is_reported_and_a_rerun_completes(tmp_path, slurm_kills_over_memory):
    """A job using 700 MB with mem_mb=400 is killed by Slurm; with 1500 it completes."""
    slurm = slurm_kills_over_memory
    (tmp_path / "Snakefile").write_text(HOG_SNAKEFILE)
    failed = _run_hog(tmp_path, slurm, 400)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0, out
    assert "Error in rule hog" in out
    assert "logs/hog.log" in out  # the rule's log, and the job's Slurm log next to it
    slurm_log = re.search(r"(\S+/\.snakemake/slurm_logs/rule_hog/\S+\.log)", out)
    assert slurm_log and Path(slurm_log.group(1)).is_file(), out
    assert not (tmp_path / "hog.txt").exists()
    states = {j.state for j in sacct_jobs(run_id_of_log(out), at_least=1)}
    assert states and states <= {"OUT_OF_MEMORY", "FAILED", "CANCELLED"}, states

    rerun = _run_hog(tmp_path, slurm, 1500)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (tmp_path / "hog.txt").read_text().strip() == str(700 * 2**20)
    jobs = sacct_jobs(run_id_of_log(rerun.stdout + rerun.stderr), at_least=1)
    assert [(j.rule, j.state) for j in jobs] == [("hog", "COMPLETED")]


@pytest.mark.slurm
@pytest.mark.workflow
def test_job_killed_for_memory_is_retried_with_memory_by_attempt(tmp_path, slurm_kills_over_memory):
    """The profile's retries with the rules' mem_by_attempt: 450 MB is killed, 900 completes."""
    slurm = slurm_kills_over_memory
    snakefile = HOG_SNAKEFILE.replace(
        'mem_mb=config["mem_mb"],', 'mem_mb=mem_by_attempt(config["mem_mb"]),'
    )
    header = f"import sys\nsys.path.insert(0, {str(REPO / 'scripts')!r})\n"
    header += "from sda.job_memory import mem_by_attempt\n\n\n"
    (tmp_path / "Snakefile").write_text(header + snakefile)
    proc = _run_hog(tmp_path, slurm, 450, "--retries", "1")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert (tmp_path / "hog.txt").read_text().strip() == str(700 * 2**20)
    jobs = sorted(sacct_jobs(run_id_of_log(out), at_least=2), key=lambda j: int(j.jobid))
    assert [j.rule for j in jobs] == ["hog", "hog"], jobs
    assert jobs[0].state in {"OUT_OF_MEMORY", "FAILED", "CANCELLED"}, jobs
    assert jobs[1].state == "COMPLETED", jobs
    # The CI check accepts the killed attempt because its retry completed, and says so.
    report = check_jobs(out)
    assert report.startswith(f"1 Slurm jobs of run {run_id_of_log(out)} COMPLETED"), report
    assert (
        f"WARNING: 1 failed attempt(s) that a retry completed:\njob {jobs[0].jobid} (hog)" in report
    )
    assert f"rule_hog/{jobs[0].jobid}.log ---" in report, report
