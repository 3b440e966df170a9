"""Word frequencies with polars and with DuckDB, beside the workflow's dask count.

Every engine reaches the end point of the rule ``text_counts``: the raw top-10 (Python's
``str.split()`` tokens, count descending then word ascending) and the full cleaned table
(``string.punctuation`` removed, lower-cased, empty words dropped) as a ``dict``. Each reads
the files itself with the workflow's decoding policy (:func:`sda.text.words.read_text`), inside
its timed call.

Tokens are runs of characters that are not whitespace *as Python defines it*
(:data:`WHITESPACE`, every code point whose ``str.isspace()`` is true, 29 of them: ASCII
whitespace, \\x1c-\\x1f, \\x85 and the Unicode spaces), written as an explicit character class
(:data:`TOKEN`) that polars' Rust ``regex`` and DuckDB's RE2 read alike: RE2's ``\\s`` is ASCII
whitespace only, and Rust's ``\\s`` lacks \\x1c-\\x1f. So the raw tokens are the same in every
engine. Cleaning removes :data:`PUNCT` (the same class, escaped as code points) and
lower-cases: polars' ``to_lowercase`` is Rust's full Unicode mapping, as Python's ``str.lower``
(the final sigma included); DuckDB's ``lower`` maps some letters otherwise (e.g. a capital
dotted I to a plain ``i`` where Python gives ``i`` and a combining dot). :func:`compare` counts
the cleaned words whose counts differ and accepts a difference only in words that are not
pure ASCII, where the case mappings can disagree.
"""

from __future__ import annotations

import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence

from sda.engines.check import Check
from sda.text.words import read_text

K = 10  # the raw top-k of the rule

WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def char_class(chars: str, negate: bool = False) -> str:
    """A regex character class of ``chars``, each as ``\\x{hex}`` (Rust regex and RE2)."""
    return "[" + ("^" if negate else "") + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


TOKEN = char_class(WHITESPACE, negate=True) + "+"
PUNCT = char_class(string.punctuation)

Result = tuple[list[tuple[str, int]], dict[str, int]]


def read_texts(files: Sequence[str], errors: str) -> list[str]:
    return [read_text(f, errors)[0] for f in files]


def dask_words(
    files: Sequence[str], errors: str, threads: int, npartitions: int, files_per_task: int
) -> Result:
    """The workflow's own count (:func:`sda.text.count.word_counts`) on dask's threads."""
    from sda.scheduler import dask_scheduler
    from sda.text.count import word_counts

    with dask_scheduler("threads", workers=threads):
        result = word_counts(list(files), errors, K, npartitions, files_per_task)
    return [tuple(x) for x in result.raw_top], result.clean_dict()


def polars_words(files: Sequence[str], errors: str) -> Result:
    """The count as one polars query: extract the tokens, count them; clean the distinct
    tokens and sum their counts (threads: ``POLARS_MAX_THREADS`` of the process)."""
    import polars as pl

    texts = read_texts(files, errors)
    raw = (
        pl.LazyFrame({"text": texts})
        .select(pl.col("text").str.extract_all(TOKEN).alias("word"))
        .explode("word")
        .drop_nulls()
        .group_by("word")
        .agg(pl.len().alias("n"))
        .collect()
    )
    top = raw.sort(["n", "word"], descending=[True, False]).head(K)
    clean = (
        raw.lazy()
        .select(pl.col("word").str.replace_all(PUNCT, "").str.to_lowercase(), "n")
        .filter(pl.col("word") != "")
        .group_by("word")
        .agg(pl.col("n").sum())
        .collect()
    )
    return list(top.iter_rows()), dict(zip(clean["word"], clean["n"], strict=True))


def duckdb_words(files: Sequence[str], errors: str, threads: int) -> Result:
    """The count in DuckDB SQL: lines, tokens by ``regexp_extract_all``, ``count(*)`` per
    token; the cleaned table from the distinct tokens."""
    import duckdb
    import pyarrow as pa

    texts = pa.table({"text": pa.array(read_texts(files, errors), pa.large_string())})
    con = duckdb.connect(config={"threads": threads})
    try:
        con.register("texts", texts)
        con.execute(
            "create temp table raw as select word, count(*)::BIGINT as n from ("
            f" select unnest(regexp_extract_all(line, '{TOKEN}')) as word from ("
            "  select unnest(string_split(text, chr(10))) as line from texts))"
            " group by word"
        )
        top = con.execute(f"select word, n from raw order by n desc, word limit {K}").fetchall()
        clean = con.execute(
            f"select lower(regexp_replace(word, '{PUNCT}', '', 'g')) as w, sum(n)::BIGINT"
            " from raw group by w having w <> ''"
        ).fetchall()
    finally:
        con.close()
    return [tuple(x) for x in top], dict(clean)


def reference(top10: str, frequencies: str) -> Result:
    """The rule's result: its top-10 CSV and its Parquet frequency table."""
    import pyarrow.parquet as pq

    from sda.io import InputError, read_table

    top = read_table(top10, columns=["word"], numeric=["n"], keep_default_na=False)
    try:
        table = pq.read_table(frequencies, columns=["word", "n"])
    except Exception as exc:
        raise InputError(f"{frequencies}: not a readable Parquet table ({exc})") from None
    words, counts = table["word"].to_pylist(), table["n"].to_pylist()
    return list(zip(top["word"], map(int, top["n"]), strict=True)), dict(
        zip(words, counts, strict=True)
    )


def fold(word: str) -> str:
    """A word without case and accents: NFD, combining marks dropped, ``casefold()``; where
    two engines' lower-casing differs (``İ`` to ``i`` with or without a combining dot), the
    folded words are equal."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def compare(got: Result, want: Result) -> Check:
    """The raw top-10 must be identical. Cleaned words whose counts differ are counted; the
    difference is accepted only as a case mapping: summed by :func:`fold`, the differing
    words' counts agree. ``difference``: the share of the cleaned tokens that moved."""
    top, clean = got
    want_top, want_clean = want
    differ = diff_words(clean, want_clean)
    moved = sum(max(clean.get(w, 0) - want_clean.get(w, 0), 0) for w in differ)
    total = sum(want_clean.values()) or 1
    folded_got, folded_want = Counter(), Counter()
    for w in differ:
        folded_got[fold(w)] += clean.get(w, 0)
        folded_want[fold(w)] += want_clean.get(w, 0)
    unexplained = [
        w for w in folded_got.keys() | folded_want.keys() if folded_got[w] != folded_want[w]
    ]
    same_top = [tuple(x) for x in top] == [tuple(x) for x in want_top]
    notes = []
    if not same_top:
        notes.append(f"raw top-10 differs: {top[:3]}... instead of {want_top[:3]}...")
    if differ:
        sample = ", ".join(repr(w) for w in sorted(differ)[:3])
        notes.append(
            f"{len(differ)} of {len(want_clean)} cleaned words differ in count ({moved} tokens "
            f"under another word, e.g. {sample}): "
            + (
                "lower-casing of non-ASCII letters"
                if not unexplained
                else f"{len(unexplained)} not explained by case (e.g. {sorted(unexplained)[0]!r})"
            )
        )
    return Check(
        identical=same_top and not differ,
        difference=moved / total,
        ok=same_top and not unexplained,
        note="; ".join(notes),
    )


def diff_words(got: Mapping[str, int], want: Mapping[str, int]) -> list[str]:
    """Words whose counts differ (missing on one side counts as 0)."""
    return [w for w in got.keys() | want.keys() if got.get(w, 0) != want.get(w, 0)]
