"""What recording dask's work costs: the whole default run from an empty directory, with
``diagnostics: true`` and ``false`` in alternating order, side by side, on demand (it runs the
workflow several times: about 100 s per run at full scale on 2 cores)::

    PYTHONPATH=scripts python3 -m sda.diagnostics.overhead --runs 2 --cores 8

writes ``results/bench/diagnostics.csv``: one row per run (its order, the seconds of the whole
run and the summed ``benchmark:`` seconds of the rules that record), then the medians and the
ratio with/without. The runs happen in a scratch directory that is removed afterwards (the
blocks of one run are 8 GB at full scale).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from sda.io import scratch_dir, write_csv
from sda.measure.timing import round_order, timed_call

log = logging.getLogger(__name__)

RECORDING_RULES = (
    "array_summary",
    "block_means",
    "text_counts",
    "text_delayed",
    "csv_describe",
    "report_html",
)
FIELDS = ("run", "diagnostics", "order", "seconds", "recording_rules_s")
MODES = ("with", "without")


def rule_seconds(workdir: Path, rules: Sequence[str] = RECORDING_RULES) -> float:
    """Summed wall seconds of ``rules`` in a run's ``benchmarks/<rule>.tsv``."""
    total = 0.0
    for rule in rules:
        tsv = workdir / "benchmarks" / f"{rule}.tsv"
        if tsv.exists():
            lines = tsv.read_text().splitlines()
            total += float(lines[-1].split("\t")[0])
    return total


def default_run(snakefile: Path, workdir: Path, config: dict, cores: int) -> tuple[float, float]:
    """Seconds of ``snakemake --cores N`` (the default target) in the empty ``workdir`` with
    ``config``, and the summed seconds of the rules that record."""
    workdir.mkdir(parents=True)
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
        "--configfile",
        str(configfile),
        "--quiet",
        "all",
    ]
    proc, seconds = timed_call(lambda: subprocess.run(cmd, capture_output=True, text=True))
    if proc.returncode:
        raise RuntimeError(f"the default run failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return seconds, rule_seconds(workdir)


def measure(snakefile: Path, config: dict, cores: int, runs: int, scratch: Path) -> list[dict]:
    """``runs`` pairs of default runs, with and without diagnostics, alternating which goes
    first; a row per run."""
    base = {**config, "bench": {**config["bench"], "evidence": False}}
    rows = []
    with scratch_dir(scratch) as d:
        for r in range(runs):
            for order, mode in enumerate(round_order(MODES, r)):
                cfg = {**base, "diagnostics": mode == "with"}
                seconds, rules = default_run(snakefile, d / f"{r}_{mode}", cfg, cores)
                log.info(
                    "run %d %s diagnostics: %.1f s (recording rules %.1f s)",
                    r,
                    mode,
                    seconds,
                    rules,
                )
                rows.append(
                    {
                        "run": r,
                        "diagnostics": mode == "with",
                        "order": order,
                        "seconds": round(seconds, 2),
                        "recording_rules_s": round(rules, 2),
                    }
                )
                shutil.rmtree(d / f"{r}_{mode}")
    return rows


def summary_rows(rows: list[dict]) -> list[dict]:
    """Median rows per mode and the ratio with/without (of the run and of the rules)."""
    out = []
    med = {}
    for mode in (True, False):
        mine = [r for r in rows if r["diagnostics"] is mode]
        med[mode] = (
            statistics.median(r["seconds"] for r in mine),
            statistics.median(r["recording_rules_s"] for r in mine),
        )
        out.append(
            {
                "run": "median",
                "diagnostics": mode,
                "order": "",
                "seconds": round(med[mode][0], 2),
                "recording_rules_s": round(med[mode][1], 2),
            }
        )
    out.append(
        {
            "run": "ratio",
            "diagnostics": "with/without",
            "order": "",
            "seconds": round(med[True][0] / med[False][0], 4),
            "recording_rules_s": round(med[True][1] / med[False][1], 4),
        }
    )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python3 -m sda.diagnostics.overhead", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--configfile", default="config/config.yaml")
    parser.add_argument("--snakefile", default="Snakefile")
    parser.add_argument("--cores", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2, help="pairs of runs (with, without)")
    parser.add_argument("--out", default="results/bench/diagnostics.csv")
    parser.add_argument("--scratch", default="results/bench/diagnostics_scratch")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = yaml.safe_load(Path(args.configfile).read_text())
    rows = measure(
        Path(args.snakefile).resolve(), config, args.cores, args.runs, Path(args.scratch).resolve()
    )
    rows += summary_rows(rows)
    write_csv(args.out, rows, FIELDS)
    for row in rows:
        print(",".join(str(row[f]) for f in FIELDS))


if __name__ == "__main__":
    main()
