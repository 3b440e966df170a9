"""The workflow used as a Snakemake module from another workflow: the README's snippet, run for
real from a directory beside a copy of this one, with a prefix and the consumer's own config;
its outputs equal a direct run's with the same config. A bad value in the consumer's config
and a prefix Snakemake cannot use fail before any job."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import (
    REPO,
    copy_workflow,
    load_yaml,
    run_snakemake,
    run_workflow_command,
    snakemake_command,
)

pytestmark = pytest.mark.workflow

PREFIX = "lesson"
TARGETS = ["results/tables/array_summary.json", "results/tables/block_means.csv"]
# made on the way with timings or a creation time in them: the rest must be the same bytes
TIMED = ("results/bench/", "results/diagnostics/", "results/stores/random.hdf5")


def readme_snippet() -> str:
    """The README's module example (the python block with ``module sda:``)."""
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    (snippet,) = [b for b in blocks if "module sda:" in b]
    return snippet


def consumer_config(**sections) -> dict:
    """config/test.yaml with the consumer's own sections merged in."""
    config = load_yaml(REPO / "config" / "test.yaml")
    for name, values in sections.items():
        config[name] = {**config[name], **values}
    return config


def make_consumer(root: Path, config: dict, snakefile: str | None = None) -> Path:
    """``root/analysis``, a workflow beside ``root/sda`` (a copy of this one, made once)."""
    if not (root / "sda").exists():
        copy_workflow(root / "sda")
    mine = root / "analysis"
    (mine / "config").mkdir(parents=True, exist_ok=True)
    (mine / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    (mine / "Snakefile").write_text(snakefile or readme_snippet())
    return mine


def run_consumer(mine: Path, *args: str):
    return run_workflow_command(snakemake_command("--cores", "2", *args), cwd=mine, timeout=1800)


def tree(directory: Path) -> dict[str, Path]:
    return {
        p.relative_to(directory).as_posix(): p
        for p in directory.rglob("*")
        if p.is_file() and ".snakemake" not in p.parts
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """The consumer's run of the README snippet (stores.n overridden: 4 instead of 6), and a
    direct run of the same targets with the same config; returns both working directories."""
    root = tmp_path_factory.mktemp("module")
    mine = make_consumer(root, consumer_config(stores={"n": 4}))
    proc = run_consumer(mine)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    direct = root / "sda"
    run_snakemake(direct, *TARGETS, configfile=str(mine / "config" / "config.yaml"))
    return mine, direct


def test_readme_snippet_runs_under_its_prefix(runs):
    mine, _ = runs
    # everything the module made is under the prefix: no results/, logs/ or benchmarks/ beside
    assert sorted(p.name for p in mine.iterdir()) == [".snakemake", "Snakefile", "config", PREFIX]
    assert sorted(p.name for p in (mine / PREFIX).iterdir()) == ["benchmarks", "logs", "results"]
    for target in TARGETS:
        assert (mine / PREFIX / target).stat().st_size > 0


def test_consumer_config_is_the_one_used(runs, test_config):
    """stores.n of the consumer's config (4), not the module's test config (6): one row per
    block of the stores, each the numpy mean of its npy block."""
    mine, _ = runs
    out = mine / PREFIX / "results"
    means = pd.read_csv(out / "tables" / "block_means.csv")
    assert test_config["stores"]["n"] == 6
    assert list(means["block"]) == [f"x{i:06d}" for i in range(4)]
    for block, row in zip(means["block"], means.itertuples(), strict=True):
        expected = np.load(out / "blocks" / "npy" / f"{block}.npy").mean()
        assert row.npz_compressed == pytest.approx(expected, rel=1e-12)
        assert row.dask_zarr == pytest.approx(expected, rel=1e-12)


def test_outputs_equal_a_direct_run(runs):
    mine, direct = runs
    ours, theirs = tree(mine / PREFIX / "results"), tree(direct / "results")
    assert sorted(ours) == sorted(theirs)
    compared = [name for name in ours if not f"results/{name}".startswith(TIMED)]
    assert len(compared) > 20  # the blocks, every store but HDF5's, both tables
    different = [n for n in compared if ours[n].read_bytes() != theirs[n].read_bytes()]
    assert different == []


def test_bad_value_in_consumer_config_fails_before_any_job(tmp_path):
    mine = make_consumer(tmp_path, consumer_config(stores={"n": 30}))
    proc = run_consumer(mine)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "invalid config key stores.n: 30 is larger than blocks.n=20" in out
    assert not (mine / PREFIX).exists()


def test_prefix_snakemake_cannot_use_gets_snakemakes_error(tmp_path):
    snippet = readme_snippet().replace(f'"{PREFIX}"', '"{x}"').replace(f'"{PREFIX}/', '"{x}/')
    mine = make_consumer(tmp_path, consumer_config(), snippet)
    proc = run_consumer(mine)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "WildcardError" in out and "Traceback" not in out
    assert sorted(p.name for p in mine.iterdir()) in (
        ["Snakefile", "config"],
        [".snakemake", "Snakefile", "config"],
    )
