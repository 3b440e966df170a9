"""The main job and the evidence benchmarks: what `snakemake` and `snakemake bench` run, and the
recovery commands Snakemake prints, as a user types them (no --cores)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import run_snakemake

EVIDENCE_RULES = {"bench_generate", "bench_stores", "bench_text", "bench_tables"}
LESSON_MEASUREMENTS = {"bench_block_io", "bench_text_schedulers", "block_means", "csv_describe"}


def job_counts(proc: subprocess.CompletedProcess) -> dict[str, int]:
    """Rule -> job count from the job stats table of a dry run."""
    table = proc.stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def bare(workdir, *args: str) -> subprocess.CompletedProcess:
    """``snakemake <args>`` exactly as typed: no --cores, no --configfile."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_default_run_has_no_evidence_benchmark(workflow_copy):
    counts = job_counts(run_snakemake(workflow_copy, "-n", configfile="config/config.yaml"))
    assert EVIDENCE_RULES.isdisjoint(counts), counts
    assert LESSON_MEASUREMENTS <= set(counts)
    assert counts["report_html"] == 1 and "bench" not in counts


def test_bench_runs_every_evidence_benchmark_then_the_report(workflow_copy):
    counts = job_counts(
        run_snakemake(workflow_copy, "-n", "bench", configfile="config/config.yaml")
    )
    assert EVIDENCE_RULES <= set(counts), counts
    assert counts["bench"] == 1 and "report_html" not in counts
    # from an empty directory, bench makes what the report needs first
    assert counts["generate_blocks"] == 10 and LESSON_MEASUREMENTS <= set(counts)


def test_evidence_switch_puts_them_in_every_run(workflow_copy):
    (workflow_copy / "evidence.yaml").write_text("bench:\n  evidence: true\n")
    proc = run_snakemake(workflow_copy, "-n", configfile=["config/test.yaml", "evidence.yaml"])
    assert EVIDENCE_RULES <= set(job_counts(proc))


@pytest.mark.parametrize("args", [("--unlock",), ("-n",)])
def test_recovery_commands_work_as_printed(workflow_copy, args):
    """`snakemake --unlock` (what Snakemake prints after a crash) and a bare dry run, on the
    default config, with no --cores."""
    proc = bare(workflow_copy, *args)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "requires a total number of cores" not in out
    if args == ("--unlock",):
        assert "Unlocked working directory" in out
    else:
        assert job_counts(proc)["generate_blocks"] == 10


def test_job_reasons_do_not_list_every_input(workflow_copy):
    """A dry run of the full job set prints no per-job reason (one would list up to 1000
    updated inputs); the summary still says why each rule runs."""
    proc = run_snakemake(workflow_copy, "-n", configfile="config/config.yaml")
    assert "reason:" not in proc.stdout
    assert "Reasons:" in proc.stdout and "input files updated by another job" in proc.stdout
