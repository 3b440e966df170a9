"""Integration: the block pipeline run by real Snakemake on config/test.yaml."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from conftest import refused_config, run_snakemake
from oracles import expected_block
from sda.blocks.bench_generate import DEFAULT_RUNS
from sda.measure.rows import FIELDS

pytestmark = pytest.mark.workflow


def test_npy_blocks_match_numpy(workflow_run, test_config):
    b = test_config["blocks"]
    files = sorted((workflow_run / "results/blocks/npy").glob("*.npy"))
    assert [f.name for f in files] == [f"x{i:06d}.npy" for i in range(b["n"])]
    for i, f in enumerate(files):
        np.testing.assert_array_equal(np.load(f), expected_block(test_config["blocks"], i))


def test_csv_blocks_hold_the_npy_numbers(workflow_run, test_config):
    b = test_config["blocks"]
    files = sorted((workflow_run / "results/blocks/csv").glob("*.csv"))
    assert [f.name for f in files] == [f"x{i:06d}.csv" for i in range(b["csv_n"])]
    for i, f in enumerate(files):
        with open(f) as fh:
            rows = [[float(v) for v in line] for line in csv.reader(fh)]
        np.testing.assert_array_equal(np.array(rows), expected_block(test_config["blocks"], i))


def test_block_io_measurements(workflow_run, test_config):
    with open(workflow_run / "results/bench/block_io.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == FIELDS
    got = {(r["what"], r["method"]): r for r in rows}
    for what, col in (
        ("save_block", "seconds"),
        ("load_block_allocations", "peak_mib"),
        ("load_mean_file", "seconds"),
    ):
        assert float(got[(what, "npy")][col]) > 0 and float(got[(what, "csv")][col]) > 0
    b = test_config["blocks"]
    assert int(got[("load_block", "npy")]["bytes"]) == b["rows"] * b["cols"] * 8  # the array
    files = min(b["n"], test_config["bench"]["load_mean_files"])
    npy_file = (workflow_run / "results/blocks/npy/x000000.npy").stat().st_size
    assert int(got[("load_mean_all", "npy")]["bytes"]) == files * npy_file
    assert got[("load_mean_all", "npy")]["note"].startswith(f"{files} files")
    assert {r["threads"] for r in rows} == {"1"}  # numpy's save and load: one thread
    csv_ratio = float(got[("save_block", "csv")]["seconds"]) / float(
        got[("save_block", "npy")]["seconds"]
    )
    assert float(got[("save_block", "csv")]["ratio"]) == pytest.approx(csv_ratio, rel=1e-3)


def test_generation_benchmark(workflow_run, test_config):
    with open(workflow_run / "results/bench/generate.csv") as fh:
        rows = {(r["what"], r["method"]): r for r in csv.DictReader(fh)}
    gen = {method: r for (what, method), r in rows.items() if what == "generate_blocks"}
    wf = float(gen["workflow"]["seconds"])
    base = float(gen["multiprocessing"]["seconds"])
    ratio = float(gen["workflow"]["ratio"])
    assert ratio == pytest.approx(wf / base, rel=1e-2)
    assert (
        gen["workflow"]["identical"] == "yes" and gen["workflow"]["baseline"] == "multiprocessing"
    )
    assert gen["workflow"]["note"].startswith(f"{test_config['blocks']['n']} blocks")
    assert {r["threads"] for r in gen.values()} == {"2"}  # both sides of the generation: 2 cores
    # the overhead split: the same workflow with blocks of one number, and bare Snakemake
    for method in ("workflow_one_number_blocks", "snakemake_bare"):
        assert float(gen[method]["seconds"]) > 0
    # the whole default run from an empty directory, against the same baseline runs
    default = rows[("default_run", "workflow")]
    whole = float(default["seconds"])
    assert whole > wf  # it generates the blocks and does everything else
    assert float(default["ratio"]) == pytest.approx(whole / base, rel=1e-2)
    assert default["threads"] == "8"  # the main job's command, snakemake --cores 8
    repeats = test_config["bench"]["repeats"]  # bench.repeats, as every evidence benchmark
    runs = min(repeats, DEFAULT_RUNS)  # the default run: a few times, each after a baseline
    assert int(default["repeats"]) == runs > 1
    assert float(default["min_s"]) <= whole <= float(default["max_s"])
    assert int(gen["workflow"]["repeats"]) == repeats
    assert int(gen["multiprocessing"]["repeats"]) == repeats + runs


def test_regeneration_and_cores_give_identical_bytes(workflow_run, workflow_copy):
    """One core instead of two, and a deleted block re-made alone: the same bytes."""
    run_snakemake(workflow_copy, "blocks_npy", cores=1)
    ref = {f.name: f.read_bytes() for f in (workflow_run / "results/blocks/npy").glob("*.npy")}
    one = {f.name: f.read_bytes() for f in (workflow_copy / "results/blocks/npy").glob("*.npy")}
    assert one == ref
    (workflow_copy / "results/blocks/npy/x000013.npy").unlink()
    proc = run_snakemake(workflow_copy, "blocks_npy", cores=2)
    assert "generate_blocks" in proc.stdout + proc.stderr
    again = {f.name: f.read_bytes() for f in (workflow_copy / "results/blocks/npy").glob("*.npy")}
    assert again == ref


@pytest.mark.parametrize(
    "blocks_yaml, key",
    [
        ("n: -5", "blocks.n"),
        ("n: ten", "blocks.n"),
        ("distribution: poisson", "blocks.distribution"),
        ("csv_n: 25", "blocks.csv_n"),
        ("rows: 2.5", "blocks.rows"),
        ("colour: red", "blocks"),
    ],
)
def test_invalid_config_fails_before_any_job(workflow_copy, blocks_yaml, key):
    out = refused_config(workflow_copy, f"blocks:\n  {blocks_yaml}\n")
    assert re.search(rf"invalid config key {re.escape(key)}\b", out), out


def test_corrupt_npy_fails_downstream_rule_naming_the_file(workflow_copy):
    run_snakemake(workflow_copy, "blocks_npy")
    npy = workflow_copy / "results/blocks/npy/x000001.npy"
    npy.write_bytes(npy.read_bytes()[:-64])
    proc = run_snakemake(workflow_copy, "results/blocks/csv/x000001.csv", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "results/blocks/npy/x000001.npy: not a readable .npy file" in out
    assert not (workflow_copy / "results/blocks/csv/x000001.csv").exists()
    assert not list((workflow_copy / "results/blocks").glob("csv/.*"))  # no temp file left


def test_full_scale_dry_run_lists_the_job_set(workflow_copy):
    proc = run_snakemake(workflow_copy, "-n", "--quiet", "rules", configfile="config/config.yaml")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, flags=re.M))
    assert counts["generate_blocks"] == "10"  # 1000 blocks in batches of 100
    assert counts["block_csv"] == "1"  # the 10 CSV copies in one job
    assert counts["all"] == "1"
