"""Integration: dask at work, recorded by every dask rule of the test run and shown by the report;
turned off by `diagnostics: false`; dask's own performance report, self-contained, on a
LocalCluster; a corrupt record fails the report rule naming it."""

from __future__ import annotations

import html
import json
import math
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from conftest import DEFAULT_REPORT, run_snakemake
from sda.diagnostics.read import read_record
from sda.diagnostics.record import record_paths
from sda.report.numbers import human
from sda.stores.arrays import chunk_blocks
from sda.stores.summary import TASK_BYTES

pytestmark = pytest.mark.workflow

DASK_RULES = ("array_summary", "block_means", "text_counts", "text_delayed", "csv_describe")
FILES = ("resources.csv", "tasks.csv", "run.json")


def record_of(workdir: Path, rule: str):
    return read_record(record_paths(workdir / "results" / "diagnostics" / rule))


def sizes(paths) -> int:
    return sum(p.stat().st_size for p in paths)


@pytest.mark.parametrize("rule", DASK_RULES)
def test_every_dask_rule_records_memory_and_its_task_stream(workflow_run, rule):
    folder = workflow_run / "results" / "diagnostics" / rule
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    record = record_of(workflow_run, rule)
    assert len(record.resources) >= 2 and record.resources["memory_bytes"].notna().all()
    assert record.peak_bytes > 20 * 2**20  # a Python process with numpy and dask
    assert len(record.tasks) == record.info["tasks"] > 0
    assert record.tasks["end_s"].max() <= record.wall_s + 0.01
    assert record.info["scheduler"] == "threads"


def test_the_records_count_what_the_rules_computed(workflow_run, test_config):
    results = workflow_run / "results"
    n_blocks = test_config["blocks"]["n"]
    summary = record_of(workflow_run, "array_summary")
    # the blocks in tasks of about TASK_BYTES each (one here: the test's blocks are tiny; dask
    # fuses it with the reduction, "aggregate-aggregate-npy-blocks-stats"), each
    # block's file read once
    shape = (n_blocks, test_config["blocks"]["rows"], test_config["blocks"]["cols"])
    tasks = math.ceil(n_blocks / chunk_blocks(shape, TASK_BYTES))
    assert sum("npy-blocks-stats" in p for p in summary.tasks["prefix"]) == tasks == 1
    assert summary.data_bytes == sizes((results / "blocks" / "npy").glob("*.npy"))
    corpus = sorted(
        p for p in (workflow_run / "resources" / "wiki" / "synthetic").rglob("*") if p.is_file()
    )
    delayed = record_of(workflow_run, "text_delayed")
    assert len(corpus) == test_config["wiki"]["files"]
    # the lesson's load -> clean -> analyze, once per file
    prefixes = Counter(delayed.tasks["prefix"])
    assert prefixes["load"] == prefixes["clean_split"] == prefixes["analyze"] == len(corpus)
    assert delayed.data_bytes == sizes(corpus)
    assert record_of(workflow_run, "text_counts").data_bytes == sizes(corpus)
    describe = record_of(workflow_run, "csv_describe")
    assert describe.data_bytes == sizes((results / "blocks" / "csv").glob("*.csv"))
    assert Counter(describe.tasks["prefix"])["read-csv"] == test_config["blocks"]["csv_n"]


@pytest.mark.parametrize("rule", DASK_RULES)
def test_the_report_shows_each_rules_record(workflow_run, rule):
    page = (workflow_run / DEFAULT_REPORT).read_text()
    record = record_of(workflow_run, rule)
    block = re.search(
        rf'<h4 id="dask-{rule}">(.*?)</p>\s*<figure>(.*?)</figure>(.*?)</p>', page, re.S
    )
    assert block, rule
    assert f'data-figure="dask_{rule}"' in block.group(2)
    text = html.unescape(re.sub(r"<[^>]+>|\s+", " ", block.group(3)))
    peak = human(float(record.resources["memory_bytes"].max()), "B")
    assert f"Peak memory {peak}" in re.sub(r"\s+", " ", text), text
    busy = human(100 * record.busy)
    assert f"ran tasks {busy}% of the" in text, text
    assert f"({len(record.tasks)} tasks" in text or f"({len(record.tasks):,} tasks" in text
    links = re.findall(r'href="([^"]+)"', block.group(1))
    report_dir = workflow_run / "results" / "report"
    assert {(report_dir / link).resolve() for link in links} == {
        (workflow_run / "results" / "diagnostics" / rule / f).resolve()
        for f in ("resources.csv", "tasks.csv")
    }


def test_a_corrupt_record_fails_the_report_rule_naming_it(workflow_run, tmp_path):
    wf = tmp_path / "wf"
    shutil.copytree(workflow_run, wf, symlinks=True)
    bad = wf / "results" / "diagnostics" / "text_delayed" / "tasks.csv"  # a task per step per file
    lines = bad.read_text().splitlines()
    bad.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # cut short
    proc = run_snakemake(wf, "report", "--rerun-triggers", "mtime", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert re.findall(r"^Job \d+: (\w+): ", out, re.M) == ["report_html"], out[-2000:]
    message = "results/diagnostics/text_delayed/tasks.csv: "
    assert message in out and "a file cut short" in out, out[-2000:]
    assert message in (wf / "logs" / "report_html.log").read_text()


def test_diagnostics_false_records_nothing_and_true_records_again(workflow_copy):
    off = run_snakemake(workflow_copy, "array_summary", "--config", "diagnostics=false")
    assert (workflow_copy / "results" / "tables" / "array_summary.json").is_file()
    assert not (workflow_copy / "results" / "diagnostics").exists(), off.stdout
    run_snakemake(workflow_copy, "array_summary")
    # its record is missing: the summary is made again, now with it
    record = record_of(workflow_copy, "array_summary")
    assert len(record.tasks) == record.info["tasks"] > 0


def test_a_local_cluster_adds_a_self_contained_dask_report(workflow_copy, test_config):
    run_snakemake(workflow_copy, "array_summary", "--config", "dask={scheduler: local-cluster}")
    folder = workflow_copy / "results" / "diagnostics" / "array_summary"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, "dask-report.html"])
    record = record_of(workflow_copy, "array_summary")
    assert record.info["scheduler"] == "local-cluster"
    assert set(record.tasks["worker"]) <= {"worker 0", "worker 1"}
    assert (
        sum("npy-blocks-stats" in p for p in record.tasks["prefix"]) == 1
    )  # the test's tiny blocks: one task
    page = (folder / "dask-report.html").read_text()
    assert "Bokeh" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", page, re.I)
    summary = json.loads((workflow_copy / "results/tables/array_summary.json").read_text())
    assert summary["count"] == test_config["blocks"]["n"] * 30 * 8
    assert pd.read_csv(folder / "tasks.csv")["worker"].str.startswith("worker").all()
