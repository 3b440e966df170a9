"""sda.text.lesson and sda.text.delayed: the lesson's dask.bag chain, the plain-Python baseline and
the delayed top-k, against collections.Counter; a file that is not UTF-8 named."""

from __future__ import annotations

from pathlib import Path

import dask
import pytest

from oracles import clean_text, expected_counts, ranked
from sda.io import InputError
from sda.text.delayed import delayed_top_k
from sda.text.lesson import lesson_counts, python_counts, sample


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_strict_policy_names_the_file_in_the_lessons_bag(one_bad_file, scheduler):
    """db.read_text's own UnicodeDecodeError names no file: the bag rules name it."""
    files, bad = one_bad_file
    expected = rf"{bad}: not UTF-8 at byte 3"
    with dask.config.set(scheduler=scheduler):
        with pytest.raises(InputError, match=expected):
            sample(files, "strict")
        with pytest.raises(InputError, match=expected):
            lesson_counts(files, "strict")
    assert sample(files, "replace")[:2] == ["fine", "text"]


def test_baselines_and_delayed_equal_counter(synthetic_corpus):
    synthetic = synthetic_corpus()
    raw, cleaned = expected_counts(synthetic)
    top, clean_map = python_counts(synthetic)
    assert top == ranked(raw, 10) and clean_map == cleaned
    with dask.config.set(scheduler="sync"):
        top, clean_map = lesson_counts(synthetic)
        assert top == ranked(raw, 10) and clean_map == dict(cleaned)
        assert delayed_top_k(synthetic, k=5).compute() == ranked(cleaned, 5)


def test_sample_is_the_first_cleaned_words(synthetic_corpus):
    synthetic = synthetic_corpus()
    text = Path(synthetic[0]).read_text(encoding="utf-8")
    with dask.config.set(scheduler="sync"):
        assert sample(synthetic, n=5) == clean_text(text).split()[:5]
