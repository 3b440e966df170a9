"""sda.engines.words: polars and DuckDB reach the workflow's word count, checked with Counter."""

from __future__ import annotations

import pytest

from oracles import expected_counts, ranked
from sda.engines.words import (
    TOKEN,
    WHITESPACE,
    compare,
    dask_words,
    duckdb_words,
    fold,
    polars_words,
)
from sda.io import InputError

# Python's whitespace beyond ASCII (\x1c, \xa0, \u2009, \u3000), punctuation-only tokens, and
# letters whose lower case differs between engines (a capital dotted I, a final sigma).
TEXT = (
    "The cat\x1cthe CAT, the\xa0cat! -- İstanbul ΟΔΥΣΣΕΥΣ\u2009odd\u3000end\n"
    "the end. (The) 'end' İlker ilker\tΣοφίας the\n"
)


@pytest.fixture
def corpus(tmp_path, synthetic_corpus) -> list[str]:
    edge = tmp_path / "wiki_edge"
    edge.write_text(TEXT * 3, encoding="utf-8")
    return [*synthetic_corpus(20_000), str(edge)]


def oracle(files):
    raw, clean = expected_counts(files)
    return ranked(raw, 10), dict(clean)


def test_the_token_class_is_pythons_whitespace():
    assert len(WHITESPACE) == 29
    assert all(c.isspace() for c in WHITESPACE)
    assert TOKEN.startswith("[^\\x{9}")


def test_polars_gives_exactly_pythons_counts(corpus):
    want = oracle(corpus)
    got = polars_words(corpus, "replace")
    assert got == want
    assert compare(got, want).identical


def test_the_dask_path_gives_exactly_pythons_counts(corpus):
    want = oracle(corpus)
    assert dask_words(corpus, "replace", 2, 2, 1) == want


def test_duckdb_differs_only_in_lower_casing_and_says_how_much(corpus):
    want = oracle(corpus)
    top, clean = duckdb_words(corpus, "replace", 2)
    assert top == want[0]
    differ = {w for w in clean.keys() | want[1].keys() if clean.get(w) != want[1].get(w)}
    assert differ  # "İ" and the final sigma are lower-cased otherwise than by Python
    assert sum(clean.values()) == sum(want[1].values())
    check = compare((top, clean), want)
    assert check.ok and not check.identical
    assert f"{len(differ)} of {len(want[1])} cleaned words differ" in check.note
    moved = sum(max(clean.get(w, 0) - want[1].get(w, 0), 0) for w in differ)
    assert check.difference == pytest.approx(moved / sum(want[1].values()))


def test_a_difference_that_is_not_case_fails_the_check(corpus):
    top, clean = oracle(corpus)
    wrong = dict(clean, the=clean["the"] + 1)
    check = compare((top, wrong), (top, clean))
    assert not check.ok and "not explained by case" in check.note
    assert not compare((top[::-1], clean), (top, clean)).ok


def test_fold_drops_case_and_accents():
    assert fold("İlker") == fold("ilker") == "ilker"
    assert fold("σοφίας") == fold("ΣΟΦΙΑΣ")


def test_a_missing_file_is_named(tmp_path):
    missing = str(tmp_path / "wiki_99")
    for run in (
        lambda: polars_words([missing], "replace"),
        lambda: duckdb_words([missing], "replace", 1),
    ):
        with pytest.raises(InputError, match="wiki_99"):
            run()


@pytest.mark.wiki
def test_real_wikipedia_polars_exact_duckdb_only_case(shared_wiki):
    files = sorted(str(p) for p in shared_wiki.iterdir())[:2]
    want = oracle(files)
    assert polars_words(files, "replace") == want
    check = compare(duckdb_words(files, "replace", 2), want)
    assert check.ok, check.note
