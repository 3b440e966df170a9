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
    ZIPF_S,
    check_wiki,
    draw,
    file_names,
    synthetic_text,
    vocabulary,
    write_synthetic,
    zipf_cdf,
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
