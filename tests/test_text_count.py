"""sda.text.count: the word count (pyarrow per file), every count against collections.Counter;
the facts about Unicode and Python that make its vocabulary-only cleaning exact."""

from __future__ import annotations

import string

import dask
import pytest

from oracles import expected_counts, ranked
from sda.io import InputError
from sda.text.count import clean_top_k, word_counts


def check(files, errors="replace", npartitions=2, scheduler="threads"):
    raw, cleaned = expected_counts(files, errors)
    with dask.config.set(scheduler=scheduler, num_workers=2):
        got = word_counts(files, errors, k=10, npartitions=npartitions)
    assert got.raw_top == ranked(raw, 10)
    assert got.clean_dict() == dict(cleaned)
    table = got.clean_table()
    assert list(zip(table["word"].to_pylist(), table["n"].to_pylist(), strict=True)) == ranked(
        cleaned
    )
    return got


TRICKY = (
    '<doc id="1" title="T">\nThe the THE, the. -- ... (the) «Le» Café CAFÉ café\'s\n'
    "ΟΔΥΣΣΕΥΣ Σοφίας ΣΑΣ. İstanbul ﬁnal Ǆemal naïve\xa0word a\u2009b c\u3000d e\x1cf g\x1fh\n"
    "i\x85j k\u2028l tab\there\r\nvt\x0bff\x0c end!!! !!! ' \" x'y'z  ÆSIR-æsir\n</doc>\n"
)


def test_cleaning_commutes_with_splitting_for_every_code_point():
    """The facts that make vocabulary-only cleaning exact (see sda.text.count's docstring)."""
    spaces = [chr(i) for i in range(0x110000) if chr(i).isspace()]
    for i in range(0x110000):
        c = chr(i)
        low = c.lower()
        assert not (not c.isspace() and any(x.isspace() for x in low)), hex(i)
    for w in spaces:
        assert w.lower() == w and w not in string.punctuation
        # The final-sigma rule does not look across whitespace.
        assert ("AΣ" + w + "A").lower() == "aς" + w + "a"
        assert ("A" + w + "ΣA").lower() == "a" + w + "σa"


@pytest.mark.parametrize("npartitions", [1, 2, 3])
def test_tricky_text_equals_counter(tmp_path, npartitions):
    files = []
    for i in range(3):
        f = tmp_path / f"wiki_{i:02d}"
        f.write_text(TRICKY * (i + 1) + f"extra{i} The\n", encoding="utf-8")
        files.append(str(f))
    (tmp_path / "empty").write_bytes(b"")
    files.append(str(tmp_path / "empty"))
    got = check(files, npartitions=npartitions)
    assert ("the", 5 * 6 + 3) in got.clean_dict().items()


def test_leading_and_trailing_whitespace_make_no_empty_token(tmp_path):
    f = tmp_path / "ws"
    f.write_text("  \n \t\n x \n\n")
    assert check([str(f)]).raw_top == [("x", 1)]


@pytest.mark.parametrize("errors, bad", [("replace", 4), ("ignore", 4)])
def test_non_utf8_bytes_follow_the_policy_and_are_counted(tmp_path, errors, bad):
    f = tmp_path / "latin1"
    f.write_bytes("naïve café".encode("latin-1") + b" ok \xff\xfe ok\n")
    good = tmp_path / "good"
    good.write_text("ok fine\n")
    got = check([str(f), str(good)], errors=errors)
    assert (got.bad_files, got.bad_bytes) == (1, bad)


def test_strict_policy_names_the_file(tmp_path):
    f = tmp_path / "bad"
    f.write_bytes(b"abc \xff def")
    with pytest.raises(InputError, match=rf"{f}: not UTF-8 at byte 4"):
        word_counts([str(f)], "strict", npartitions=1)


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_synthetic_counts_equal_counter(synthetic_corpus, scheduler):
    synthetic = synthetic_corpus()
    check(synthetic, scheduler=scheduler)


@pytest.mark.wiki
def test_shared_wiki_counts_equal_counter(shared_wiki):
    check([str(p) for p in sorted(shared_wiki.iterdir())[:3]])


@pytest.mark.parametrize("npartitions", [1, 2])
def test_all_ascii_text_merges_words_equal_after_cleaning(tmp_path, npartitions):
    """Text with no token outside printable ASCII: 'The' and 'the.' clean to one word, counted
    once with their total (the cleaned table has no word twice)."""
    files = []
    for i, text in enumerate(["The the THE, cat. Cat\n", "the dog; Dog dog!\n"]):
        files.append(tmp_path / f"wiki_{i:02d}")
        files[-1].write_text(text)
    with dask.config.set(scheduler="sync"):
        result = word_counts([str(f) for f in files], npartitions=npartitions)
    words = result.clean.words.to_pylist()
    assert len(words) == len(set(words)), words
    assert result.clean_dict() == dict(expected_counts(files)[1]) == {"the": 4, "cat": 2, "dog": 3}


def test_clean_top_k_of_the_first_files_equals_counter(tmp_path, synthetic_corpus):
    """The check of the dask.delayed rule: the workflow's count of a few files (tricky text
    first) ranks the cleaned words as Counter does."""
    tricky = tmp_path / "tricky"
    tricky.write_text(TRICKY, encoding="utf-8")
    files = [str(tricky), *synthetic_corpus()[:2]]
    _, cleaned = expected_counts(files)
    assert clean_top_k(files, k=5) == ranked(cleaned, 5)
    assert clean_top_k(files[:1], k=50) == ranked(expected_counts(files[:1])[1], 50)


def test_pyarrow_splits_on_exactly_pythons_whitespace():
    """The re-split of the tokens outside printable ASCII relies on it: for every code point,
    pyarrow's utf8_split_whitespace splits where str.split() does, empty pieces aside."""
    import pyarrow as pa
    import pyarrow.compute as pc

    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = [f"{chr(c)}a{chr(c)}{chr(c)}b{chr(c)}" for c in points]
    split = pc.utf8_split_whitespace(pa.array(texts, pa.large_string())).to_pylist()
    differ = [
        hex(c)
        for c, t, s in zip(points, texts, split, strict=True)
        if t.split() != [p for p in s if p]
    ]
    assert differ == []
    assert sum(chr(c).isspace() for c in points) == 29  # the whitespace the check covered
