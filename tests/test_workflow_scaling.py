"""Integration: `snakemake scaling` on the test config, checked against numpy and Counter; not in
the default run; too little disk fails before any work, naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import copy_workflow, job_counts, run_snakemake
from oracles import check_summary, expected_blocks, expected_counts, meminfo_total, ranked
from sda.blocks.generate import BlockSpec
from sda.scaling.run import FIELDS, read_rows

pytestmark = pytest.mark.workflow


def test_scaling_is_not_in_the_default_run(workflow_copy):
    default = job_counts(run_snakemake(workflow_copy, "-n", configfile="config/config.yaml"))
    assert "scaling" not in default and default["report_html"] == 1
    asked = job_counts(
        run_snakemake(workflow_copy, "-n", "scaling", configfile="config/config.yaml")
    )
    assert asked["scaling"] == 1


@pytest.fixture(scope="module")
def scaling_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("scaling"))
    run_snakemake(workdir, "scaling")
    return workdir


def test_scaling_rows_against_numpy_and_counter(scaling_run, test_config):
    rows = read_rows(scaling_run / "results/scaling/scaling.csv")
    assert list(rows[0]) == FIELDS
    spec = BlockSpec.from_config(test_config["blocks"])
    sizes = test_config["scaling"]["blocks"]  # [2, 4], cores [1, all] = [1, 2]
    keys = [(r["step"], r["cache"], r["blocks"] or r["copies"], r["cores"]) for r in rows]

    def per_size(n: str) -> list[tuple]:
        return [
            ("dd_write", "write", "", "1"),
            ("dd_read", "cold", "", "1"),
            ("generate", "write", n, "2"),
            ("summary", "cold", n, "1"),
            ("summary", "cold", n, "2"),
            ("summary", "warm", n, "2"),
            ("means", "cold", n, "1"),
            ("means", "cold", n, "2"),
            ("means", "warm", n, "2"),
        ]

    words = [
        ("wordcount", c, str(k), cores)
        for k in test_config["scaling"]["corpus_copies"]
        for c, cores in (("cold", "1"), ("cold", "2"), ("warm", "2"))
    ]
    expected = [
        *per_size("2"),
        *per_size("4"),
        ("dd_write", "write", "", "1"),
        ("dd_read", "cold", "", "1"),
        *words,
    ]
    assert keys == expected

    ram = meminfo_total()
    for r in rows:
        size, wall = int(r["size_bytes"]), float(r["wall_s"])
        assert float(r["gb_per_s"]) == pytest.approx(size / wall / 1e9, rel=1e-3)
        assert r["exceeds_ram"] == str(size > ram) and int(r["ram_bytes"]) == ram
        assert int(r["free_disk_bytes"]) > 0
        if r["step"] not in ("dd_write", "dd_read"):
            assert int(r["peak_rss_bytes"]) > 50 * 2**20  # a Python with numpy and dask
        if r["cache"] == "cold":
            assert r["evicted"] == "True" and float(r["cached_before"]) < 0.01
        if r["cache"] == "warm":
            assert float(r["cached_before"]) > 0.99
        dd = float(r["dd_write_gb_per_s" if r["cache"] == "write" else "dd_read_gb_per_s"])
        assert float(r["fraction_of_dd"]) == pytest.approx(float(r["gb_per_s"]) / dd, rel=5e-3)

    for n in sizes:
        ref = expected_blocks(test_config["blocks"], n)
        assert all(int(r["size_bytes"]) == ref.nbytes for r in rows if r["blocks"] == str(n))
        gen = next(r for r in rows if r["step"] == "generate" and r["blocks"] == str(n))
        assert json.loads(gen["result"])["bytes_on_disk"] == n * spec.npy_bytes
        for r in rows:
            if r["blocks"] == str(n) and r["step"] == "summary":
                check_summary(json.loads(r["result"]), ref)
            if r["blocks"] == str(n) and r["step"] == "means":
                m = json.loads(r["result"])
                assert m["first"] == pytest.approx(ref[0].mean(), rel=1e-12)
                assert m["last"] == pytest.approx(ref[-1].mean(), rel=1e-12)

    corpus = sorted((scaling_run / "resources/wiki/synthetic").glob("*/wiki_*"))
    assert len(corpus) == test_config["wiki"]["files"]
    raw, cleaned = expected_counts(corpus)
    (top,) = ranked(raw, 1)
    corpus_bytes = sum(f.stat().st_size for f in corpus)
    for r in rows:
        if r["step"] == "wordcount":
            k = int(r["copies"])
            w = json.loads(r["result"])
            assert int(r["size_bytes"]) == k * corpus_bytes
            assert w["words"] == k * sum(cleaned.values())
            assert w["top"] == [top[0], k * top[1]]


def test_scaling_leaves_no_scratch_and_a_plot(scaling_run):
    out = scaling_run / "results/scaling"
    assert sorted(p.name for p in out.iterdir()) == ["scaling.csv", "scaling.png"]
    import matplotlib.image

    height, width, _ = matplotlib.image.imread(out / "scaling.png").shape
    assert width > 1.8 * height  # the two panels


def test_the_largest_cold_summary_records_its_memory_over_time(scaling_run, test_config):
    """The summary of the largest size, read cold at the most cores, in the diagnostics'
    layout: the blocks in tasks of a good size, the bytes read those of the largest size."""

    from sda.diagnostics.read import read_record
    from sda.diagnostics.record import record_paths

    record = read_record(record_paths(scaling_run / "results/diagnostics/scaling"))
    largest = max(test_config["scaling"]["blocks"])
    spec = BlockSpec.from_config(test_config["blocks"])
    assert record.data_bytes == largest * spec.npy_bytes
    assert (
        sum("npy-blocks-stats" in p for p in record.tasks["prefix"]) == 1
    )  # the tiny blocks: one task
    assert record.info["workers"] == 2 and record.info["scheduler"] == "threads"
    assert record.resources["memory_bytes"].notna().all() and record.peak_bytes > 50 * 2**20
    # the scaling chapter shows it: peak memory against the bytes read
    from sda.report.build import Run
    from sda.report.lesson import read_lesson
    from sda.report.page import Page
    from sda.scaling.report import build

    results = scaling_run / "results"
    inputs = {
        "scaling_csv": results / "scaling/scaling.csv",
        "scaling_png": results / "scaling/scaling.png",
        **{f"dask_scaling_{k}": v for k, v in record.paths.items()},
    }
    page = Page(root=scaling_run, figdir=results / "report" / "figures")
    chapter = build(page, Run(inputs, {}, read_lesson(), scaling_run))
    dask = chapter["dask"]
    assert dask["peak"] == record.peak_bytes and dask["data"] == largest * spec.npy_bytes
    assert dask["figure"].name == "dask_scaling"


def test_too_little_disk_fails_before_any_work_naming_the_key(workflow_copy):
    (workflow_copy / "big.yaml").write_text("scaling:\n  margin_mb: 1000000\n")
    proc = run_snakemake(
        workflow_copy, "scaling", configfile=["config/test.yaml", "big.yaml"], check=False
    )
    assert proc.returncode != 0
    log = (workflow_copy / "logs/scaling.log").read_text()
    assert "scaling.blocks: the largest size, 4 blocks of 30 x 8 float64" in log
    assert "(scaling.scratch)" in log and "short" in log
    assert not (workflow_copy / "results/scaling").exists() or not any(
        (workflow_copy / "results/scaling").iterdir()
    )
    assert "generate" not in log.split("scaling.blocks:", 1)[0]  # nothing ran before
    assert Path(workflow_copy / "results/scaling/scratch").exists() is False
