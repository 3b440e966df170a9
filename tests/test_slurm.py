"""The Slurm profile, the cluster-vs-local comparison, and a job Slurm kills for its memory.

Tests marked ``slurm`` need a running Slurm (ci/slurm/start.sh; ci/slurm/check.sh runs them);
they are skipped, saying why, when ``sinfo`` cannot reach one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
import yte

from conftest import REPO, copy_workflow
from slurm_check import (
    check_jobs,
    compare_results,
    excluded,
    hdf5_content_equal,
    parse_sacct,
    remote_rules_of_log,
    rule_of_comment,
    run_id_of_log,
    sacct_jobs,
    slurm_logs_of_log,
    tail,
)


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


SLURM_PROFILE = REPO / "profiles" / "slurm" / "config.yaml"
DEFAULT_PROFILE = REPO / "profiles" / "default" / "config.yaml"


# --- profiles -------------------------------------------------------------------------------


def _profile(path: Path, env: dict | None = None) -> dict:
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        with open(path) as fh:
            return yte.process_yaml(fh, require_use_yte=True)
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_slurm_profile_takes_partition_and_account_from_site_or_environment(monkeypatch):
    for var in ("SDA_SLURM_PARTITION", "SDA_SLURM_ACCOUNT"):
        monkeypatch.delenv(var, raising=False)
    plain = _profile(SLURM_PROFILE)
    assert plain["executor"] == "slurm"
    res = plain["default-resources"]
    assert {"slurm_partition", "slurm_account", "mem_mb", "runtime"} <= res.keys()
    assert isinstance(res["mem_mb"], int) and isinstance(res["runtime"], int)
    ci = _profile(SLURM_PROFILE, {"SDA_SLURM_PARTITION": "p1", "SDA_SLURM_ACCOUNT": "a1"})
    assert (
        ci["default-resources"]["slurm_partition"],
        ci["default-resources"]["slurm_account"],
    ) == (
        "p1",
        "a1",
    )


def test_every_slurm_profile_entry_says_what_a_site_changes():
    entry = re.compile(r"^\s*[\w-]+:\s*\S")  # a key with a value on the same line
    lines = [ln for ln in SLURM_PROFILE.read_text().splitlines() if not ln.lstrip().startswith("#")]
    valued = [ln for ln in lines if entry.match(ln) and not ln.startswith("__")]
    assert valued, "no entries found"
    assert [ln for ln in valued if " # " not in ln and not ln.strip().startswith("- ")] == []


def test_default_profile_leaves_the_execution_environment_to_other_profiles():
    # profiles/default is read on top of --profile profiles/slurm and wins key by key:
    # any of these here would silently replace the cluster's settings.
    keys = set(yaml.safe_load(DEFAULT_PROFILE.read_text()))
    environment = {"cores", "jobs", "executor", "default-resources", "max-threads", "resources"}
    assert keys & environment == set()


def test_slurm_profile_resources_reach_the_jobs_in_a_dry_run(tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    # Without the rules' one-line messages, Snakemake's job headers list every resource.
    for smk in [wf / "Snakefile", *(wf / "rules").glob("*.smk")]:
        smk.write_text(re.sub(r'\n    message:\n        "[^"\n]*"', "", smk.read_text()))
    env = dict(os.environ, SDA_SLURM_PARTITION="p-dry", SDA_SLURM_ACCOUNT="a-dry")
    cmd = [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "-n"]
    cmd += ["--configfile", "config/test.yaml"]
    proc = subprocess.run(cmd, cwd=wf, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    assert "workflow specific profile profiles/default" in out
    res = re.findall(r"^\s+resources: (.*)$", out, re.M)
    assert res and all("slurm_partition=p-dry" in r and "slurm_account=a-dry" in r for r in res)


# --- comparing a cluster run with a local run -----------------------------------------------


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_compare_results_names_every_difference(tmp_path):
    same = {"blocks/npy/x000000.npy": b"\x93NUMPY1", "stores/a.zarr/c/0": b"z"}
    a = _tree(tmp_path / "a", {**same, "bench/io.csv": b"1.0", "only_a.txt": b"a", "t.csv": b"1"})
    b = _tree(tmp_path / "b", {**same, "bench/io.csv": b"2.0", "only_b.txt": b"b", "t.csv": b"2"})
    res = compare_results(a, b)
    assert sorted(res.identical) == sorted(same)
    assert res.different == ["t.csv"]
    assert (res.only_in_a, res.only_in_b) == (["only_a.txt"], ["only_b.txt"])
    assert list(res.skipped) == ["bench/io.csv"]
    assert not res.ok
    assert compare_results(a, a).ok


def test_exclusions_are_explicit_and_justified():
    assert excluded("bench/block_io.csv")
    assert excluded("report/index.html")
    assert excluded("blocks/npy/x000000.npy") is None
    assert excluded("tables/summary.csv") is None


def _h5(path: Path, values: np.ndarray, created: str) -> Path:
    with h5py.File(path, "w") as f:
        f.attrs["created"] = created
        f.create_dataset("x", data=values)  # h5py stores the object's modification time
    return path


def test_hdf5_files_equal_in_content_despite_timestamps(tmp_path):
    x = np.arange(12.0).reshape(3, 4)
    a = _h5(tmp_path / "a.h5", x, "2026-01-01T00:00:00")
    time.sleep(1.1)
    b = _h5(tmp_path / "b.h5", x, "2026-01-02T00:00:00")
    assert a.read_bytes() != b.read_bytes()
    assert hdf5_content_equal(a, b)
    c = _h5(tmp_path / "c.h5", x + 1e-12, "2026-01-01T00:00:00")
    assert not hdf5_content_equal(a, c)


SACCT = """\
7|0f9c|rule_generate_blocks_wildcards_00001|COMPLETED|0:0|sda|ci|6_1
8|0f9c|rule_bench_generate|COMPLETED|0:0|sda|ci|8
9|0f9c|rule_hog|OUT_OF_MEMORY|0:125|sda|ci|9
10|0f9c|rule_hog|CANCELLED by 0|0:0|sda|ci
"""
LOG = """\
SLURM run ID: 0f9c
Job 1: generate_blocks: batch 00000, 10 npy blocks (log: logs/generate_blocks/00000.log)
Job 3: generate_blocks: batch 00001, 10 npy blocks (log: logs/generate_blocks/00001.log)
Submitted array job with Snakemake IDs 1,3 and SLURM job ID 6. The individual task IDs are 1-2.
Job 4: hdf5_listing: results/stores/hdf5_listing.tsv (log: logs/hdf5_listing.log)
Job 0: all: every result of the default run
rule bench_generate:
    input: results/blocks/npy/x000000.npy
    jobid: 2
Job 2 has been submitted with SLURM jobid 7 (log: /w/.snakemake/slurm_logs/rule_bench_generate/7.log).
"""


def test_sacct_and_log_parsing():
    jobs = parse_sacct(SACCT)
    assert [j.rule for j in jobs] == ["generate_blocks", "bench_generate", "hog", "hog"]
    assert [j.state for j in jobs] == ["COMPLETED", "COMPLETED", "OUT_OF_MEMORY", "CANCELLED"]
    assert [j.array_task for j in jobs] == [True, False, False, False]
    assert rule_of_comment("rule_block_csv_wildcards_x000001") == "block_csv"
    assert run_id_of_log(LOG) == "0f9c"
    assert remote_rules_of_log(LOG) == Counter(generate_blocks=2, bench_generate=1)
    retried = LOG + (
        "Error in rule bench_generate:\n    jobid: 2\nrule bench_generate:\n    jobid: 2\n"
        "Job 2 has been submitted with SLURM jobid 8 (log: /w/8.log).\n"
    )
    assert remote_rules_of_log(retried) == Counter(generate_blocks=2, bench_generate=1)
    assert slurm_logs_of_log(LOG) == {
        "7": Path("/w/.snakemake/slurm_logs/rule_bench_generate/7.log")
    }


def test_tail_quotes_the_end_of_a_failed_jobs_log(tmp_path):
    log = tmp_path / "7.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(log, 3) == "line 97\nline 98\nline 99"
    assert tail(tmp_path / "absent.log").startswith(f"(cannot read {tmp_path / 'absent.log'}")


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


def test_ci_scripts_are_valid_bash():
    for script in ("start.sh", "stop.sh", "check.sh"):
        subprocess.run(["bash", "-n", str(REPO / "ci" / "slurm" / script)], check=True)


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
    cmd = [sys.executable, "-m", "snakemake", "--executor", "slurm", "--jobs", "1", *extra]
    cmd += ["--slurm-init-seconds-before-status-checks", "2", "--config", f"mem_mb={mem_mb}"]
    resources = [f"slurm_{k}={v}" for k, v in slurm.items() if v]
    if resources:
        cmd += ["--default-resources", *resources]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)


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
    time.sleep(2)  # accounting records arrive asynchronously
    states = {j.state for j in sacct_jobs(run_id_of_log(out))}
    assert states and states <= {"OUT_OF_MEMORY", "FAILED", "CANCELLED"}, states

    rerun = _run_hog(tmp_path, slurm, 1500)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (tmp_path / "hog.txt").read_text().strip() == str(700 * 2**20)
    time.sleep(2)
    jobs = sacct_jobs(run_id_of_log(rerun.stdout + rerun.stderr))
    assert [(j.rule, j.state) for j in jobs] == [("hog", "COMPLETED")]


@pytest.mark.slurm
def test_job_killed_for_memory_is_retried_with_memory_by_attempt(tmp_path, slurm_kills_over_memory):
    """The profile's retries with the rules' mem_by_attempt: 450 MB is killed, 900 completes."""
    slurm = slurm_kills_over_memory
    snakefile = HOG_SNAKEFILE.replace(
        'mem_mb=config["mem_mb"],', 'mem_mb=mem_by_attempt(config["mem_mb"]),'
    )
    header = f"import sys\nsys.path.insert(0, {str(REPO / 'scripts')!r})\n"
    header += "from sda.retries import mem_by_attempt\n\n\n"
    (tmp_path / "Snakefile").write_text(header + snakefile)
    proc = _run_hog(tmp_path, slurm, 450, "--retries", "1")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert (tmp_path / "hog.txt").read_text().strip() == str(700 * 2**20)
    time.sleep(2)
    jobs = sorted(sacct_jobs(run_id_of_log(out)), key=lambda j: int(j.jobid))
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
