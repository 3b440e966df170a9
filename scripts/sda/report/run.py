"""The report's last chapter, "Run facts": the report's date, what made the results (sda's
version, the workflow's git commit, the config's checksum: ``results/VERSION.json``), the
machine, the package versions, and per rule its jobs, the threads each had and their wall time (Snakemake's
``benchmark:`` files under ``benchmarks/``). Nothing of the command that happens to rebuild
the report."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from sda.io import now_iso, read_json, read_table
from sda.report import style
from sda.report.build import Chapter, Run
from sda.report.numbers import human
from sda.report.page import Page

PACKAGES = (
    "snakemake",
    "numpy",
    "h5py",
    "zarr",
    "dask",
    "distributed",
    "pandas",
    "pyarrow",
    "matplotlib",
    "networkx",
    "jinja2",
)


def rule_of_benchmark(path: Path, benchmarks: Path) -> str:
    """benchmarks/<rule>.tsv or benchmarks/<rule>/<wildcards>.tsv -> <rule>."""
    return Path(path).relative_to(benchmarks).with_suffix("").parts[0]


def read_rule_times(benchmarks: Path, rule: str | None = None) -> pd.DataFrame:
    """Per rule, from Snakemake's ``benchmark:`` files: its jobs, their wall time summed, and
    the fewest and most threads a job had (``threads``: recorded with ``benchmark-extended``,
    as the workflow profile sets; NaN where a file predates it). Slowest first. ``rule``:
    that rule's files only (``<rule>.tsv``, ``<rule>/*.tsv``), the others not read."""
    benchmarks = Path(benchmarks)
    if rule is None:
        paths = benchmarks.rglob("*.tsv")
    else:
        paths = [*benchmarks.glob(f"{rule}.tsv"), *(benchmarks / rule).rglob("*.tsv")]
    rows = []
    for path in sorted(paths):
        frame = read_table(path, numeric=["s"], sep="\t")
        threads = frame["threads"] if "threads" in frame else pd.Series([float("nan")])
        rows.append(
            {
                "rule": rule_of_benchmark(path, benchmarks),
                "seconds": frame["s"].sum(),
                "threads": pd.to_numeric(threads, errors="coerce").max(),
            }
        )
    per_job = pd.DataFrame(rows, columns=["rule", "seconds", "threads"])
    per_rule = per_job.groupby("rule", as_index=False).agg(
        jobs=("rule", "count"),
        seconds=("seconds", "sum"),
        threads_min=("threads", "min"),
        threads_max=("threads", "max"),
    )
    return per_rule.sort_values(["seconds", "rule"], ascending=[False, True], ignore_index=True)


def threads_range(low: float, high: float) -> str:
    """``2``, ``1-2`` or ``?`` (not recorded) for the threads of a rule's jobs."""
    if pd.isna(low) or pd.isna(high):
        return "?"
    return f"{low:.0f}" if low == high else f"{low:.0f}-{high:.0f}"


def package_versions() -> dict[str, str]:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return versions


def rule_times_figure(per_rule: pd.DataFrame):
    fig, ax = style.figure(8, bars=len(per_rule))
    style.hbars(ax, list(per_rule["rule"]), list(per_rule["seconds"]), unit="s")
    ax.set_xlabel("wall time summed over the rule's jobs (s, from benchmarks/)")
    return fig


def made_with(record: dict) -> dict[str, str]:
    """The facts of ``results/VERSION.json`` (:func:`sda.provenance.version_record`)."""
    commit = record.get("commit") or "not in a git repository"
    if record.get("dirty"):
        commit += " (with uncommitted changes)"
    return {"sda": record["version"], "commit": commit, "config": record["config"]}


def build(page: Page, run: Run) -> dict:
    per_rule = read_rule_times(run.benchmarks)
    version = run.path("version")
    facts = {
        "date": now_iso(),
        **(made_with(read_json(version, ("version", "config"))) if version else {}),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        **package_versions(),
    }
    figure = None
    if len(per_rule):
        figure = page.figure(rule_times_figure(per_rule), "run_rule_times", "wall time per rule")
    return {
        "facts": facts,
        "rules_figure": figure,
        "rules": [
            (
                r.rule,
                human(r.jobs),
                threads_range(r.threads_min, r.threads_max),
                human(r.seconds, "s"),
            )
            for r in per_rule.itertuples()
        ],
        "config": yaml.safe_dump(dict(run.config), sort_keys=False),
    }


CHAPTER = Chapter("run", "Run facts", build, measures=False)
