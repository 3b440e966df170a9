"""sda.text.corpus: the synthetic corpus (layout, determinism, Zipf draws) and the local corpus's check."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sda.config import ConfigError
from sda.io import InputError
from sda.text.corpus import (
    GUIDE_SIZE,
    ZIPF_S,
    check_wiki,
    draw,
    file_names,
    synthetic_text,
    vocabulary,
    write_synthetic,
    zipf_cdf,
    zipf_guide,
)
from sda.text.words import matching_files


def list_files(pattern: str) -> list[str]:
    """Sorted files matching ``pattern``; an empty match fails naming the pattern."""
    files = matching_files(pattern)
    if not files:
        raise InputError(f"{pattern}: the glob matches no files")
    return files


def test_empty_glob_names_the_pattern(tmp_path):
    pattern = str(tmp_path / "nothing" / "*")
    with pytest.raises(InputError, match=re.escape(f"{pattern}: the glob matches no files")):
        list_files(pattern)
    config = {"wiki": {"source": "local", "glob": pattern, "encoding_errors": "replace"}}
    with pytest.raises(ConfigError, match=r"wiki\.glob: .* matches no files"):
        check_wiki(config)


@pytest.mark.parametrize(
    "wiki, message",
    [
        ({"checksum": "crc32:abcd"}, "wiki.checksum: unknown algorithm 'crc32'"),
        ({"checksum": "sha1:xyz"}, "wiki.checksum: the sha1 digest 'xyz' is not 40 hexadecimal"),
        ({"checksum": "d41d8cd98f00b204e9800998ecf8427e"}, "wiki.checksum: 'd41d8cd98f00b204"),
        ({"url": ""}, "wiki.url: is empty but wiki.source is download"),
        ({"url": "https:///enwiki/x.bz2"}, "wiki.url: 'https:///enwiki/x.bz2' names no host"),
        ({"url": "https://h/enwiki/"}, "wiki.url: 'https://h/enwiki/' names no file (it ends"),
    ],
)
def test_a_download_config_that_cannot_work_names_the_key(wiki, message):
    config = {"wiki": {"source": "download", "url": "https://h/d.bz2", "checksum": "", **wiki}}
    with pytest.raises(ConfigError, match=f"^invalid config key {re.escape(message)}"):
        check_wiki(config)


@pytest.mark.parametrize("checksum", ["", "skip", "md5:D41D8CD98F00B204E9800998ECF8427E"])
def test_a_download_config_that_works_passes(checksum):
    for url in ("https://h/enwiki/20261101/d.bz2", "file:///data/d.bz2", "http://127.0.0.1:8/d"):
        check_wiki({"wiki": {"source": "download", "url": url, "checksum": checksum}})


def test_synthetic_corpus_layout_and_determinism(synthetic_corpus, tmp_path):
    synthetic = synthetic_corpus()
    assert file_names(102)[99:] == ["AA/wiki_99", "AB/wiki_00", "AB/wiki_01"]
    again = [str(tmp_path / n) for n in file_names(3)]
    write_synthetic(again, 30_000, seed=3, processes=2)  # workers write the same bytes
    assert [Path(p).read_bytes() for p in again] == [Path(p).read_bytes() for p in synthetic]
    text = Path(synthetic[0]).read_text(encoding="utf-8")
    assert text.startswith('<doc id="1" url="https://en.wikipedia.org/wiki?curid=1" title="')
    assert text.count("<doc ") == text.count("</doc>") > 5
    assert 30_000 <= len(text.encode()) < 40_000
    raw = Counter(text.split())
    ranks = [n for _, n in raw.most_common(50)]
    assert ranks[0] > 5 * ranks[30]  # Zipf-like
    assert any(c in text for c in "\xa0\u2009")
    assert any(ch.isupper() for ch in text) and any(p in text for p in ",.;()")
    v = vocabulary(3)
    assert v[0] == "the" and len(set(v)) == len(v)
    assert synthetic_text(1, 5000, 3, v) != synthetic_text(2, 5000, 3, v)


def test_zipf_draws_are_generator_choice():
    """The corpus's word draws are numpy's ``Generator.choice(n, k, p=p)``, draw for draw, and
    leave the generator in the same state (so the rest of the file is unchanged too)."""
    size = 5000
    p = np.arange(1, size + 1, dtype=np.float64) ** -ZIPF_S
    p /= p.sum()
    ours, numpy_rng = np.random.default_rng([3, 9]), np.random.default_rng([3, 9])
    for n in (1, 2, 80, 599):
        np.testing.assert_array_equal(draw(ours, zipf_cdf(size), n), numpy_rng.choice(size, n, p=p))
    assert ours.random() == numpy_rng.random()


def test_guided_zipf_lookup_is_the_binary_search():
    """The guide table gives the binary search's ids, also for draws exactly at and just
    below a bucket's start, for a CDF of one word, a few, and the corpus's vocabulary."""
    starts = np.arange(GUIDE_SIZE, dtype=np.float64) / GUIDE_SIZE
    edges = np.concatenate([starts, np.nextafter(starts[1:], 0), [np.nextafter(1.0, 0)]])

    class Edges:  # a generator whose draws are the edges
        def random(self, n):
            assert n == len(edges)
            return edges.copy()

    for size in (1, 7, 5000, 60_000):
        cdf, guide = zipf_cdf(size), zipf_guide(size)
        for seed in range(3):
            np.testing.assert_array_equal(
                draw(np.random.default_rng(seed), cdf, 100_000, guide),
                draw(np.random.default_rng(seed), cdf, 100_000),
            )
        np.testing.assert_array_equal(
            draw(Edges(), cdf, len(edges), guide), cdf.searchsorted(edges, side="right")
        )
