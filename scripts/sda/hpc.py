"""Checks of a cluster run: which results must equal a local run, and which jobs Slurm ran.

Used by ci/slurm/check.sh (``python -m sda.hpc compare|jobs ...``) and tests/test_slurm.py.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Files under results/ that legitimately differ between any two runs, with the reason. Every
# other file must be byte-identical between a local and a cluster run of the same config.
NONDETERMINISTIC: dict[str, str] = {
    "bench/*": "timings measured during the run (seconds, rates)",
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

SACCT_FIELDS = ("JobIDRaw", "JobName", "Comment", "State", "ExitCode", "Account", "Partition")


@dataclass(frozen=True)
class SlurmJob:
    jobid: str
    name: str
    rule: str
    state: str
    exit_code: str
    account: str
    partition: str


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
        jobid, name, comment, state, code, account, partition = line.split("|")[:7]
        jobs.append(
            SlurmJob(
                jobid, name, rule_of_comment(comment), state.split()[0], code, account, partition
            )
        )
    return jobs


def sacct_jobs(run_id: str) -> list[SlurmJob]:
    """The allocations (not steps) Slurm accounted for under the plugin's run id (the job name)."""
    cmd = ["sacct", "-X", "-P", "-n", "-S", "now-1days", "--name", run_id]
    cmd += ["-o", ",".join(SACCT_FIELDS)]
    return parse_sacct(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def run_id_of_log(text: str) -> str:
    m = re.search(r"^SLURM run ID: (\S+)", text, re.M)
    if not m:
        raise ValueError("no 'SLURM run ID' in the Snakemake log: not a run with executor slurm")
    return m.group(1)


def remote_rules_of_log(text: str) -> Counter:
    """Jobs Snakemake submitted (``rule x:``), per rule; ``localrule x:`` ran on the host."""
    return Counter(re.findall(r"^rule (\w+):$", text, re.M))


def check_jobs(log_text: str, account: str | None = None, partition: str | None = None) -> str:
    """Every job the run submitted is a COMPLETED Slurm job; raise AssertionError otherwise."""
    run_id = run_id_of_log(log_text)
    jobs = sacct_jobs(run_id)
    wanted = remote_rules_of_log(log_text)
    got = Counter(j.rule for j in jobs)
    problems = []
    if got != wanted:
        problems.append(f"Snakemake submitted {dict(wanted)} but sacct lists {dict(got)}")
    problems += [f"job {j.jobid} ({j.rule}) is {j.state}" for j in jobs if j.state != "COMPLETED"]
    if account:
        problems += [f"job {j.jobid} charged {j.account}" for j in jobs if j.account != account]
    if partition:
        problems += [
            f"job {j.jobid} ran in {j.partition}" for j in jobs if j.partition != partition
        ]
    if problems:
        raise AssertionError("\n".join(problems))
    return f"{len(jobs)} Slurm jobs of run {run_id}, all COMPLETED: {dict(sorted(got.items()))}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sda.hpc", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="compare two results/ trees")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    j = sub.add_parser("jobs", help="check sacct against a Snakemake log of a slurm run")
    j.add_argument("log", type=Path)
    j.add_argument("--account")
    j.add_argument("--partition")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "compare":
            result = compare_results(args.a, args.b)
            print(result.summary())
            return 0 if result.ok else 1
        print(check_jobs(args.log.read_text(), args.account, args.partition))
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
