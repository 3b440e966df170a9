"""sda.scaling.run: the steps against numpy and Counter, the disk check, the scratch directory
and the scaling config's checks."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, SCHEMA, load_yaml
from oracles import check_summary, expected_block, expected_blocks, expected_counts, ranked
from sda.blocks.generate import BlockSpec, block_name
from sda.config import ConfigError, validate_config
from sda.config_checks import CHECKS
from sda.disk import DiskFullError
from sda.scaling.run import (
    SCRATCH_NAME,
    check_disk,
    copy_corpus,
    disk_needed,
    resolve_cores,
    run_scaling,
    run_step,
    scratch_of,
)

DEFAULT = load_yaml(REPO / "config" / "config.yaml")
SPEC = BlockSpec(rows=30, cols=8, seed=3)


def test_steps_match_numpy_and_write_the_same_bytes_at_any_cores(tmp_path):
    spec = dataclasses.asdict(SPEC)
    for cores in (1, 2):
        (tmp_path / str(cores)).mkdir()
        out = run_step(
            "generate", directory=str(tmp_path / str(cores)), n=5, spec=spec, cores=cores
        )
        assert out["result"]["bytes_on_disk"] == 5 * SPEC.npy_bytes
        assert 0 < out["peak_rss_bytes"] < 2**30 and out["wall_s"] > 0
    files = [str(tmp_path / "2" / f"{block_name(i)}.npy") for i in range(5)]
    for f in files:
        assert Path(f).read_bytes() == (tmp_path / "1" / Path(f).name).read_bytes()
    ref = expected_blocks(SPEC, 5)
    buf = io.BytesIO()
    np.save(buf, ref[4])
    assert Path(files[4]).read_bytes() == buf.getvalue()

    summary = run_step("summary", files=files, shape=[30, 8], cores=2)["result"]
    check_summary(summary, ref)
    means = run_step("means", files=files, shape=[30, 8], cores=1)["result"]
    assert means["n"] == 5
    assert means["first"] == pytest.approx(ref[0].mean(), rel=1e-12)
    assert means["last"] == pytest.approx(ref[4].mean(), rel=1e-12)
    assert means["mean_of_means"] == pytest.approx(ref.mean(axis=(1, 2)).mean(), rel=1e-12)


def test_wordcount_on_copies_matches_counter(tmp_path):
    corpus = []
    for i, text in enumerate(["The cat, the dog.\nA cat!", "the end; The END the"]):
        (tmp_path / f"wiki_{i:02d}").write_text(text)
        corpus.append(str(tmp_path / f"wiki_{i:02d}"))
    files = copy_corpus(corpus, 3, tmp_path / "copies")
    assert len(files) == 6 and len(set(files)) == 6
    out = run_step("wordcount", files=files, errors="replace", cores=2, files_per_task=2)
    raw, clean = expected_counts(corpus)
    assert out["result"]["words"] == 3 * sum(clean.values())
    (word, n), *_ = ranked(raw, 1)
    assert out["result"]["top"] == [word, 3 * n]


def scaling(**changes):
    s = copy.deepcopy(DEFAULT["scaling"])
    s.update(changes)
    return s


def test_disk_check_names_the_key(tmp_path):
    spec = BlockSpec(rows=1000, cols=1000, seed=1)
    s = scaling(blocks=[10, 1_000_000], scratch=str(tmp_path))
    assert disk_needed(s, spec, 10**6) == 1_000_000 * spec.npy_bytes + s["margin_mb"] * 10**6
    with pytest.raises(DiskFullError) as err:
        check_disk(s, spec, 10**6)
    message = str(err.value)
    assert message.startswith("scaling.blocks: the largest size, 1000000 blocks")
    assert f"{tmp_path}/sda-scaling-scratch (scaling.scratch)" in message
    assert not (tmp_path / "sda-scaling-scratch").exists()
    small = scaling(blocks=[1, 2], dd_mb=1, margin_mb=1, scratch=str(tmp_path))
    assert check_disk(small, spec, 10**6) == 2 * spec.npy_bytes + 10**6  # two blocks, + 1 MB


def test_disk_need_counts_the_largest_of_blocks_dd_and_corpus():
    s = scaling(blocks=[3, 1], corpus_copies=[1, 2], dd_mb=5, margin_mb=0)
    assert disk_needed(s, SPEC, 10) == 5 * 10**6  # dd
    assert disk_needed(s, SPEC, 10**7) == 2 * 10**7  # two copies of the corpus
    assert disk_needed(scaling(blocks=[10**5], margin_mb=0), SPEC, 10) == 2000 * 10**6


def test_resolve_cores():
    assert resolve_cores([1, "all"], 2) == [1, 2]
    assert resolve_cores([4, 1], 2) == [1, 2]
    assert resolve_cores(["all", 2], 2) == [2]


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"blocks": [2, 2]}, "scaling.blocks"),
        ({"blocks": []}, "scaling.blocks"),
        ({"blocks": [0]}, "scaling.blocks.0"),
        ({"blocks": [2.0]}, "scaling.blocks.0"),
        ({"cores": ["most"]}, "scaling.cores.0"),
        ({"cores": [1, 1]}, "scaling.cores"),
        ({"corpus_copies": [1, 1]}, "scaling.corpus_copies"),
        ({"dd_mb": 0}, "scaling.dd_mb"),
        ({"margin_mb": -1}, "scaling.margin_mb"),
        ({"extra": 1}, "scaling.extra"),
        ({"scratch": "README.md"}, "scaling.scratch"),
    ],
)
def test_bad_scaling_config_names_the_key(changes, key, monkeypatch):
    monkeypatch.chdir(REPO)
    config = copy.deepcopy(DEFAULT)
    config["scaling"].update(changes)
    with pytest.raises(ConfigError, match=f"invalid config key {key}:"):
        validate_config(config, SCHEMA, checks=CHECKS)


def test_scaling_defaults_filled_in():
    config = copy.deepcopy(DEFAULT)
    del config["scaling"]
    validate_config(config, SCHEMA, checks=CHECKS)
    assert config["scaling"]["blocks"] == [125, 250, 500, 1000, 2000, 4000]
    assert config["scaling"]["cores"] == [1, "all"] and config["scaling"]["scratch"] == ""


def test_scratch_is_a_directory_of_its_own(tmp_path):
    assert scratch_of({"scratch": ""}) == "results/scaling/scratch"
    assert scratch_of({"scratch": ""}, "lesson/results/scaling/scratch") == (
        "lesson/results/scaling/scratch"  # a module's prefix: the rule's output directory
    )
    assert scratch_of({"scratch": str(tmp_path)}, "elsewhere") == str(tmp_path / SCRATCH_NAME)
    assert scratch_of({"scratch": str(tmp_path)}) == str(tmp_path / "sda-scaling-scratch")
    (tmp_path / "keep.txt").write_text("user data")
    (tmp_path / "wiki_00").write_text("one two two")
    s = scaling(
        blocks=[1], cores=[1], corpus_copies=[1], dd_mb=1, margin_mb=0, scratch=str(tmp_path)
    )
    rows = run_scaling(s, SPEC, [str(tmp_path / "wiki_00")], threads=1)
    assert [(r["step"], r["cache"]) for r in rows] == [
        ("dd_write", "write"), ("dd_read", "cold"), ("generate", "write"),
        ("summary", "cold"), ("summary", "warm"), ("means", "cold"), ("means", "warm"),
        ("dd_write", "write"), ("dd_read", "cold"), ("wordcount", "cold"), ("wordcount", "warm"),
    ]  # fmt: skip
    assert json.loads(rows[-1]["result"]) == {"words": 3, "top": ["two", 2]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "wiki_00"]


def test_a_step_takes_thousands_of_files(tmp_path):
    """4000 block paths are more than one command-line argument may hold (128 KiB)."""
    block = tmp_path / f"{block_name(0)}.npy"
    np.save(block, expected_block(SPEC, 0))
    names = [tmp_path / f"{'long_directory_name_' * 4}{i:06d}.npy" for i in range(2000)]
    for name in names:
        name.symlink_to(block)
    files = [str(n) for n in names]
    assert len(json.dumps(files)) > 2**17
    out = run_step("means", files=files, shape=[SPEC.rows, SPEC.cols], cores=1)["result"]
    assert out["n"] == 2000
    assert out["mean_of_means"] == pytest.approx(expected_block(SPEC, 0).mean(), rel=1e-12)
