"""The scaling run's plain functions: page-cache eviction, the steps against numpy and Counter,
the disk check, the config checks, the targets and the plot."""

from __future__ import annotations

import copy
import ctypes
import dataclasses
import io
import json
import mmap
import os
import string
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, load_yaml
from sda.blocks.generate import BlockSpec, block_name, make_block
from sda.config import ConfigError, validate_config
from sda.config_checks import CHECKS
from sda.disk import DiskFullError
from sda.measure.pagecache import cached_fraction, evict_checked, ram_bytes
from sda.measure.process import vm_hwm
from sda.scaling.report import plot, report_section, targets
from sda.scaling.run import (
    FIELDS,
    check_disk,
    copy_corpus,
    disk_needed,
    resolve_cores,
    run_scaling,
    run_step,
    scratch_of,
    write_csv,
)

SCHEMA = REPO / "config" / "schema" / "config.schema.yaml"
DEFAULT = load_yaml(REPO / "config" / "config.yaml")
SPEC = BlockSpec(rows=30, cols=8, seed=3)
PUNCT = str.maketrans("", "", string.punctuation)


def mincore_fraction(path: Path) -> float:
    """Cached fraction of ``path`` by mincore, independently of sda.measure.pagecache: Python's own
    mmap, its address through ctypes."""
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    vec = ctypes.create_string_buffer(pages)
    with open(path, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY)
    view = ctypes.c_char.from_buffer(mm)  # ACCESS_COPY: writable, so ctypes can take its address
    try:
        assert libc.mincore(ctypes.addressof(view), size, vec) == 0, os.strerror(ctypes.get_errno())
    finally:
        del view
        mm.close()
    return sum(b & 1 for b in vec.raw) / pages


def on_tmpfs(path: Path) -> bool:
    best, kind = "", ""
    with open("/proc/mounts") as fh:
        for line in fh:
            _, mnt, fstype, *_ = line.split()
            if str(path).startswith(mnt) and len(mnt) > len(best):
                best, kind = mnt, fstype
    return kind == "tmpfs"


def test_eviction_really_evicts(tmp_path):
    if on_tmpfs(tmp_path):
        pytest.skip(f"{tmp_path} is on tmpfs, whose pages cannot be evicted")
    path = tmp_path / "data.bin"
    path.write_bytes(np.random.default_rng(0).bytes(8 * 2**20))
    path.read_bytes()
    assert mincore_fraction(path) > 0.9  # written and read: cached
    assert cached_fraction([path]) == pytest.approx(mincore_fraction(path), abs=0.01)
    left = evict_checked([path])
    assert left < 0.01
    assert mincore_fraction(path) < 0.01  # the independent check agrees
    path.read_bytes()
    assert cached_fraction([path]) > 0.9  # read back: cached again


def test_ram_and_peak_rss_from_proc():
    with open("/proc/meminfo") as fh:
        total = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemTotal"))
    assert ram_bytes() == total
    before = vm_hwm()
    big = np.ones(64 * 2**20 // 8)  # 64 MiB touched
    assert vm_hwm() >= before + 60 * 2**20 or before > 64 * 2**20
    del big


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
    ref = np.stack([make_block(i, SPEC) for i in range(5)])
    buf = io.BytesIO()
    np.save(buf, ref[4])
    assert Path(files[4]).read_bytes() == buf.getvalue()

    summary = run_step("summary", files=files, shape=[30, 8], cores=2)["result"]
    assert summary["count"] == ref.size
    for key, value in (("mean", ref.mean()), ("std", ref.std()), ("min", ref.min()),
                       ("max", ref.max())):  # fmt: skip
        assert summary[key] == pytest.approx(value, rel=1e-12)
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
    clean = Counter()
    for f in corpus:
        clean.update(Path(f).read_text().translate(PUNCT).lower().split())
    assert out["result"]["words"] == 3 * sum(clean.values())
    raw = Counter(w for f in corpus for w in Path(f).read_text().split())
    assert out["result"]["top"] == [raw.most_common(1)[0][0], 3 * raw.most_common(1)[0][1]]


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


def row(step, cache, size, wall, rss, cores=2, **extra):
    r = dict.fromkeys(FIELDS, "")
    r.update(step=step, cache=cache, size_bytes=size, wall_s=wall, peak_rss_bytes=rss, cores=cores,
             gb_per_s=size / wall / 1e9, ram_bytes=24 * 10**9, dd_read_gb_per_s=0.5,
             dd_write_gb_per_s=0.2, fraction_of_dd=0.5, **extra)  # fmt: skip
    return r


ROWS = [
    row("generate", "write", 10**9, 5.0, 200 * 2**20),
    row("generate", "write", 32 * 10**9, 240.0, 210 * 2**20),
    row("summary", "cold", 10**9, 2.0, 300 * 2**20),
    row("summary", "cold", 32 * 10**9, 200.0, 1100 * 2**20),
    row("summary", "cold", 32 * 10**9, 100.0, 300 * 2**20, cores=1),
]


def test_targets_from_rows():
    t = {
        x["target"].split(" ")[0] + (" rss" if "RSS" in x["target"] else ""): x
        for x in targets(ROWS)
    }
    assert t["peak rss"]["met"] is False and "1100 MiB" in t["peak rss"]["measured"]
    assert "summary, cold, 32 GB, 2 cores" in t["peak rss"]["measured"]
    generate = next(x for x in targets(ROWS) if x["target"].startswith("generate (write"))
    assert generate["met"] is True and "(x1.50)" in generate["measured"]  # 7.5 s/GB vs 5 s/GB
    summary = next(x for x in targets(ROWS) if x["target"].startswith("summary (cold"))
    assert summary["met"] is False and "(x3.12)" in summary["measured"]  # 6.25 vs 2 s/GB


def test_plot_and_report_section(tmp_path):
    csv_path, png = tmp_path / "scaling.csv", tmp_path / "scaling.png"
    assert report_section(csv_path, png) is None
    write_csv(csv_path, ROWS)
    plot(ROWS, png)
    import matplotlib.image

    image = matplotlib.image.imread(png)
    assert image.shape[1] > 2 * image.shape[0] * 0.9  # two panels side by side
    section = report_section(csv_path, png)
    assert section["png"] == str(png) and len(section["rows"]) == len(ROWS)
    assert section["rows"][3]["peak_rss_bytes"] == str(1100 * 2**20)
    assert section["fields"] == FIELDS
    assert [x["target"] for x in section["targets"]] == [x["target"] for x in targets(ROWS)]
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_scratch_is_a_directory_of_its_own(tmp_path):
    assert scratch_of({"scratch": ""}) == "results/scaling/scratch"
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
    np.save(block, make_block(0, SPEC))
    names = [tmp_path / f"{'long_directory_name_' * 4}{i:06d}.npy" for i in range(2000)]
    for name in names:
        name.symlink_to(block)
    files = [str(n) for n in names]
    assert len(json.dumps(files)) > 2**17
    out = run_step("means", files=files, shape=[SPEC.rows, SPEC.cols], cores=1)["result"]
    assert out["n"] == 2000
    assert out["mean_of_means"] == pytest.approx(make_block(0, SPEC).mean(), rel=1e-12)
