"""The main job and the evidence benchmarks: what `snakemake` and `snakemake bench` run, and the
recovery commands Snakemake prints, as a user types them (no --cores)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import (
    REPO,
    SCHEMA,
    job_counts,
    load_yaml,
    run_snakemake,
    run_workflow_command,
    snakemake_command,
)
from sda import __version__
from sda.config import validate_config
from sda.config_checks import CHECKS

pytestmark = pytest.mark.workflow

EVIDENCE_RULES = {
    "bench_generate",
    "bench_stores",
    "bench_text",
    "bench_tables",
    "bench_engines",
    "engines_parquet",
}
ONE_AT_A_TIME = EVIDENCE_RULES - {"engines_parquet"}  # the rules that ask for `evidence`
LESSON_MEASUREMENTS = {"bench_block_io", "bench_text_schedulers", "block_means", "csv_describe"}


def bare(workdir, *args: str) -> subprocess.CompletedProcess:
    """``snakemake <args>`` exactly as typed: no --cores, no --configfile."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return run_workflow_command(snakemake_command(*args), cwd=workdir, env=env, timeout=600)


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


@pytest.mark.parametrize(
    "given, rule, jobs",
    [
        ("blocks={n: 40}", "generate_blocks", 4),  # the test config's 20 blocks: 2 batches
        ("blocks={n: 40, batch: 1}", "generate_blocks", 40),
        ("bench={evidence: true}", "bench_stores", 1),
        ("text={bench_schedulers: false}", "bench_text_schedulers", 0),
        ("blocks={csv_n: 0}", "csv_describe", 0),  # no CSV blocks: no describe
        ("dask={slurm: {jobs: 4, cores: 2, timeout: 60.5}}", "array_summary", 1),
        ("scaling={blocks: [10, 20], corpus_copies: [1]}", "array_summary", 1),
    ],
)
def test_config_on_the_command_line_as_users_type_it(workflow_copy, given, rule, jobs):
    """Nested --config values (strings to Snakemake) are read as in the config file: the job
    set follows them."""
    proc = run_snakemake(workflow_copy, "-n", "--config", given)
    assert job_counts(proc).get(rule, 0) == jobs, proc.stdout


@pytest.mark.parametrize(
    "given, key",
    [
        ("blocks={rows: 2.5}", "blocks.rows"),
        ("bench={evidence: yes please}", "bench.evidence"),
        ("blocks={nn: 3}", "blocks.nn"),
        ("blocks={n: 20", "blocks"),
        ("dask={slurm: {jobs: [4]}}", "dask.slurm.jobs"),
    ],
)
def test_bad_config_on_the_command_line_fails_naming_the_key(workflow_copy, given, key):
    proc = run_snakemake(workflow_copy, "-n", "--config", given, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"invalid config key {key}: " in out, out
    assert "Traceback" not in out and "Job stats" not in out


NOTHING_TO_DO = "Nothing to be done (all requested files are present and up to date)."


def dry_run(workdir, cores: int | None, *targets: str) -> str:
    """``snakemake -n [--cores N] <targets>`` on the test config, as a user types it."""
    cores_args = [] if cores is None else ["--cores", str(cores)]
    proc = bare(workdir, "-n", *targets, *cores_args, "--configfile", "config/test.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """A fresh copy of the workflow after its default run on the test config, and that run's
    terminal (stdout and stderr, as a user sees them)."""
    from conftest import copy_workflow

    workdir = copy_workflow(tmp_path_factory.mktemp("default_run"))
    proc = run_snakemake(workdir, cores=8)
    return workdir, proc.stdout + proc.stderr


def test_the_terminal_shows_snakemakes_job_lines_and_the_logs_the_details(default_run):
    """Snakemake's job lines and progress on the terminal; the scripts' INFO lines, progress
    included, only in each rule's log; no line longer than 300 characters."""
    workdir, terminal = default_run
    lines = terminal.splitlines()
    assert not [line for line in lines if re.search(r"\bINFO\b|distributed\.", line)]
    assert max(map(len, lines)) <= 300, max(lines, key=len)
    assert "29 of 29 steps (100%) done" in terminal
    jobs = re.findall(r"^Job \d+: (\w+): .*\(.*log: (logs/\S+\.log)\)$", terminal, re.M)
    assert {rule for rule, _ in jobs} >= {"generate_blocks", "array_summary", "text_counts"}
    assert "Shell command: None" not in terminal
    for rule, log in jobs:  # each job's header names its log, which has the details
        assert (workdir / log).stat().st_size > 0, (rule, log)
    progress = (workdir / "logs" / "array_summary.log").read_text()
    assert re.search(r"INFO sda\.scheduler: dask: \d+ of \d+ tasks done \(100%\)", progress)
    written = (workdir / "logs" / "generate_blocks" / "00000.log").read_text()
    assert "INFO sda: 10 of 10 blocks written" in written


@pytest.mark.parametrize("cores", [None, 1, 2, 8])
def test_a_finished_default_run_is_a_no_op_whatever_cores(default_run, cores):
    workdir, _ = default_run
    assert NOTHING_TO_DO in dry_run(workdir, cores)


@pytest.mark.parametrize("cores", [None, 2, 8])
def test_a_finished_bench_run_is_a_no_op_whatever_cores(workflow_run, cores):
    """After the default run and `bench` (the session's run): neither target has anything to
    do, whatever --cores is now."""
    assert NOTHING_TO_DO in dry_run(workflow_run, cores)
    assert NOTHING_TO_DO in dry_run(workflow_run, cores, "bench")


def test_the_evidence_benchmarks_ran_one_at_a_time(workflow_run):
    """In the session's `bench` run (its Snakemake log): no evidence benchmark started while
    another was running."""
    logs = sorted((workflow_run / ".snakemake" / "log").glob("*.snakemake.log"))
    bench_log = next(p for p in reversed(logs) if "Job 0: bench:" in p.read_text())
    rule_of, running, overlaps, seen = {}, set(), [], set()
    for line in bench_log.read_text().splitlines():
        if m := re.match(r"Job (\d+): (\w+):", line):
            rule_of[m[1]] = m[2]
            if m[2] in ONE_AT_A_TIME:
                overlaps += [(m[2], other) for other in running]
                running.add(m[2])
                seen.add(m[2])
        elif m := re.match(r"Finished jobid: (\d+) ", line):
            running.discard(rule_of.get(m[1]))
    assert seen == ONE_AT_A_TIME and overlaps == []


def validated(configfile) -> dict:
    """The config as the workflow validates it: config/config.yaml (the Snakefile's
    ``configfile:``), ``configfile`` over it as Snakemake merges them, defaults filled in."""
    from snakemake.utils import update_config

    config = load_yaml(REPO / "config" / "config.yaml")
    update_config(config, load_yaml(REPO / configfile))
    validate_config(config, SCHEMA, checks=CHECKS)
    return config


def sha256_json(config: dict) -> str:
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_version_json_says_what_made_the_results(default_run):
    """results/VERSION.json: sda's version, no commit (a copy outside git), the checksum of the
    validated config; the report's run facts show the same."""
    workdir, _ = default_run
    record = json.loads((workdir / "results" / "VERSION.json").read_text())
    config = sha256_json(validated("config/test.yaml"))
    assert record == {"version": __version__, "commit": None, "dirty": None, "config": config}
    report = (workdir / "results" / "report" / "report.html").read_text()
    assert f"<th>sda</th><td>{__version__}</td>" in report
    assert f"<td>{config}</td>" in report
    assert "<td>not in a git repository</td>" in report


@pytest.mark.skipif(not shutil.which("git"), reason="needs git (apt-get install git)")
def test_version_json_follows_the_commit_and_a_changed_tree(workflow_copy):
    """In a git repository: HEAD's hash; a changed tracked file makes Snakemake remake the file
    (its params changed) with dirty true."""

    def git(*args: str) -> str:
        cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
        return subprocess.run(
            cmd, cwd=workflow_copy, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "a copy")
    run_snakemake(workflow_copy, "results/VERSION.json")
    path = workflow_copy / "results" / "VERSION.json"
    record = json.loads(path.read_text())
    assert (record["commit"], record["dirty"]) == (git("rev-parse", "HEAD"), False)
    assert NOTHING_TO_DO in dry_run(workflow_copy, 2, "results/VERSION.json")
    snakefile = workflow_copy / "Snakefile"
    snakefile.write_text(snakefile.read_text() + "\n# changed\n")
    assert "Job 0: version: results/VERSION.json" in dry_run(
        workflow_copy, 2, "results/VERSION.json"
    )
    run_snakemake(workflow_copy, "results/VERSION.json")
    assert json.loads(path.read_text())["dirty"] is True
