"""The workflow's block generation, and its whole default run, vs a plain multiprocessing
script writing the same blocks (fresh directories, alternating order)."""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

from sda import scripts_dir
from sda.blocks.generate import BlockSpec, batch_pattern, batch_regex, batch_size, block_name
from sda.io import scratch_dir
from sda.measure.process import snakemake_seconds
from sda.measure.rows import row
from sda.measure.timing import round_order, timed

log = logging.getLogger(__name__)


BASELINE_GENERATE = scripts_dir() / "baselines" / "generate_mp.py"


NPY_DIR = "results/blocks/npy"  # where the workflow (and the bare Snakefile) write the blocks

# The main job's command is ``snakemake --cores 8`` (the README's), whatever the machine: the
# default run is timed with it. With the rule's own threads (2 on a 2-core machine) Snakemake
# runs one two-thread job at a time and no job's I/O overlaps another's CPU: 118 s instead of
# 75-79 s for the same run, 2026-12-06.
MAIN_JOB_CORES = 8

# The whole default run is timed this many times (fewer if bench.repeats is smaller), each after
# a baseline run: a minute or more each, and runs of it differ by several seconds on a
# 2-core machine (72-78 s for the same code on 2026-12-07), so one run does not make a ratio.
DEFAULT_RUNS = 3


def _run_workflow(
    snakefile: str, workdir: Path, configfile: Path, cores: int, target: str = "blocks_npy"
) -> float:
    return snakemake_seconds(
        snakefile, workdir, cores, "--configfile", str(configfile.resolve()), target=target
    )


def bare_snakefile(n: int, batch: int) -> str:
    """A Snakefile with this workflow's job shape and nothing else: the same output names in the
    same batches (so the same DAG, job count and per-output bookkeeping), each job only
    ``touch``-ing its outputs. Its run time is what Snakemake itself costs, with no data."""
    blocks = [f"{NPY_DIR}/{block_name(i)}.npy" for i in range(n)]
    outputs = batch_pattern(NPY_DIR, batch)
    return f"""\
rule blocks_npy:
    input:
        {blocks!r},


rule generate_blocks:
    output:
        {outputs!r},
    wildcard_constraints:
        batch=r"{batch_regex(batch)}",
    shell:
        "touch {{output}}"
"""


def _run_baseline(outdir: Path, spec: BlockSpec, n: int, processes: int) -> float:
    p1, p2 = (spec.mean, spec.sd) if spec.distribution == "normal" else (spec.low, spec.high)
    outdir.mkdir(parents=True)
    args = [outdir, n, spec.rows, spec.cols, spec.seed, spec.distribution, p1, p2, processes]
    cmd = [sys.executable, str(BASELINE_GENERATE), *map(str, args)]
    return timed(lambda: subprocess.run(cmd, check=True))[0]


def default_run_bytes(config: dict) -> int:
    """About what the whole default run writes: the blocks and their CSV copies, six stores of
    ``stores.n`` blocks (compressed ones counted as raw), the corpus, and 100 MB for the Lahman
    database and everything small."""
    spec = BlockSpec.from_config(config["blocks"])
    blocks = config["blocks"]
    wiki = config.get("wiki", {})
    return (
        blocks["n"] * spec.npy_bytes
        + blocks["csv_n"] * spec.csv_bytes(blocks["csv_format"])
        + 6 * config.get("stores", {}).get("n", 0) * spec.npy_bytes
        + wiki.get("files", 0) * wiki.get("file_bytes", 0)
        + 100 * 10**6
    )


def _same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


def generate_rows(
    config: dict,
    snakefile: str,
    cores: int,
    repeats: int,
    scratch: str | Path,
    default_run: bool = True,
) -> list[dict]:
    """Time the workflow's full generation of the npy blocks against the baseline script.

    Each repeat runs both in fresh directories under ``scratch``, alternating which goes first,
    with a sync after each, so both write to an empty directory with the same disk state. Two runs
    per repeat split the workflow's overhead: the same workflow writing blocks of one number (its
    fixed cost: Snakemake, this repository's parsing and job start-ups, no data) and a bare
    Snakefile with the same jobs and outputs that only touches them (Snakemake's own cost).

    With ``default_run``, the whole default job (``snakemake --cores 8`` with no target: every
    analysis and the report, from an empty directory) is timed :data:`DEFAULT_RUNS` times (at
    most ``repeats``), each right after one more baseline run: the ratio of its median to the
    baseline's is the cost of the main job in units of the irreducible one (writing the blocks).
    """
    spec = BlockSpec.from_config(config["blocks"])
    n = config["blocks"]["n"]
    batch = batch_size(n, config["blocks"].get("batch", "auto"))
    # the baseline's blocks and the workflow's exist together; later, alone, the default run
    needed = max(2 * n * spec.npy_bytes, default_run_bytes(config) if default_run else 0)
    with scratch_dir(scratch, needed) as scratch:
        times, identical = _generate_runs(
            config, snakefile, cores, repeats, scratch, default_run, spec, n, batch
        )
    med = {key: statistics.median(values) for key, values in times.items()}
    numbers = n * spec.rows * spec.cols
    common = dict(threads=cores, baseline="multiprocessing")

    def measured(what: str, method: str, key: str, note: str, **cells) -> dict:
        """The row of the runs ``times[key]``: their median, count and ratio to the baseline."""
        ratio = med[key] / med["baseline"]
        return row(
            what,
            method,
            seconds=med[key],
            repeats=len(times[key]),
            ratio=ratio,
            note=note,
            **(common | cells),
        )

    rows = [
        measured(
            "generate_blocks",
            "workflow",
            "workflow",
            f"{n} blocks, {numbers} numbers",
            times=times["workflow"],
            identical=identical,
        ),
        measured(
            "generate_blocks",
            "multiprocessing",
            "baseline",
            "scripts/baselines/generate_mp.py, one process per core",
            times=times["baseline"],
            identical=True,
        ),
        measured(
            "generate_blocks",
            "workflow_one_number_blocks",
            "one_number",
            f"{n} blocks of one number: the workflow's fixed cost",
        ),
        measured(
            "generate_blocks",
            "snakemake_bare",
            "bare",
            "the same jobs and outputs, each only touched: Snakemake's own cost",
        ),
    ]
    if default_run:
        rows.append(
            measured(
                "default_run",
                "workflow",
                "default_run",
                f"the whole default run from an empty directory, --cores {MAIN_JOB_CORES}",
                threads=MAIN_JOB_CORES,
                times=times["default_run"],
            )
        )
    return rows


def _generate_runs(
    config: dict,
    snakefile: str,
    cores: int,
    repeats: int,
    scratch: Path,
    default_run: bool,
    spec: BlockSpec,
    n: int,
    batch: int,
) -> tuple[dict[str, list[float]], bool]:
    """The runs of :func:`generate_rows` in ``scratch``: seconds per kind, and whether the
    workflow's blocks equal the baseline's."""
    configfile = scratch / "config.yaml"
    # the nested runs never run the evidence benchmarks themselves (this one among them)
    nested = {**config, "bench": {**config["bench"], "evidence": False}}
    configfile.write_text(yaml.safe_dump(nested))
    tiny = {**nested, "blocks": {**config["blocks"], "rows": 1, "cols": 1}}
    tiny_configfile = scratch / "config_one_number.yaml"
    tiny_configfile.write_text(yaml.safe_dump(tiny))
    bare = scratch / "Snakefile.bare"
    bare.write_text(bare_snakefile(n, batch))
    runs = {  # name -> run in a fresh directory, returning seconds
        "baseline": lambda d: _run_baseline(d, spec, n, cores),
        "workflow": lambda d: _run_workflow(snakefile, d, configfile, cores),
        "one_number": lambda d: _run_workflow(snakefile, d, tiny_configfile, cores),
        "bare": lambda d: snakemake_seconds(bare, d, cores, target="blocks_npy"),
    }
    times = {key: [] for key in runs}
    identical = True
    for r in range(repeats):
        # alternate which goes first, so neither always follows the other's deletions
        first = round_order(("baseline", "workflow"), r)
        for key in first:
            times[key].append(runs[key](scratch / key))
            os.sync()
        for i in sorted({0, n // 2, n - 1}):
            name = f"{block_name(i)}.npy"
            wf_block = scratch / "workflow" / NPY_DIR / name
            identical &= _same_bytes(scratch / "baseline" / name, wf_block)
        for key in first:
            shutil.rmtree(scratch / key)
        os.sync()
        for key in ("one_number", "bare"):
            times[key].append(runs[key](scratch / key))
            shutil.rmtree(scratch / key)
    if default_run:
        times["default_run"] = []
        for r in range(min(repeats, DEFAULT_RUNS)):
            times["baseline"].append(runs["baseline"](scratch / "baseline"))
            shutil.rmtree(scratch / "baseline")
            os.sync()
            log.info("default run %d: the whole workflow from an empty directory", r + 1)
            whole = _run_workflow(
                snakefile, scratch / "default", configfile, MAIN_JOB_CORES, target="all"
            )
            times["default_run"].append(whole)
            shutil.rmtree(scratch / "default")
            os.sync()
    return times, identical
