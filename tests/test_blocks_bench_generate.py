"""sda.blocks.bench_generate: the bare Snakefile that measures Snakemake's own cost (run by
Snakemake: marked workflow)."""

from __future__ import annotations

import pytest

from conftest import run_workflow_command, snakemake_command
from sda.blocks.bench_generate import bare_snakefile
from sda.blocks.generate import block_name


@pytest.mark.workflow
def test_bare_snakefile_has_the_workflows_job_shape(tmp_path):
    """The bare Snakefile (Snakemake's own cost in bench_generate) asks for the same block names,
    in the same batches, as the workflow, and its jobs write nothing but empty files."""
    (tmp_path / "Snakefile").write_text(bare_snakefile(20, 10))
    proc = run_workflow_command(snakemake_command("--cores", "2"), cwd=tmp_path, check=True)
    files = sorted(p.name for p in (tmp_path / "results/blocks/npy").iterdir())
    assert files == [f"{block_name(i)}.npy" for i in range(20)]
    assert all((tmp_path / "results/blocks/npy" / f).stat().st_size == 0 for f in files)
    assert "generate_blocks        2" in proc.stdout + proc.stderr
