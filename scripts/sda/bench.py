"""Measurements of the block pipeline: save/load times, load memory, and generation speed.

Every number is measured when the rule runs; the rule scripts only pass paths and config.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import yaml

from sda.blocks import BlockSpec, batch_pattern, batch_regex, block_name, make_block, write_csv
from sda.config import batch_size
from sda.io import atomic_write, load_npy, npy_size, save_npy, scratch_dir

log = logging.getLogger(__name__)
BASELINE_GENERATE = Path(__file__).resolve().parents[1] / "baselines" / "generate_mp.py"
NPY_DIR = "results/blocks/npy"  # where the workflow (and the bare Snakefile) write the blocks

FIELDS = ["what", "format", "value", "unit", "repeats", "cores"]


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def write_rows(path: str | Path, rows: Sequence[dict], fields: Sequence[str] = FIELDS) -> None:
    """Write measurement rows as CSV, atomically."""
    with atomic_write(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)


_PEAK_CODE = """
import sys, tracemalloc
import numpy as np


def high_water_mark():
    # VmHWM is the peak RSS of this process image. (getrusage's ru_maxrss survives execve, so
    # a child started by a big parent would report the parent's peak and hide the load.)
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import psutil
    return psutil.Process().memory_info().rss


path, fmt = sys.argv[1], sys.argv[2]
rss0 = high_water_mark()
tracemalloc.start()
a = np.load(path) if fmt == "npy" else np.loadtxt(path, delimiter=",", dtype=np.float64)
peak = tracemalloc.get_traced_memory()[1]
rss1 = high_water_mark()
print(peak, rss1 - rss0, a.nbytes)
"""


def load_peak_bytes(path: str | Path, fmt: str) -> tuple[int, int, int]:
    """Peak memory increment of loading one block, in a fresh Python process.

    Returns (tracemalloc peak, max-RSS increment, array bytes); numpy reports its buffers to
    tracemalloc, so the first number is the allocation peak of the load itself.
    """
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CODE, str(path), fmt],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    peak, rss, nbytes = (int(x) for x in out)
    return peak, rss, nbytes


def block_io_rows(
    npy_files: Sequence[str],
    csv_file: str | None,
    spec: BlockSpec,
    fmt: str,
    repeats: int,
    cores: int,
    scratch: str | Path,
) -> list[dict]:
    """The lesson's measurements: save time, load memory, and load-and-mean time."""
    mib = 1024 * 1024
    rows = []

    def row(what, form, value, unit, reps):
        rows.append(
            dict(what=what, format=form, value=f"{value:.6g}", unit=unit, repeats=reps, cores=cores)
        )

    block = make_block(0, spec)
    # one npy and one CSV copy of a block (and their temporary files while they are written)
    needed = 2 * (npy_size(block) + spec.csv_bytes(fmt))
    with scratch_dir(scratch, needed) as scratch:
        npy_tmp, csv_tmp = scratch / "save_test.npy", scratch / "save_test.csv"
        t_npy = timed(lambda: save_npy(npy_tmp, block), repeats)
        t_csv = timed(lambda: write_csv(csv_tmp, block, fmt), repeats)
        row("save_seconds_per_block", "npy", statistics.median(t_npy), "s", repeats)
        row("save_seconds_per_block", "csv", statistics.median(t_csv), "s", repeats)
        row("file_bytes_per_block", "npy", npy_tmp.stat().st_size / mib, "MiB", 1)
        row("file_bytes_per_block", "csv", csv_tmp.stat().st_size / mib, "MiB", 1)
        row(
            "save_ratio_csv_over_npy",
            "csv/npy",
            statistics.median(t_csv) / statistics.median(t_npy),
            "x",
            repeats,
        )

        for form, path in (("npy", npy_tmp), ("csv", csv_tmp)):
            peaks = [load_peak_bytes(path, form) for _ in range(repeats)]
            row(
                "load_peak_tracemalloc",
                form,
                statistics.median(p[0] for p in peaks) / mib,
                "MiB",
                repeats,
            )
            row(
                "load_peak_rss_increment",
                form,
                statistics.median(p[1] for p in peaks) / mib,
                "MiB",
                repeats,
            )
            row("array_bytes", form, peaks[0][2] / mib, "MiB", 1)

    if csv_file:
        t_load_csv = timed(lambda: np.loadtxt(csv_file, delimiter=",").mean(), repeats)
        row("load_mean_seconds_per_file", "csv", statistics.median(t_load_csv), "s", repeats)

    def load_and_mean_all():
        return [load_npy(f, shape=spec.shape).mean() for f in npy_files]

    load_and_mean_all()  # warm the page cache, as the lesson's second run did
    totals = timed(load_and_mean_all, repeats)
    row("load_mean_seconds_total", "npy", statistics.median(totals), "s", repeats)
    row(
        "load_mean_seconds_per_file",
        "npy",
        statistics.median(totals) / len(npy_files),
        "s",
        repeats,
    )
    row("load_mean_files", "npy", len(npy_files), "files", 1)
    return rows


def _run_snakemake(
    snakefile: str | Path, workdir: Path, cores: int, *extra: str, target: str = "blocks_npy"
) -> float:
    """Wall-clock seconds of one ``snakemake <target>`` run, start-up and exit included."""
    cmd = [
        sys.executable, "-m", "snakemake", target, "-s", str(Path(snakefile).resolve()),
        "--directory", str(workdir.resolve()), "--cores", str(cores), "--quiet", "all", *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise RuntimeError(f"nested snakemake run failed: {' '.join(cmd)}\n{proc.stderr}")
    return time.perf_counter() - start


def _run_workflow(
    snakefile: str, workdir: Path, configfile: Path, cores: int, target: str = "blocks_npy"
) -> float:
    return _run_snakemake(
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
    start = time.perf_counter()
    subprocess.run([sys.executable, str(BASELINE_GENERATE), *map(str, args)], check=True)
    return time.perf_counter() - start


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

    With ``default_run``, the whole default job (``snakemake`` with no target: every analysis
    and the report, from an empty directory) is timed once more, right after one more baseline
    run: its ratio to the baseline's median is the cost of the main job in units of the
    irreducible one (writing the blocks).
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
    values = [  # (what, the runs it is the median of, value, numbers)
        ("workflow_seconds", "workflow", med["workflow"], numbers),
        ("baseline_multiprocessing_seconds", "baseline", med["baseline"], numbers),
        ("ratio_workflow_over_baseline", "workflow", med["workflow"] / med["baseline"], numbers),
        ("workflow_one_number_blocks_seconds", "one_number", med["one_number"], n),
        ("snakemake_bare_seconds", "bare", med["bare"], 0),
    ]
    if default_run:
        ratio = med["default_run"] / med["baseline"]
        values += [
            ("default_run_seconds", "default_run", med["default_run"], numbers),
            ("ratio_default_run_over_baseline", "default_run", ratio, numbers),
        ]
    return [
        dict(what=what, value=f"{v:.3f}", blocks=n, numbers=count, processes=cores,
             repeats=len(times[key]), identical=identical)
        for what, key, v, count in values
    ]  # fmt: skip


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
        "bare": lambda d: _run_snakemake(bare, d, cores),
    }
    times = {key: [] for key in runs}
    identical = True
    for r in range(repeats):
        # alternate which goes first, so neither always follows the other's deletions
        first = ("baseline", "workflow") if r % 2 == 0 else ("workflow", "baseline")
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
        times["baseline"].append(runs["baseline"](scratch / "baseline"))
        shutil.rmtree(scratch / "baseline")
        os.sync()
        log.info("default run: the whole workflow from an empty directory")
        whole = _run_workflow(snakefile, scratch / "default", configfile, cores, target="all")
        times["default_run"] = [whole]
        shutil.rmtree(scratch / "default")
    return times, identical


GENERATE_FIELDS = ["what", "value", "blocks", "numbers", "processes", "repeats", "identical"]
