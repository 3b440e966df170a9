"""The workflow's word count: raw top-k and the full cleaned frequency table.

Tokenisation is Python's ``str.split()`` (whitespace as Python defines it, ``str.isspace``).
The cleaned tokens are ``text.translate(<remove string.punctuation>).lower().split()``.
Top-k tables break ties by count descending, then word ascending (code-point order).

The workflow's fast path (:func:`word_counts`) counts each file's tokens once, with pyarrow
(which releases the GIL, so dask's threads run in parallel), and cleans only the distinct
vocabulary, not the text. That is exact because cleaning commutes with counting, token by token:

- ``str.split()`` cuts the text at whitespace; removing punctuation never removes or creates
  whitespace, ``str.lower()`` maps no character to or from whitespace, and its only context
  rule (the Greek final sigma) never looks across whitespace (all checked over every code point
  in tests/test_text_count.py). So ``clean(text).split()`` is the concatenation, over the raw tokens
  ``t`` of ``text.split()``, of ``clean(t).split()``.
- ``clean(t).split()`` may be empty (``"--"``) or, in principle, several words; each word gets
  the count of ``t``, and counts of equal words add up.
- pyarrow splits at ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r) only, and yields an
  empty token at leading or trailing whitespace (dropped: ``"".split()`` is empty). Python also splits at
  \\x1c-\\x1f and at Unicode spaces (\\xa0, \\u2009, ...); every distinct token that holds one of
  those is re-split with ``str.split()`` in Python. Pure printable-ASCII tokens are cleaned in
  pyarrow (ASCII lower-casing and punctuation removal are the same there), the others in Python.

Bytes that are not UTF-8 are decoded with ``wiki.encoding_errors`` (``replace`` by default:
each bad sequence becomes U+FFFD; ``ignore`` drops it; ``strict`` fails naming the file), the
same policy for every path and baseline; the number of such files and bytes is logged.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sda.io import InputError
from sda.text.words import PUNCT_RE, clean, decode, top_k

log = logging.getLogger(__name__)


@dataclass
class Counts:
    """Words (a pyarrow string array, distinct) with their counts; bad bytes/files seen."""

    words: object
    counts: np.ndarray
    bad_bytes: int = 0
    bad_files: int = 0


def _utf8_array(chunks: Sequence[bytes]):
    import pyarrow as pa

    offsets = np.cumsum([0, *(len(c) for c in chunks)], dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(),
        len(chunks),
        [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(chunks))],
    )


def file_counts(paths: str | Path | Sequence[str | Path], errors: str = "replace") -> Counts:
    """Token counts of one file or a small group of files, split at ASCII whitespace (see the
    module docstring); a file that is not UTF-8 is decoded with ``errors`` in Python first."""
    import pyarrow as pa
    import pyarrow.compute as pc

    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    chunks = []
    bad_bytes = bad_files = 0
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
        try:
            _utf8_array([data]).validate(full=True)
        except pa.ArrowInvalid:
            text, bad = decode(data, errors, path)
            data = text.encode("utf-8")
            log.info("%s: %d bytes are not UTF-8 (decoded with errors=%s)", path, bad, errors)
            bad_bytes += bad
            bad_files += 1
        chunks.append(data)
    vc = pc.value_counts(pc.list_flatten(pc.ascii_split_whitespace(_utf8_array(chunks))))
    return Counts(vc.field("values"), vc.field("counts").to_numpy(), bad_bytes, bad_files)


def _from_counter(counter: Mapping[str, int]) -> Counts:
    import pyarrow as pa

    return Counts(
        pa.array(list(counter.keys()), pa.large_string()),
        np.fromiter(counter.values(), dtype=np.int64, count=len(counter)),
    )


def merge_counts(parts: Sequence[Counts]) -> Counts:
    """Add up the counts of equal words across and within ``parts``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [p for p in parts if len(p.counts)]
    bad_bytes = sum(p.bad_bytes for p in parts)
    bad_files = sum(p.bad_files for p in parts)
    if not parts:
        return Counts(pa.array([], pa.large_string()), np.zeros(0, np.int64), 0, 0)
    # No shortcut for a single part: the cleaned words of one part repeat ("The", "the.").
    words = pa.concat_arrays([p.words.cast(pa.large_string()) for p in parts])
    counts = np.concatenate([p.counts for p in parts])
    enc = pc.dictionary_encode(words)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    # float64 weights are exact for totals below 2**53 tokens.
    total = np.bincount(idx, weights=counts, minlength=len(enc.dictionary)).astype(np.int64)
    return Counts(enc.dictionary, total, bad_bytes, bad_files)


# Parts a partition's reduction holds before it merges them into its running total.
MERGE_EVERY = 8


def merge_partition(items: Iterable[Counts]) -> Counts:
    """Bag reduction, per partition and across partitions, merged as the parts come: memory
    holds the running total and at most ``MERGE_EVERY`` parts, not all of a partition's (dask
    hands the reduction its partition as an iterator). The sums, and the order of first
    occurrence, are those of one merge of all the parts."""
    held: list[Counts] = []
    for item in items:
        held.append(item)
        if len(held) > MERGE_EVERY:
            held = [merge_counts(held)]
    return merge_counts(held)


def _printable_ascii(words) -> np.ndarray:
    """Which of ``words`` (a pyarrow string array) are printable ASCII only, the tokens that
    pyarrow's split and cleaning handle exactly as Python's."""
    import pyarrow.compute as pc

    return pc.match_substring_regex(words, r"^[\x21-\x7e]+$").to_numpy(zero_copy_only=False)


def _clean_ascii(words):
    """Python's cleaning (punctuation removed, lower-cased) of printable-ASCII ``words``."""
    import pyarrow.compute as pc

    return pc.ascii_lower(pc.replace_substring_regex(words, PUNCT_RE, ""))


def _python_side(words, counts: np.ndarray, mask: np.ndarray) -> tuple[Counter, Counter]:
    """Exact handling of the tokens outside printable ASCII: re-split, then clean.

    The re-split is pyarrow's ``utf8_split_whitespace``, which splits on exactly the code points
    Python's ``str.split()`` does (checked for all of them by a test), its pieces' counts summed
    per distinct piece in arrays. Cleaning is Python's ``translate`` and ``lower`` on the
    distinct pieces that still hold a character outside printable ASCII; the others are cleaned
    as the ASCII tokens are (:func:`clean_counts`), where both are the same operation."""
    import pyarrow as pa
    import pyarrow.compute as pc

    raw: Counter = Counter()
    cleaned: Counter = Counter()
    sel = np.flatnonzero(mask)
    if not len(sel):
        return raw, cleaned
    split = pc.utf8_split_whitespace(words.take(sel))
    pieces = pc.list_flatten(split)
    weights = counts[sel][pc.list_parent_indices(split).to_numpy(zero_copy_only=False)]
    keep = np.flatnonzero(pc.binary_length(pieces).to_numpy(zero_copy_only=False) > 0)
    merged = merge_counts([Counts(pieces.take(keep).cast(pa.large_string()), weights[keep])])
    raw.update(dict(zip(merged.words.to_pylist(), merged.counts.tolist(), strict=True)))
    simple = _printable_ascii(merged.words)
    ascii_clean = _clean_ascii(merged.words.take(np.flatnonzero(simple)))
    for w, n in zip(ascii_clean.to_pylist(), merged.counts[simple].tolist(), strict=True):
        if w:
            cleaned[w] += n
    rest = np.flatnonzero(~simple)
    for piece, n in zip(
        merged.words.take(rest).to_pylist(), merged.counts[rest].tolist(), strict=True
    ):
        for w in clean(piece).split():
            cleaned[w] += n
    return raw, cleaned


def _top_k_arrays(words, counts: np.ndarray, k: int) -> list[tuple[str, int]]:
    if len(counts) <= k:
        return top_k(zip(words.to_pylist(), counts.tolist(), strict=True), k)
    threshold = np.partition(counts, len(counts) - k)[len(counts) - k]
    sel = np.flatnonzero(counts >= threshold)
    return top_k(zip(words.take(sel).to_pylist(), counts[sel].tolist(), strict=True), k)


@dataclass
class Vocabulary:
    """The merged raw vocabulary split in two: printable-ASCII tokens (arrays) and the exact
    Python ``str.split()`` pieces of all other tokens, raw and cleaned (Counters)."""

    words: object
    counts: np.ndarray
    raw_py: Counter
    clean_py: Counter
    bad_bytes: int = 0
    bad_files: int = 0


def split_vocabulary(total: Counts) -> Vocabulary:
    """Separate the tokens pyarrow handles exactly from those Python must re-split and clean."""

    words, counts = total.words, total.counts
    simple = _printable_ascii(words)
    raw_py, clean_py = _python_side(words, counts, ~simple)
    idx = np.flatnonzero(simple)
    return Vocabulary(
        words.take(idx), counts[idx], raw_py, clean_py, total.bad_bytes, total.bad_files
    )


def raw_top_k(vocab: Vocabulary, k: int = 10) -> list[tuple[str, int]]:
    """Top ``k`` raw tokens: ASCII counts plus the counts of the re-split pieces."""
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = vocab.counts
    if vocab.raw_py:
        extra = pa.array(list(vocab.raw_py), pa.large_string())
        extra_n = np.fromiter(vocab.raw_py.values(), np.int64, len(vocab.raw_py))
        pos = pc.index_in(vocab.words, value_set=extra)
        hit = pc.is_valid(pos).to_numpy(zero_copy_only=False)
        counts = counts.copy()
        at = np.flatnonzero(hit)
        j = pos.take(at).to_numpy(zero_copy_only=False)
        counts[at] += extra_n[j]
        rest = np.ones(len(extra), bool)
        rest[j] = False
        rest_idx = np.flatnonzero(rest)
        words = pa.concat_arrays([vocab.words, extra.take(rest_idx)])
        counts = np.concatenate([counts, extra_n[rest_idx]])
        return _top_k_arrays(words, counts, k)
    return _top_k_arrays(vocab.words, counts, k)


def clean_counts(vocab: Vocabulary) -> Counts:
    """The full cleaned table: ASCII tokens cleaned in pyarrow, the others in Python."""
    import pyarrow.compute as pc

    c_words = _clean_ascii(vocab.words)
    keep = pc.not_equal(pc.binary_length(c_words), 0).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(keep)
    merged = merge_counts(
        [Counts(c_words.take(idx), vocab.counts[idx]), _from_counter(vocab.clean_py)]
    )
    merged.bad_bytes, merged.bad_files = vocab.bad_bytes, vocab.bad_files
    return merged


@dataclass
class WordCounts:
    """The two results of the word count (the cleaned table in no particular order)."""

    raw_top: list[tuple[str, int]]
    clean: Counts
    bad_bytes: int = 0
    bad_files: int = 0

    def clean_dict(self) -> dict[str, int]:
        return dict(zip(self.clean.words.to_pylist(), self.clean.counts.tolist(), strict=True))

    def clean_table(self):
        """The cleaned table as a pyarrow Table sorted by n descending, then word ascending."""
        import pyarrow as pa
        import pyarrow.compute as pc

        table = pa.table({"word": self.clean.words.cast(pa.string()), "n": self.clean.counts})
        return table.take(pc.sort_indices(table, [("n", "descending"), ("word", "ascending")]))


def clean_top_k(
    paths: Sequence[str | Path], errors: str = "replace", k: int = 5
) -> list[tuple[str, int]]:
    """The cleaned top ``k`` of ``paths`` by the workflow's own count (pyarrow, here in one
    process): an implementation independent of the lesson's Python functions."""
    counts = clean_counts(split_vocabulary(file_counts(list(paths), errors)))
    return _top_k_arrays(counts.words, counts.counts, k)


def partitions_for(n_files: int, partitions: int, workers: int) -> int:
    """Bag partitions: ``partitions`` if positive, else one per worker (at most one per file)."""
    wanted = partitions if partitions > 0 else max(1, workers)
    return max(1, min(n_files, wanted))


def word_count_graph(
    files: Sequence[str], errors: str, npartitions: int, k: int = 10, files_per_task: int = 4
):
    """The fast path as dask collections: (raw top ``k``, cleaned counts).

    files -> per-file counts (bag.map) -> per-partition and global merge (bag.reduction)
    -> vocabulary split -> raw top-k and cleaned table, two tasks that can run side by side.
    """
    import dask.bag as db
    from dask import delayed

    groups = [list(files[i : i + files_per_task]) for i in range(0, len(files), files_per_task)]
    bag = db.from_sequence(groups, npartitions=min(npartitions, len(groups)))
    total = bag.map(file_counts, errors=errors).reduction(
        merge_partition, merge_partition, split_every=max(2, npartitions)
    )
    vocab = delayed(split_vocabulary)(total.to_delayed())
    return delayed(raw_top_k)(vocab, k), delayed(clean_counts)(vocab)


def word_counts(
    files: Sequence[str],
    errors: str = "replace",
    k: int = 10,
    npartitions: int = 2,
    files_per_task: int = 4,
) -> WordCounts:
    """The workflow's word count (raw top ``k`` and the full cleaned table), one
    ``dask.compute`` on the current scheduler."""
    import dask

    graph = word_count_graph(list(files), errors, npartitions, k, files_per_task)
    raw, cleaned = dask.compute(*graph)
    if cleaned.bad_files:
        log.warning(
            "%d of %d files were not UTF-8: %d bytes decoded with errors=%s",
            cleaned.bad_files,
            len(files),
            cleaned.bad_bytes,
            errors,
        )
    return WordCounts(raw, cleaned, cleaned.bad_bytes, cleaned.bad_files)
