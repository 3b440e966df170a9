"""Integration: the text topic run by real Snakemake, checked against collections.Counter."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from conftest import copy_workflow, run_snakemake
from dumpserver import dump_directory, make_dump
from oracles import clean_text, expected_counts, ranked

pytestmark = pytest.mark.workflow

TEXT_TARGETS = [
    "results/text/top10.csv",
    "results/text/frequencies.parquet",
    "results/text/top5_clean.csv",
    "results/text/sample5.csv",
    "results/text/delayed_top5.csv",
    "results/text/graph.png",
    "results/text/graph.svg",
    "results/bench/text_schedulers.csv",
    "results/bench/text.csv",
]


def read_csv(path):
    with open(path, encoding="utf-8") as fh:
        return [(r["word"], int(r["n"])) for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("text"))
    run_snakemake(workdir, *TEXT_TARGETS)
    return workdir


def test_results_equal_counter(text_run, test_config):
    files = sorted((text_run / "resources/wiki/synthetic").glob("*/wiki_*"))
    assert len(files) == test_config["wiki"]["files"]
    raw, cleaned = expected_counts(files)
    res = text_run / "results/text"
    assert read_csv(res / "top10.csv") == ranked(raw, 10)
    assert read_csv(res / "top5_clean.csv") == ranked(cleaned, 5)
    assert read_csv(res / "delayed_top5.csv") == ranked(cleaned, 5)
    frame = pd.read_parquet(res / "frequencies.parquet")
    assert list(zip(frame["word"], frame["n"], strict=True)) == ranked(cleaned, None)
    with open(res / "sample5.csv", encoding="utf-8") as fh:
        sample = [r["word"] for r in csv.DictReader(fh)]
    assert sample == clean_text(files[0].read_text()).split()[:5]
    assert (res / "graph.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (res / "graph.svg").read_bytes()


def test_benchmarks_agree(text_run):
    with open(text_run / "results/bench/text_schedulers.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["scheduler"] for r in rows} == {
        "sync",
        "threads",
        "processes",
        "distributed LocalCluster",
    }
    assert all(r["identical"] == "yes" and float(r["seconds"]) > 0 for r in rows)
    with open(text_run / "results/bench/text.csv") as fh:
        bench = {r["method"]: r for r in csv.DictReader(fh)}
    assert set(bench) == {"ours", "python", "lesson_bag"}
    assert all(r["identical"] == "yes" and r["what"] == "word_count" for r in bench.values())
    ratio = float(bench["ours"]["seconds"]) / min(
        float(bench["python"]["seconds"]), float(bench["lesson_bag"]["seconds"])
    )
    assert float(bench["ours"]["ratio"]) == pytest.approx(ratio, rel=0.01, abs=0.002)
    assert bench["python"]["threads"] == "1" and int(bench["ours"]["threads"]) >= 1
    assert all(float(r["peak_mib"]) > 10 for r in bench.values())  # a Python process's VmHWM


@pytest.mark.wiki
def test_local_source_on_shared_wiki(shared_wiki, workflow_copy):
    files = sorted(shared_wiki.iterdir())[:3]
    overlay = workflow_copy / "local.yaml"
    overlay.write_text(f'wiki:\n  source: local\n  glob: "{shared_wiki}/wiki_0[0-2]"\n')
    run_snakemake(
        workflow_copy,
        "results/text/top10.csv",
        "results/text/frequencies.parquet",
        configfile=["config/test.yaml", str(overlay)],
    )
    raw, cleaned = expected_counts(files)
    assert read_csv(workflow_copy / "results/text/top10.csv") == ranked(raw, 10)
    frame = pd.read_parquet(workflow_copy / "results/text/frequencies.parquet")
    assert dict(zip(frame["word"], frame["n"], strict=True)) == dict(cleaned)


def test_download_source_with_wikiextractor(workflow_copy):
    """A file:// dump with Wikimedia's listings beside it (tests/dumpserver.py)."""
    dump = dump_directory(workflow_copy / "dumps", make_dump(["Apple", "Pear", "Plum"]))
    overlay = workflow_copy / "download.yaml"
    overlay.write_text(f'wiki:\n  source: download\n  files: 1\n  url: "{dump.as_uri()}"\n')
    run_snakemake(
        workflow_copy, "results/text/top10.csv", configfile=["config/test.yaml", str(overlay)]
    )
    extracted = workflow_copy / "resources/wiki/download/AA/wiki_00"
    text = extracted.read_text()
    assert text.count("<doc ") == 3 and 'title="Plum"' in text and "Central Asia" in text
    raw, _ = expected_counts([extracted])
    assert read_csv(workflow_copy / "results/text/top10.csv") == ranked(raw, 10)


def test_empty_glob_fails_before_any_job(workflow_copy):
    overlay = workflow_copy / "empty.yaml"
    overlay.write_text('wiki:\n  source: local\n  glob: "nowhere/wiki_*"\n')
    proc = run_snakemake(
        workflow_copy,
        "results/text/top10.csv",
        configfile=["config/test.yaml", str(overlay)],
        check=False,
    )
    assert proc.returncode != 0
    assert "wiki.glob: 'nowhere/wiki_*' matches no files" in proc.stdout + proc.stderr
    assert not (workflow_copy / "results").exists()


@pytest.mark.parametrize(
    "target",
    [
        "results/text/top10.csv",  # our word count (pyarrow per file)
        "results/text/sample5.csv",  # the lesson's dask.bag chain (db.read_text)
        "results/bench/text_schedulers.csv",  # both, on every scheduler
    ],
)
def test_strict_decoding_fails_naming_the_file(workflow_copy, tmp_path, target):
    data = tmp_path / "AA"
    data.mkdir()
    (data / "wiki_00").write_text("fine text\n")
    (data / "wiki_01").write_bytes(b"caf\xe9 au lait\n")
    overlay = workflow_copy / "strict.yaml"
    overlay.write_text(
        f'wiki:\n  source: local\n  glob: "{data}/wiki_*"\n  encoding_errors: strict\n'
    )
    proc = run_snakemake(
        workflow_copy, target, configfile=["config/test.yaml", str(overlay)], check=False
    )
    assert proc.returncode != 0
    assert f"{data}/wiki_01: not UTF-8 at byte 3" in proc.stdout + proc.stderr
    assert not (workflow_copy / target).exists()
    assert not list((workflow_copy / "results/text").glob("*"))
