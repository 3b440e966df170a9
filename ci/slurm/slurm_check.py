"""Checks of a cluster run: which results must equal a local run, and which jobs Slurm ran.

The Slurm check's own tooling, not part of the workflow: run by ci/slurm/check.sh
(``python3 ci/slurm/slurm_check.py compare|jobs|workers ...``), imported by
tests/test_slurm_check.py (its unit tests), tests/test_slurm.py, tests/test_slurm_dask.py and
tests/test_workflow_recovery.py (``ci/slurm`` is on pytest's path).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Files under results/ that legitimately differ between any two runs, with the reason. Every
# other file must be byte-identical between a local and a cluster run of the same config.
NONDETERMINISTIC: dict[str, str] = {
    "bench/*": "timings measured during the run (seconds, rates)",
    "diagnostics/*": "memory and task times sampled while dask computed",
    "report/*": "the report embeds the run's timings and its creation time",
    "*.html": "a report embeds the run's timings and its creation time",
    "stores/hdf5_listing.tsv": "the lesson's f.visit listing shows each dataset's `created` time",
    "lahman/backends.csv": "each backend's query time in seconds (the other columns are checked by the rule)",
}
# (fnmatch: `*` also matches `/`, so "bench/*" covers everything below results/bench/.)
# HDF5 files carry object modification times (h5py track_times) and a `created` attribute:
# when their bytes differ, their datasets and other attributes must still be equal.
HDF5_SUFFIXES = (".h5", ".hdf5")
HDF5_VOLATILE_ATTRS = ("created",)
# Lines of a failed job's Slurm log quoted when a run's jobs are checked.
LOG_TAIL_LINES = 60


def excluded(rel: str) -> str | None:
    """The reason ``rel`` (a path relative to results/) is not compared, or None."""
    for pattern, reason in NONDETERMINISTIC.items():
        if fnmatch.fnmatchcase(rel, pattern):
            return reason
    return None


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def hdf5_content_equal(a: Path, b: Path, volatile=HDF5_VOLATILE_ATTRS) -> bool:
    """Same groups, datasets (values, dtype, shape) and attributes except ``volatile`` ones."""
    import h5py
    import numpy as np

    def walk(f) -> dict:
        items = {}

        def visit(name, obj):
            attrs = {k: v for k, v in obj.attrs.items() if k not in volatile}
            data = obj[()] if isinstance(obj, h5py.Dataset) else None
            items[name] = (type(obj).__name__, attrs, data)

        visit("/", f)
        f.visititems(visit)
        return items

    def same(x, y) -> bool:
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            return np.array_equal(np.asarray(x), np.asarray(y))
        return x == y

    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        ia, ib = walk(fa), walk(fb)
    if ia.keys() != ib.keys():
        return False
    for name, (kind, attrs, data) in ia.items():
        kind_b, attrs_b, data_b = ib[name]
        if kind != kind_b or attrs.keys() != attrs_b.keys():
            return False
        if not all(same(attrs[k], attrs_b[k]) for k in attrs):
            return False
        if data is not None and (data.dtype != data_b.dtype or not same(data, data_b)):
            return False
    return True


@dataclass
class Comparison:
    identical: list[str] = field(default_factory=list)
    hdf5_content_equal: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.identical) and not (self.different or self.only_in_a or self.only_in_b)

    def summary(self) -> str:
        lines = [
            f"{len(self.identical)} files byte-identical, "
            f"{len(self.hdf5_content_equal)} HDF5 files equal in content (timestamps differ), "
            f"{len(self.skipped)} not compared (run-dependent)"
        ]
        for label, names in (
            ("DIFFERENT", self.different),
            ("ONLY IN FIRST", self.only_in_a),
            ("ONLY IN SECOND", self.only_in_b),
            ("hdf5 content-equal", self.hdf5_content_equal),
        ):
            lines += [f"  {label}: {n}" for n in names]
        reasons = Counter(self.skipped.values())
        lines += [f"  not compared: {n} file(s): {why}" for why, n in reasons.items()]
        return "\n".join(lines)


def compare_results(a: Path, b: Path) -> Comparison:
    """Compare every file under two results/ trees (see NONDETERMINISTIC for the exclusions)."""
    a, b = Path(a), Path(b)
    fa, fb = _files(a), _files(b)
    out = Comparison()
    for rel in sorted(fa | fb):
        reason = excluded(rel)
        if reason:
            out.skipped[rel] = reason
        elif rel not in fb:
            out.only_in_a.append(rel)
        elif rel not in fa:
            out.only_in_b.append(rel)
        elif (a / rel).read_bytes() == (b / rel).read_bytes():
            out.identical.append(rel)
        elif rel.endswith(HDF5_SUFFIXES) and hdf5_content_equal(a / rel, b / rel):
            out.hdf5_content_equal.append(rel)
        else:
            out.different.append(rel)
    return out


# --- what Slurm ran -------------------------------------------------------------------------

SACCT_FIELDS = (
    "JobIDRaw",
    "JobName",
    "Comment",
    "State",
    "ExitCode",
    "Account",
    "Partition",
    "JobID",  # <array job>_<task> for a task of a job array, else the same as JobIDRaw
)
# The job name of dask's worker jobs (sda.slurm_workers.JOB_NAME).
DASK_WORKER_JOB = "sda-dask"
# How long to wait for slurmdbd to list jobs that just ended.
SACCT_WAIT_S = 60
ACTIVE_STATES = frozenset({"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED"})


@dataclass(frozen=True)
class SlurmJob:
    jobid: str
    name: str
    rule: str
    state: str
    exit_code: str
    account: str
    partition: str
    array_task: bool = False


def rule_of_comment(comment: str) -> str:
    """The plugin's job comment is ``rule_<name>`` or ``rule_<name>_wildcards_<values>``."""
    rule = comment.removeprefix("rule_")
    return rule.split("_wildcards_", 1)[0]


def parse_sacct(text: str) -> list[SlurmJob]:
    """Parse ``sacct -X -P -n -o <SACCT_FIELDS>`` output."""
    jobs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("|")
        jobid, name, comment, state, code, account, partition = fields[:7]
        array_task = len(fields) > 7 and "_" in fields[7]
        rule = rule_of_comment(comment)
        jobs.append(
            SlurmJob(jobid, name, rule, state.split()[0], code, account, partition, array_task)
        )
    return jobs


def sacct_jobs(
    run_id: str, since: str = "now-1days", at_least: int = 0, wait_s: float = SACCT_WAIT_S
) -> list[SlurmJob]:
    """The allocations (not steps) Slurm accounted for under a job name: the plugin's run id,
    or the dask worker jobs' name.

    slurmctld sends job records to slurmdbd asynchronously, so a job that just ended may be
    missing or still listed as running: ask again (every second, up to ``wait_s``) until at
    least ``at_least`` jobs are listed and none is in a state a job leaves, then return what is
    listed."""
    cmd = ["sacct", "-X", "-P", "-n", "-S", since, "--name", run_id]
    cmd += ["-o", ",".join(SACCT_FIELDS)]
    deadline = time.monotonic() + wait_s
    while True:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        jobs = parse_sacct(out)
        settled = len(jobs) >= at_least and not any(j.state in ACTIVE_STATES for j in jobs)
        if settled or time.monotonic() > deadline:
            return jobs
        time.sleep(1)


def queued_jobs(name: str) -> list[str]:
    """``"<job id> <state>"`` of every job named ``name`` still in Slurm's queue (squeue)."""
    cmd = ["squeue", "-h", "-n", name, "-o", "%i %T"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def run_id_of_log(text: str) -> str:
    m = re.search(r"^SLURM run ID: (\S+)", text, re.M)
    if not m:
        raise ValueError("no 'SLURM run ID' in the Snakemake log: not a run with executor slurm")
    return m.group(1)


def slurm_logs_of_log(text: str) -> dict[str, Path]:
    """Slurm job id -> the job's own log file, as the plugin announces each submission."""
    found = re.findall(r"submitted with SLURM jobid (\d+) \(log: ([^)]+)\)", text)
    return {job: Path(path) for job, path in found}


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of ``path`` (or why there are none), for a failure report."""
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError as exc:
        return f"(cannot read {path}: {exc.strerror})"
    return "\n".join(text)


def remote_rules_of_log(text: str) -> Counter:
    """Jobs Snakemake sent to Slurm, per rule, each job once (a retried job is submitted
    again with the same id): the jobs the plugin announces (``Job 5 has been submitted with
    SLURM jobid …``, ``Submitted array job with Snakemake IDs 1,2 …``), each with the rule of
    its header (``Job 5: generate_blocks: …``, from the rules' messages, or a ``rule x:`` block
    with its ``jobid``). Local rules run on the host and are never submitted."""
    rules = dict(re.findall(r"^Job (\d+): (\w+): ", text, re.M))
    blocks = re.findall(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    jobid: (\d+)$", text, re.M)
    rules |= {jobid: rule for rule, jobid in blocks}
    submitted = set(re.findall(r"^Job (\d+) has been submitted with SLURM jobid", text, re.M))
    for ids in re.findall(r"Submitted array job with Snakemake IDs ([\d,]+)", text):
        submitted |= set(ids.split(","))
    return Counter(rules.get(jobid, f"(job {jobid})") for jobid in submitted)


def check_jobs(
    log_text: str,
    account: str | None = None,
    partition: str | None = None,
    array_rules: tuple[str, ...] = (),
) -> str:
    """Every job the run submitted ended as one COMPLETED Slurm job, and every job of
    ``array_rules`` is a task of a job array; raise AssertionError otherwise.

    A failed attempt that the profile's ``retries`` resubmitted is allowed when the retry
    completed; the report names it and quotes the end of its log."""
    run_id = run_id_of_log(log_text)
    wanted = remote_rules_of_log(log_text)
    jobs = sacct_jobs(run_id, at_least=sum(wanted.values()))
    done = [j for j in jobs if j.state == "COMPLETED"]
    completed = Counter(j.rule for j in done)
    problems = []
    if completed != wanted:
        problems.append(
            f"Snakemake ran {dict(wanted)} but sacct lists as COMPLETED {dict(completed)}"
        )
    for rule in array_rules:
        tasks = [j.array_task for j in jobs if j.rule == rule]
        if not tasks or not all(tasks):
            problems.append(f"the jobs of {rule} are not all tasks of a job array ({tasks})")
    if account:
        problems += [f"job {j.jobid} charged {j.account}" for j in jobs if j.account != account]
    if partition:
        problems += [
            f"job {j.jobid} ran in {j.partition}" for j in jobs if j.partition != partition
        ]
    # Every attempt that did not complete, with the end of its log: the failure's reason when
    # something is wrong, a warning when a retry completed it.
    logs = slurm_logs_of_log(log_text)
    failed = []
    for j in jobs:
        if j.state != "COMPLETED":
            said = f"job {j.jobid} ({j.rule}) is {j.state}"
            if j.jobid in logs:
                said += f"\n--- end of {logs[j.jobid]} ---\n{tail(logs[j.jobid])}\n---"
            failed.append(said)
    if problems:
        raise AssertionError("\n".join(problems + failed))
    arrays = sum(j.array_task for j in done)
    report = (
        f"{sum(completed.values())} Slurm jobs of run {run_id} COMPLETED, {arrays} of them "
        f"array tasks: {dict(sorted(completed.items()))}"
    )
    if failed:
        report += (
            f"\nWARNING: {len(failed)} failed attempt(s) that a retry completed:\n"
            + "\n".join(failed)
        )
    return report


def check_dask_workers(since: str, at_least: int) -> str:
    """At least ``at_least`` dask worker jobs ran since ``since`` (sacct), none is still queued
    or running (squeue), and each ended by the rule's scancel or on its own."""
    jobs = sacct_jobs(DASK_WORKER_JOB, since, at_least)
    left = queued_jobs(DASK_WORKER_JOB)
    problems = []
    if len(jobs) < at_least:
        problems.append(f"sacct lists {len(jobs)} dask worker jobs since {since}, not {at_least}")
    if left:
        problems.append(f"dask worker jobs still in the queue: {left}")
    bad = [j for j in jobs if j.state not in ("CANCELLED", "COMPLETED")]
    problems += [f"dask worker job {j.jobid} ended {j.state}" for j in bad]
    if problems:
        raise AssertionError("\n".join(problems))
    states = Counter(j.state for j in jobs)
    return f"{len(jobs)} dask worker jobs ran as Slurm jobs, none left: {dict(states)}"


# What a self-contained page must not have: a script, style sheet or icon from the network.
REMOTE_SOURCE = re.compile(r"<(script|link|img)\b[^>]*\b(src|href)=[\"']?https?://", re.I)


def check_diagnostics(results: Path, rules: Sequence[str], scheduler: str) -> str:
    """Each of ``rules`` recorded its computation on ``scheduler``'s workers in
    ``results/diagnostics/<rule>/``: both records, read back checked (sda.diagnostics.read),
    with tasks and worker memory in them, and dask's performance report, self-contained."""
    from sda.diagnostics.read import read_record
    from sda.diagnostics.record import record_paths

    problems, seen = [], []
    for rule in rules:
        folder = results / "diagnostics" / rule
        paths = record_paths(folder, distributed=True)
        missing = [Path(p).name for p in paths.values() if not Path(p).is_file()]
        if missing:
            problems.append(f"{folder}: no {', '.join(missing)}")
            continue
        record = read_record(paths)
        if record.info["scheduler"] != scheduler:
            problems.append(f"{folder}: recorded on {record.info['scheduler']}, not {scheduler}")
        if record.tasks.empty or not record.tasks["worker"].str.startswith("worker").all():
            problems.append(f"{folder}/tasks.csv: no tasks from distributed workers")
        if not record.resources["memory_bytes"].notna().any():
            problems.append(f"{folder}/resources.csv: no worker memory read")
        page = Path(paths["dask_report"]).read_text(encoding="utf-8", errors="replace")
        remote = REMOTE_SOURCE.search(page)
        if remote:
            problems.append(f"{folder}/dask-report.html loads from the network: {remote.group(0)}")
        seen.append(f"{rule}: {len(record.tasks)} tasks on {len(record.workers)} workers")
    if problems:
        raise AssertionError("\n".join(problems))
    return "diagnostics recorded from the workers, dask-report.html self-contained: " + "; ".join(
        seen
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m slurm_check", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="compare two results/ trees")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    j = sub.add_parser("jobs", help="check sacct against a Snakemake log of a slurm run")
    j.add_argument("log", type=Path)
    j.add_argument("--account")
    j.add_argument("--partition")
    j.add_argument("--array-rule", action="append", default=[], help="rule sent as a job array")
    w = sub.add_parser("workers", help="check the dask worker jobs since a time (sacct, squeue)")
    w.add_argument("--since", required=True)
    w.add_argument("--at-least", type=int, default=1)
    d = sub.add_parser("diagnostics", help="check dask rules' diagnostics from workers")
    d.add_argument("results", type=Path)
    d.add_argument("--rule", action="append", required=True)
    d.add_argument("--scheduler", default="slurm")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "compare":
            result = compare_results(args.a, args.b)
            print(result.summary())
            return 0 if result.ok else 1
        if args.cmd == "diagnostics":
            print(check_diagnostics(args.results, args.rule, args.scheduler))
            return 0
        if args.cmd == "workers":
            print(check_dask_workers(args.since, args.at_least))
            return 0
        log_text = args.log.read_text()
        print(check_jobs(log_text, args.account, args.partition, tuple(args.array_rule)))
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
