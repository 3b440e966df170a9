"""Unit tests of sda.text and sda.text.corpus: every count against an independent collections.Counter."""

from __future__ import annotations

import re
import string
import sys
import tempfile
from collections import Counter
from pathlib import Path

import dask
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from sda.config import ConfigError
from sda.io import InputError  # noqa: E402
from sda.text.bench_text import bench_rows  # noqa: E402
from sda.text.corpus import (  # noqa: E402
    ZIPF_S,
    check_wiki,  # noqa: E402
    draw,
    file_names,
    synthetic_text,
    vocabulary,
    write_synthetic,
    zipf_cdf,
)
from sda.text.count import word_counts  # noqa: E402
from sda.text.delayed import delayed_top_k  # noqa: E402
from sda.text.lesson import lesson_counts, python_counts, sample  # noqa: E402
from sda.text.parquet import write_frequencies  # noqa: E402
from sda.text.words import PUNCT_RE, matching_files, top_k  # noqa: E402

TABLE = str.maketrans("", "", string.punctuation)


def expected(files, errors="replace"):
    """Independent counts: whole-file text, str.split(), collections.Counter."""
    raw, cleaned = Counter(), Counter()
    for f in files:
        text = Path(f).read_bytes().decode("utf-8", errors=errors)
        raw.update(text.split())
        cleaned.update(text.translate(TABLE).lower().split())
    return raw, cleaned


def ranked(counter, k=None):
    items = sorted(counter.items(), key=lambda wn: (-wn[1], wn[0]))
    return items if k is None else items[:k]


def check(files, errors="replace", npartitions=2, scheduler="threads"):
    raw, cleaned = expected(files, errors)
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


def list_files(pattern: str) -> list[str]:
    """Sorted files matching ``pattern``; an empty match fails naming the pattern."""
    files = matching_files(pattern)
    if not files:
        raise InputError(f"{pattern}: the glob matches no files")
    return files


def test_tie_order_is_count_then_word():
    assert top_k({"b": 2, "a": 2, "c": 3, "d": 1}, 3) == [("c", 3), ("a", 2), ("b", 2)]
    assert top_k([("z", 1), ("y", 1)], 5) == [("y", 1), ("z", 1)]


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


def test_arrow_ascii_cleaning_equals_python():
    tokens = [chr(i) + chr(j) for i in range(0x21, 0x7F) for j in range(0x21, 0x7F)]
    arr = pa.array(tokens, pa.large_string())
    got = pc.ascii_lower(pc.replace_substring_regex(arr, PUNCT_RE, "")).to_pylist()
    assert got == [t.translate(TABLE).lower() for t in tokens]
    # pyarrow's ASCII whitespace is a subset of Python's (the rest is re-split in Python).
    split = pc.ascii_split_whitespace(pa.array(["a" + chr(i) + "b" for i in range(128)]))
    cut = {i for i, parts in enumerate(split.to_pylist()) if len(parts) == 2}
    assert cut == {9, 10, 11, 12, 13, 32} < {i for i in range(128) if chr(i).isspace()}


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


@pytest.fixture
def one_bad_file(tmp_path) -> tuple[list[str], Path]:
    good, bad = tmp_path / "wiki_00", tmp_path / "wiki_01"
    good.write_text("fine text here\n")
    bad.write_bytes(b"caf\xe9 au lait\n")
    return [str(good), str(bad)], bad


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


def test_strict_policy_names_the_file_in_the_text_benchmark(one_bad_file, tmp_path, monkeypatch):
    """bench_text runs each method in a child process: the child's error reaches the rule, and
    the measuring process leaves no file behind."""
    files, bad = one_bad_file
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    with pytest.raises(InputError, match=rf"{bad}: not UTF-8 at byte 3"):
        bench_rows(files, "strict", "sync", 1, 1, 1, 1)
    assert list(temp.iterdir()) == []


def test_empty_glob_names_the_pattern(tmp_path):
    pattern = str(tmp_path / "nothing" / "*")
    with pytest.raises(InputError, match=re.escape(f"{pattern}: the glob matches no files")):
        list_files(pattern)
    config = {"wiki": {"source": "local", "glob": pattern, "encoding_errors": "replace"}}
    with pytest.raises(ConfigError, match=r"wiki\.glob: .* matches no files"):
        check_wiki(config)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    d = tmp_path_factory.mktemp("synthetic")
    paths = [str(d / n) for n in file_names(3)]
    write_synthetic(paths, 30_000, seed=3)
    return paths


def test_synthetic_corpus_layout_and_determinism(synthetic, tmp_path):
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


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes"])
def test_synthetic_counts_equal_counter(synthetic, scheduler):
    check(synthetic, scheduler=scheduler)


def test_baselines_and_delayed_equal_counter(synthetic):
    raw, cleaned = expected(synthetic)
    top, clean_map = python_counts(synthetic)
    assert top == ranked(raw, 10) and clean_map == cleaned
    with dask.config.set(scheduler="sync"):
        top, clean_map = lesson_counts(synthetic)
        assert top == ranked(raw, 10) and clean_map == dict(cleaned)
        assert delayed_top_k(synthetic, k=5).compute() == ranked(cleaned, 5)


def test_sample_is_the_first_cleaned_words(synthetic):
    text = Path(synthetic[0]).read_text(encoding="utf-8")
    with dask.config.set(scheduler="sync"):
        assert sample(synthetic, n=5) == text.translate(TABLE).lower().split()[:5]


@pytest.mark.wiki
def test_shared_wiki_counts_equal_counter(shared_wiki):
    check([str(p) for p in sorted(shared_wiki.iterdir())[:3]])


def test_frequencies_parquet_is_deterministic(synthetic, tmp_path):
    import pandas as pd

    with dask.config.set(scheduler="sync"):
        table = word_counts(synthetic, npartitions=2).clean_table()
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_frequencies(a, table, npartitions=3)
    write_frequencies(b, table, npartitions=1)
    assert a.read_bytes() == b.read_bytes()
    frame = pd.read_parquet(a)
    assert list(frame.columns) == ["word", "n"]
    assert dict(zip(frame["word"], frame["n"], strict=True)) == dict(expected(synthetic)[1])


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
    assert result.clean_dict() == dict(expected(files)[1]) == {"the": 4, "cat": 2, "dog": 3}
