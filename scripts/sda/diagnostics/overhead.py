"""What recording dask's work costs, measured on demand: runs of the workflow with
``diagnostics: true`` and ``false``, in alternating order, side by side::

    PYTHONPATH=scripts python3 -m sda.diagnostics.overhead --what rules --runs 5
    PYTHONPATH=scripts python3 -m sda.diagnostics.overhead --what default --runs 3

``rules`` (after a default run, in the workflow's directory): the rules that record and the
report, forced to run again (``--forcerun``), about 45 s a run at full scale on 2 cores.
``default``: the whole default run from an empty directory in a scratch directory (removed
afterwards; 13 GB at full scale), about 100 s a run; its time depends on the order in which
Snakemake happens to start the jobs, which varies from run to run by more than the cost
measured here.

Writes ``results/bench/diagnostics_<what>.csv``: one row per run (its order in its pair, the
command's seconds, and the wall and CPU seconds of the recording rules from their
``benchmark:`` records), then the medians per mode and the ratios with/without.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from sda.io import scratch_dir, write_csv
from sda.measure.process import snakemake_seconds
from sda.measure.timing import round_order

log = logging.getLogger(__name__)

# The rules that record (and the report, which draws the records; it has no benchmark file).
RECORDING_RULES = ("array_summary", "block_means", "text_counts", "text_delayed", "csv_describe")
FIELDS = ("run", "diagnostics", "order", "seconds", "rules_s", "rules_cpu_s")
MODES = ("with", "without")


def rule_times(workdir: Path) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds of every benchmarked job of a run (``benchmarks/``, the last record
    of each file; a rule's jobs summed)."""
    times: dict[str, tuple[float, float]] = {}
    for tsv in sorted((workdir / "benchmarks").rglob("*.tsv")):
        header, *rows = (line.split("\t") for line in tsv.read_text().splitlines())
        if not rows:
            continue
        last = dict(zip(header, rows[-1], strict=False))
        rule = last.get("rule_name") or tsv.stem
        wall, cpu = times.get(rule, (0.0, 0.0))
        times[rule] = (wall + float(last["s"]), cpu + float(last.get("cpu_time") or 0))
    return times


def recording_times(times: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """Summed wall and CPU seconds of :data:`RECORDING_RULES`."""
    found = [times[r] for r in RECORDING_RULES if r in times]
    return sum(w for w, _ in found), sum(c for _, c in found)


def snakemake(
    workdir: Path, config: dict, cores: int, *args: str, snakefile: Path, target: str
) -> float:
    """Seconds of one ``snakemake <target>`` run in ``workdir`` with ``config`` (written beside
    it for the run)."""
    configfile = workdir / ".diagnostics_overhead.yaml"
    configfile.write_text(yaml.safe_dump(config))
    try:
        return snakemake_seconds(
            snakefile, workdir, cores, "--configfile", str(configfile), *args, target=target
        )
    finally:
        configfile.unlink()


def measure(run: Callable[[int, str], tuple[float, dict]], runs: int) -> list[dict]:
    """``runs`` pairs of ``run(r, mode)`` (its seconds and :func:`rule_times`), with and
    without diagnostics, alternating which goes first; a row per run."""
    rows = []
    for r in range(runs):
        for order, mode in enumerate(round_order(MODES, r)):
            seconds, times = run(r, mode)
            wall, cpu = recording_times(times)
            per_rule = {k: [round(w, 2), round(c, 2)] for k, (w, c) in times.items()}
            log.info(
                "run %d %s: %.1f s; per rule [wall, cpu]: %s",
                r,
                mode,
                seconds,
                json.dumps(per_rule),
            )
            rows.append(
                {
                    "run": r,
                    "diagnostics": mode == "with",
                    "order": order,
                    "seconds": round(seconds, 2),
                    "rules_s": round(wall, 2),
                    "rules_cpu_s": round(cpu, 2),
                }
            )
    return rows


def summary_rows(rows: list[dict]) -> list[dict]:
    """The median of each column per mode, and the ratios with/without."""
    columns = FIELDS[3:]
    med = {
        mode: {
            c: statistics.median(r[c] for r in rows if r["diagnostics"] is mode) for c in columns
        }
        for mode in (True, False)
    }
    out = [
        {
            "run": "median",
            "diagnostics": m,
            "order": "",
            **{c: round(med[m][c], 2) for c in columns},
        }
        for m in (True, False)
    ]
    ratios = {c: round(med[True][c] / med[False][c], 4) if med[False][c] else "" for c in columns}
    return [*out, {"run": "ratio", "diagnostics": "with/without", "order": "", **ratios}]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python3 -m sda.diagnostics.overhead", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--what", choices=("rules", "default"), default="rules")
    parser.add_argument("--configfile", default="config/config.yaml")
    parser.add_argument("--snakefile", default="Snakefile")
    parser.add_argument("--cores", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3, help="pairs of runs (with, without)")
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    snakefile = Path(args.snakefile).resolve()
    config = yaml.safe_load(Path(args.configfile).read_text())
    config["bench"] = {**config["bench"], "evidence": False}
    here = Path.cwd()

    def config_of(mode: str) -> dict:
        return {**config, "diagnostics": mode == "with"}

    def rules(r: int, mode: str) -> tuple[float, dict]:
        force = ("--forcerun", *RECORDING_RULES, "report_html")
        seconds = snakemake(
            here, config_of(mode), args.cores, *force, snakefile=snakefile, target="report"
        )
        return seconds, rule_times(here)

    with scratch_dir(here / "results" / "bench" / "diagnostics_scratch") as scratch:

        def default(r: int, mode: str) -> tuple[float, dict]:
            workdir = scratch / f"{r}_{mode}"
            workdir.mkdir()
            seconds = snakemake(
                workdir, config_of(mode), args.cores, snakefile=snakefile, target="all"
            )
            times = rule_times(workdir)
            shutil.rmtree(workdir)
            return seconds, times

        rows = measure(rules if args.what == "rules" else default, args.runs)
    rows += summary_rows(rows)
    write_csv(args.out or f"results/bench/diagnostics_{args.what}.csv", rows, FIELDS)
    for row in rows:
        print(",".join(str(row[f]) for f in FIELDS))


if __name__ == "__main__":
    main()
