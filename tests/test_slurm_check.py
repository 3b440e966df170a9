"""ci/slurm/slurm_check.py, without a Slurm: comparing a cluster run's results with a local run's,
reading sacct and Snakemake's log; the CI's Slurm scripts are valid bash."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

import dask
import h5py
import numpy as np
import pytest

from conftest import REPO
from slurm_check import (
    check_diagnostics,
    compare_results,
    excluded,
    hdf5_content_equal,
    parse_sacct,
    remote_rules_of_log,
    rule_of_comment,
    run_id_of_log,
    slurm_logs_of_log,
    tail,
)


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_compare_results_names_every_difference(tmp_path):
    same = {"blocks/npy/x000000.npy": b"\x93NUMPY1", "stores/a.zarr/c/0": b"z"}
    a = _tree(tmp_path / "a", {**same, "bench/io.csv": b"1.0", "only_a.txt": b"a", "t.csv": b"1"})
    b = _tree(tmp_path / "b", {**same, "bench/io.csv": b"2.0", "only_b.txt": b"b", "t.csv": b"2"})
    res = compare_results(a, b)
    assert sorted(res.identical) == sorted(same)
    assert res.different == ["t.csv"]
    assert (res.only_in_a, res.only_in_b) == (["only_a.txt"], ["only_b.txt"])
    assert list(res.skipped) == ["bench/io.csv"]
    assert not res.ok
    assert compare_results(a, a).ok


def test_exclusions_are_explicit_and_justified():
    assert excluded("bench/block_io.csv")
    assert excluded("report/index.html")
    assert excluded("blocks/npy/x000000.npy") is None
    assert excluded("tables/summary.csv") is None


def _h5(path: Path, values: np.ndarray, created: str) -> Path:
    with h5py.File(path, "w") as f:
        f.attrs["created"] = created
        f.create_dataset("x", data=values)  # h5py stores the object's modification time
    return path


def test_hdf5_files_equal_in_content_despite_timestamps(tmp_path):
    x = np.arange(12.0).reshape(3, 4)
    a = _h5(tmp_path / "a.h5", x, "2026-01-01T00:00:00")
    time.sleep(1.1)
    b = _h5(tmp_path / "b.h5", x, "2026-01-02T00:00:00")
    assert a.read_bytes() != b.read_bytes()
    assert hdf5_content_equal(a, b)
    c = _h5(tmp_path / "c.h5", x + 1e-12, "2026-01-01T00:00:00")
    assert not hdf5_content_equal(a, c)


SACCT = """\
7|0f9c|rule_generate_blocks_wildcards_00001|COMPLETED|0:0|sda|ci|6_1
8|0f9c|rule_bench_generate|COMPLETED|0:0|sda|ci|8
9|0f9c|rule_hog|OUT_OF_MEMORY|0:125|sda|ci|9
10|0f9c|rule_hog|CANCELLED by 0|0:0|sda|ci
"""


LOG = """\
SLURM run ID: 0f9c
Job 1: generate_blocks: batch 00000, 10 npy blocks (log: logs/generate_blocks/00000.log)
Job 3: generate_blocks: batch 00001, 10 npy blocks (log: logs/generate_blocks/00001.log)
Submitted array job with Snakemake IDs 1,3 and SLURM job ID 6. The individual task IDs are 1-2.
Job 4: hdf5_listing: results/stores/hdf5_listing.tsv (log: logs/hdf5_listing.log)
Job 0: all: every result of the default run
rule bench_generate:
    input: results/blocks/npy/x000000.npy
    jobid: 2
Job 2 has been submitted with SLURM jobid 7 (log: /w/.snakemake/slurm_logs/rule_bench_generate/7.log).
"""


def test_sacct_and_log_parsing():
    jobs = parse_sacct(SACCT)
    assert [j.rule for j in jobs] == ["generate_blocks", "bench_generate", "hog", "hog"]
    assert [j.state for j in jobs] == ["COMPLETED", "COMPLETED", "OUT_OF_MEMORY", "CANCELLED"]
    assert [j.array_task for j in jobs] == [True, False, False, False]
    assert rule_of_comment("rule_block_csv_wildcards_x000001") == "block_csv"
    assert run_id_of_log(LOG) == "0f9c"
    assert remote_rules_of_log(LOG) == Counter(generate_blocks=2, bench_generate=1)
    retried = LOG + (
        "Error in rule bench_generate:\n    jobid: 2\nrule bench_generate:\n    jobid: 2\n"
        "Job 2 has been submitted with SLURM jobid 8 (log: /w/8.log).\n"
    )
    assert remote_rules_of_log(retried) == Counter(generate_blocks=2, bench_generate=1)
    assert slurm_logs_of_log(LOG) == {
        "7": Path("/w/.snakemake/slurm_logs/rule_bench_generate/7.log")
    }


def test_tail_quotes_the_end_of_a_failed_jobs_log(tmp_path):
    log = tmp_path / "7.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(log, 3) == "line 97\nline 98\nline 99"
    assert tail(tmp_path / "absent.log").startswith(f"(cannot read {tmp_path / 'absent.log'}")


def test_ci_scripts_are_valid_bash():
    for script in ("start.sh", "stop.sh", "check.sh"):
        subprocess.run(["bash", "-n", str(REPO / "ci" / "slurm" / script)], check=True)


def test_diagnostics_from_workers_and_a_self_contained_report_are_checked(tmp_path):
    """A real LocalCluster's record passes as a distributed one; a record from threads, a page
    that loads a script from the network, and a missing file each fail, naming the file."""
    from sda.diagnostics.record import record_paths, recording
    from sda.scheduler import dask_scheduler

    folder = tmp_path / "results" / "diagnostics" / "array_summary"
    paths = {k: Path(v) for k, v in record_paths(folder, distributed=True).items()}
    with (
        dask_scheduler("local-cluster", workers=2) as client,
        recording(paths, client, "local-cluster", 2),
    ):
        dask.compute(*[dask.delayed(sum)([i, 1]) for i in range(4)])
    results = tmp_path / "results"
    said = check_diagnostics(results, ["array_summary"], "local-cluster")
    assert "array_summary: 4 tasks" in said
    with pytest.raises(AssertionError, match="recorded on local-cluster, not slurm"):
        check_diagnostics(results, ["array_summary"], "slurm")
    page = paths["dask_report"].read_text()
    paths["dask_report"].write_text(
        page.replace("<head>", '<head><script src="https://cdn.example/x.js"></script>', 1)
    )
    with pytest.raises(AssertionError, match="dask-report.html loads from the network"):
        check_diagnostics(results, ["array_summary"], "local-cluster")
    with pytest.raises(AssertionError, match=r"text_counts: no resources.csv"):
        check_diagnostics(results, ["text_counts"], "local-cluster")
