"""Word frequencies over Wikipedia text: the lesson's dask.bag and dask.delayed word counts.

Tokenisation is Python's ``str.split()`` (whitespace as Python defines it, ``str.isspace``).
The cleaned tokens are ``text.translate(<remove string.punctuation>).lower().split()``.
Top-k tables break ties by count descending, then word ascending (code-point order).

The workflow's fast path (:func:`word_counts`) counts each file's tokens once, with pyarrow
(which releases the GIL, so dask's threads run in parallel), and cleans only the distinct
vocabulary, not the text. That is exact because cleaning commutes with counting, token by token:

- ``str.split()`` cuts the text at whitespace; removing punctuation never removes or creates
  whitespace, ``str.lower()`` maps no character to or from whitespace, and its only context
  rule (the Greek final sigma) never looks across whitespace (all checked over every code point
  in tests/test_text.py). So ``clean(text).split()`` is the concatenation, over the raw tokens
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

import codecs
import contextlib
import glob
import heapq
import logging
import string
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sda.config import ConfigError
from sda.io import InputError, atomic_path, atomic_write, scratch_dir

log = logging.getLogger(__name__)

PUNCT_TABLE = {ord(c): None for c in string.punctuation}
# string.punctuation as an RE2 character class: every character escaped.
PUNCT_RE = "[" + "".join("\\" + c for c in string.punctuation) + "]"
ERROR_POLICIES = ("strict", "replace", "ignore")


def check_text_config(config: Mapping) -> None:
    """Cross-checks of the ``wiki`` and ``text`` sections; raise ConfigError naming the key."""
    wiki = config["wiki"]
    if wiki.get("encoding_errors", "replace") not in ERROR_POLICIES:
        raise ConfigError(
            f"invalid config key wiki.encoding_errors: {wiki['encoding_errors']!r} is not "
            f"supported (words are written as UTF-8 CSV/Parquet): use one of {', '.join(ERROR_POLICIES)}"
        )
    if wiki.get("source") == "local":
        pattern = wiki.get("glob", "")
        if not pattern or not matching_files(pattern):
            raise ConfigError(f"invalid config key wiki.glob: {pattern!r} matches no files")
    if wiki.get("source") == "download" and not wiki.get("url"):
        raise ConfigError("invalid config key wiki.url: is empty but wiki.source is download")


# ---------------------------------------------------------------------------------------------
# Plain helpers: cleaning, top-k, reading
# ---------------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """The lesson's cleaning: remove ``string.punctuation``, lower-case."""
    return text.translate(PUNCT_TABLE).lower()


def top_k(counts: Mapping[str, int] | Iterable[tuple[str, int]], k: int) -> list[tuple[str, int]]:
    """The ``k`` most frequent words: count descending, then word ascending."""
    items = counts.items() if isinstance(counts, Mapping) else counts
    return heapq.nsmallest(k, items, key=lambda wn: (-wn[1], wn[0]))


def matching_files(pattern: str) -> list[str]:
    """Sorted regular files matching the glob ``pattern`` (directories are not corpus files)."""
    return sorted(p for p in glob.glob(pattern) if Path(p).is_file())


def list_files(pattern: str) -> list[str]:
    """Sorted files matching ``pattern``; an empty match fails naming the pattern."""
    files = matching_files(pattern)
    if not files:
        raise InputError(f"{pattern}: the glob matches no files")
    return files


_LOCAL = threading.local()


def _counting_handler(exc: UnicodeDecodeError):
    _LOCAL.bad += exc.end - exc.start
    return codecs.lookup_error(_LOCAL.policy)(exc)


codecs.register_error("sda-counting", _counting_handler)


def decode(data: bytes, errors: str, path: str | Path = "<bytes>") -> tuple[str, int]:
    """Decode UTF-8 with the ``errors`` policy; return the text and the number of bad bytes."""
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError as exc:
        if errors == "strict":
            raise InputError(
                f"{path}: not UTF-8 at byte {exc.start} ({exc.reason}); "
                "set wiki.encoding_errors to replace or ignore to read it anyway"
            ) from None
    if errors not in ERROR_POLICIES:
        raise ValueError(f"unsupported encoding_errors {errors!r}")
    _LOCAL.bad, _LOCAL.policy = 0, errors
    text = data.decode("utf-8", errors="sda-counting")
    return text, _LOCAL.bad


def read_text(path: str | Path, errors: str = "replace") -> tuple[str, int]:
    """A file's text and its number of bytes that were not UTF-8; errors name the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return decode(data, errors, path)


@contextlib.contextmanager
def naming_undecodable(files: Sequence[str | Path]):
    """Around a computation on ``db.read_text`` (the lesson's bag): its ``UnicodeDecodeError``
    under ``errors="strict"`` names no file; raise :class:`InputError` naming the first file of
    ``files`` that is not UTF-8 instead (found by reading them again, only on failure)."""
    try:
        yield
    except UnicodeDecodeError as exc:
        for f in files:
            read_text(f, "strict")
        raise InputError(f"{files[0]} (or one of {len(files)} files): not UTF-8 ({exc})") from None


# ---------------------------------------------------------------------------------------------
# The fast path: pyarrow counts per file, vocabulary-only cleaning
# ---------------------------------------------------------------------------------------------


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
    """Add up the counts of equal words across ``parts``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [p for p in parts if len(p.counts)]
    bad_bytes = sum(p.bad_bytes for p in parts)
    bad_files = sum(p.bad_files for p in parts)
    if not parts:
        return Counts(pa.array([], pa.large_string()), np.zeros(0, np.int64), 0, 0)
    if len(parts) == 1:
        return parts[0]
    words = pa.concat_arrays([p.words.cast(pa.large_string()) for p in parts])
    counts = np.concatenate([p.counts for p in parts])
    enc = pc.dictionary_encode(words)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    # float64 weights are exact for totals below 2**53 tokens.
    total = np.bincount(idx, weights=counts, minlength=len(enc.dictionary)).astype(np.int64)
    return Counts(enc.dictionary, total, bad_bytes, bad_files)


def merge_partition(items: Iterable[Counts]) -> Counts:
    """Bag reduction, per partition and across partitions."""
    return merge_counts(list(items))


def _python_side(words, counts: np.ndarray, mask: np.ndarray) -> tuple[Counter, Counter]:
    """Exact Python handling of the tokens outside printable ASCII: re-split, then clean."""
    raw: Counter = Counter()
    cleaned: Counter = Counter()
    sel = np.flatnonzero(mask)
    if not len(sel):
        return raw, cleaned
    toks = words.take(sel).to_pylist()
    for tok, n in zip(toks, counts[sel].tolist(), strict=True):
        for piece in tok.split():
            raw[piece] += n
    for piece, n in raw.items():
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
    import pyarrow.compute as pc

    words, counts = total.words, total.counts
    simple = pc.match_substring_regex(words, r"^[\x21-\x7e]+$").to_numpy(zero_copy_only=False)
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

    c_words = pc.ascii_lower(pc.replace_substring_regex(vocab.words, PUNCT_RE, ""))
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


# ---------------------------------------------------------------------------------------------
# The lesson's code, as baselines and as the bag / delayed analyses
# ---------------------------------------------------------------------------------------------


def python_counts(
    files: Sequence[str], errors: str = "replace", k: int = 10
) -> tuple[list[tuple[str, int]], Counter]:
    """Plain Python, one process: the lesson's global Counter over each file's text."""
    raw: Counter = Counter()
    cleaned: Counter = Counter()
    for f in files:
        text, _ = read_text(f, errors)
        raw.update(text.split())
        cleaned.update(text.translate(PUNCT_TABLE).lower().split())
    return top_k(raw, k), cleaned


def lesson_bag(files: Sequence[str], errors: str = "replace"):
    """``db.read_text`` of the files, as in the lesson (UTF-8, the same errors policy)."""
    import dask.bag as db

    return db.read_text(list(files), encoding="utf-8", errors=errors)


def lesson_counts(
    files: Sequence[str], errors: str = "replace", k: int = 10
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """The lesson's bag pipeline on dask's default scheduler, one ``dask.compute``."""
    import dask

    b = lesson_bag(files, errors)
    top = b.str.split().flatten().frequencies().topk(k, key=lambda x: x[1])
    freq = b.str.translate(PUNCT_TABLE).str.lower().str.split().flatten().frequencies()
    with naming_undecodable(files):
        top, freq = dask.compute(top, freq)
    # The lesson's topk breaks ties arbitrarily: the comparison re-orders it like ours.
    return top_k(top, k), dict(freq)


def lesson_top10(files: Sequence[str], errors: str = "replace", k: int = 10):
    """The lesson's ``b.str.split().flatten().frequencies().topk(k)`` (scheduler from context)."""
    b = lesson_bag(files, errors)
    return b.str.split().flatten().frequencies().topk(k, key=lambda x: (x[1], _Desc(x[0])))


class _Desc:
    """Reverse order of a word, so that ``topk`` by (count, _Desc(word)) keeps ties word-ascending."""

    __slots__ = ("w",)

    def __init__(self, w: str):
        self.w = w

    def __lt__(self, other: _Desc) -> bool:
        return self.w > other.w

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.w == other.w


def cleaning_chain(files: Sequence[str], errors: str = "replace"):
    """The lesson's cleaning chain: translate, lower, split, flatten."""
    return lesson_bag(files, errors).str.translate(PUNCT_TABLE).str.lower().str.split().flatten()


def sample(files: Sequence[str], errors: str = "replace", n: int = 5) -> list[str]:
    """The lesson's ``take(n)`` of the cleaned words: the first ``n`` in file order."""
    with naming_undecodable(files):
        return list(cleaning_chain(files, errors).take(n, npartitions=-1, warn=False))


# dask.delayed, the lesson's "imperative" section: load -> clean -> analyze -> top_k.


def load(path: str, errors: str = "replace") -> str:
    return read_text(path, errors)[0]


def analyze(words: list[str]) -> Counter:
    return Counter(words)


def clean_split(text: str) -> list[str]:
    return clean(text).split()


def merge_counters(counters: Sequence[Counter]) -> Counter:
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return total


def delayed_top_k(files: Sequence[str], errors: str = "replace", k: int = 5):
    """The delayed graph of the cleaned top ``k`` (compute it on the current scheduler)."""
    from dask import delayed

    counts = [delayed(analyze)(delayed(clean_split)(delayed(load)(f, errors))) for f in files]
    return delayed(top_k)(delayed(merge_counters)(counts), k)


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------


def write_table(path: str | Path, rows: Iterable[Sequence], header: Sequence[str]) -> None:
    """A small CSV, atomically."""
    import csv

    with atomic_write(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _records(chunk: tuple[list[str], list[int]]) -> list[dict]:
    words, counts = chunk
    return [{"word": w, "n": n} for w, n in zip(words, counts, strict=True)]


def write_frequencies(path: str | Path, table, npartitions: int = 1) -> None:
    """The full cleaned table (word, n), in its order, to Parquet through ``bag.to_dataframe``."""
    import dask.bag as db
    import pandas as pd

    words, counts = table["word"].to_pylist(), table["n"].to_pylist()
    step = max(1, -(-len(words) // max(1, npartitions)))
    chunks = [(words[i : i + step], counts[i : i + step]) for i in range(0, len(words), step)]
    meta = pd.DataFrame({"word": pd.Series([], dtype=object), "n": pd.Series([], dtype="int64")})
    if chunks:
        bag = db.from_sequence(chunks, npartitions=len(chunks)).map(_records).flatten()
        frame = bag.to_dataframe(meta=meta).compute().reset_index(drop=True)
    else:
        frame = meta
    frame["word"] = frame["word"].astype("string")
    with atomic_path(path, ".parquet") as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")


# ---------------------------------------------------------------------------------------------
# The task graph, drawn with networkx + matplotlib (no graphviz)
# ---------------------------------------------------------------------------------------------


def _key_label(key) -> str:
    name = key[0] if isinstance(key, tuple) else str(key)
    base = name.rsplit("-", 1)[0] if "-" in name else name
    part = f" {key[1]}" if isinstance(key, tuple) and len(key) > 1 else ""
    return f"{base}{part}"


def graph_of(collection):
    """The task graph of a dask collection as a networkx DiGraph (edges: dependency -> task)."""
    import networkx as nx
    from dask.core import get_dependencies

    dsk = dict(collection.__dask_graph__())
    g = nx.DiGraph()
    for key in dsk:
        g.add_node(key, label=_key_label(key))
        for dep in get_dependencies(dsk, key):
            g.add_edge(dep, key)
    return g


def cleaning_graph(files: Sequence[str], errors: str = "replace"):
    """The task graph of the lesson's cleaning chain up to its top-5, one partition per file."""
    top = cleaning_chain(files, errors).frequencies().topk(5, key=lambda x: x[1])
    return graph_of(top)


def canonical_graph(g):
    """A copy of ``g`` whose node ids and order depend only on its shape and labels.

    dask's keys carry tokens that can change between processes (lambdas are tokenized by
    identity), and a layered layout places nodes in insertion order: relabelling nodes
    0, 1, ... layer by layer, sorted by (label, ids of their dependencies), makes the drawing
    byte-identical from run to run.
    """
    import networkx as nx

    ids: dict = {}
    h = nx.DiGraph()
    for layer, nodes in enumerate(nx.topological_generations(g)):
        keyed = [
            ((g.nodes[n]["label"], sorted(ids[d] for d in g.predecessors(n))), n) for n in nodes
        ]
        for sort_key, node in sorted(keyed, key=lambda item: item[0]):
            ids[node] = len(ids)
            h.add_node(ids[node], label=sort_key[0], layer=layer)
    h.add_edges_from(sorted((ids[a], ids[b]) for a, b in g.edges))
    return h


def draw_graph(g, png: str | Path, svg: str | Path, title: str = "") -> None:
    """Layered drawing, bottom (inputs) to top (result), like ``dask.visualize``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = canonical_graph(g)
    pos = nx.multipartite_layout(g, subset_key="layer", align="horizontal")
    pos = {k: (x, y) for k, (x, y) in pos.items()}
    width = max(6.0, 1.6 * max(len(list(n)) for n in nx.topological_generations(g)))
    fig, ax = plt.subplots(
        figsize=(
            min(width, 40),
            1.2 * (g.nodes and max(d["layer"] for _, d in g.nodes(data=True)) + 2),
        )
    )
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=8, edge_color="#888888")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=300, node_color="#9ecae1")
    labels = {k: d["label"] for k, d in g.nodes(data=True)}
    nx.draw_networkx_labels(g, pos, labels, ax=ax, font_size=6)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    with atomic_path(png, ".png") as tmp:
        fig.savefig(tmp, dpi=120, metadata={"Software": None})
    with atomic_path(svg, ".svg") as tmp:
        plt.rcParams["svg.hashsalt"] = "sda"
        fig.savefig(tmp, metadata={"Date": None, "Creator": None})
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Benchmarks: ours vs the lesson's two baselines; the schedulers
# ---------------------------------------------------------------------------------------------

BENCH_FIELDS = ["method", "seconds", "peak_rss_mib", "ratio", "identical", "files", "mib", "cores"]
SCHEDULER_FIELDS = ["pipeline", "scheduler", "workers", "seconds", "identical", "files", "mib"]
METHODS = ("ours", "python", "lesson_bag")

_CHILD = """
import json, pickle, resource, sys, time
sys.path.insert(0, {scripts!r})
from sda.text import bench_child
bench_child(*json.loads(sys.argv[1]))
"""


def bench_child(
    method: str,
    files: list[str],
    errors: str,
    scheduler: str,
    workers: int,
    npartitions: int,
    files_per_task: int,
    out: str,
) -> None:
    """One timed run of ``method`` in this (fresh) process; pickles (seconds, rss, results)."""
    import pickle
    import resource
    import time

    import dask.bag  # noqa: F401  (imports are not part of any method's time)
    import pyarrow.compute  # noqa: F401

    from sda.daskutil import dask_scheduler

    start = time.perf_counter()
    if method == "ours":
        with dask_scheduler(scheduler, workers=workers):
            result = word_counts(files, errors, 10, npartitions, files_per_task)
        seconds = time.perf_counter() - start
        top, clean_map = result.raw_top, result.clean_dict()
    elif method == "python":
        top, clean_map = python_counts(files, errors)
        seconds = time.perf_counter() - start
    elif method == "lesson_bag":
        top, clean_map = lesson_counts(files, errors)
        seconds = time.perf_counter() - start
    else:
        raise ValueError(f"unknown method {method!r}")
    rss = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    with open(out, "wb") as fh:
        pickle.dump((seconds, rss * 1024, top, dict(clean_map)), fh)


def _run_child(args: list, scratch: Path):
    import json
    import pickle
    import subprocess
    import sys

    out = scratch / f"{args[0]}.pkl"
    code = _CHILD.format(scripts=str(Path(__file__).resolve().parents[1]))
    cmd = [sys.executable, "-c", code, json.dumps([*args, str(out)])]
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    if proc.stderr.strip():
        log.info("%s run, its stderr: %s", args[0], proc.stderr.strip()[-2000:])
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        if last.startswith("sda.io.InputError: "):  # a bad input: the same error, here
            raise InputError(last.removeprefix("sda.io.InputError: "))
        raise RuntimeError(f"{args[0]} run failed ({last})\n{proc.stderr[-4000:]}")
    with open(out, "rb") as fh:
        seconds, rss, top, clean_map = pickle.load(fh)
    out.unlink()
    return seconds, rss, top, clean_map


def bench_rows(
    files: Sequence[str],
    errors: str,
    scheduler: str,
    workers: int,
    npartitions: int,
    files_per_task: int,
    repeats: int,
    scratch: str | Path,
) -> list[dict]:
    """Ours vs plain Python vs the lesson's bag pipeline, each run in a fresh process,
    alternating, ``repeats`` times; medians, peak RSS, ratio to the faster baseline."""
    import statistics

    times: dict[str, list[float]] = {m: [] for m in METHODS}
    peaks: dict[str, int] = {m: 0 for m in METHODS}
    results: dict[str, tuple] = {}
    with scratch_dir(scratch) as scratch:
        for r in range(repeats):
            for method in METHODS:
                seconds, rss, top, clean_map = _run_child(
                    [method, list(files), errors, scheduler, workers, npartitions, files_per_task],
                    scratch,
                )
                log.info("repeat %d %s: %.3f s, peak RSS %.0f MiB", r, method, seconds, rss / 2**20)
                times[method].append(seconds)
                peaks[method] = max(peaks[method], rss)
                if r == 0:
                    results[method] = (top, clean_map)
    med = {m: statistics.median(t) for m, t in times.items()}
    fastest = min(med["python"], med["lesson_bag"])
    mib = sum(Path(f).stat().st_size for f in files) / 2**20
    rows = []
    for m in METHODS:
        same = results[m] == results["python"]
        rows.append(
            dict(
                method=m,
                seconds=f"{med[m]:.4g}",
                peak_rss_mib=f"{peaks[m] / 2**20:.0f}",
                ratio=f"{med[m] / fastest:.3f}",
                identical="yes" if same else "no",
                files=len(files),
                mib=f"{mib:.1f}",
                cores=workers,
            )
        )
    return rows


def scheduler_rows(
    files: Sequence[str], errors: str, workers: int, npartitions: int, files_per_task: int = 4
) -> list[dict]:
    """The same top-10 (the lesson's bag chain, and ours) on each scheduler, timed once each."""
    import time

    from sda.daskutil import dask_scheduler, process_workers

    rows = []
    reference = None
    mib = sum(Path(f).stat().st_size for f in files) / 2**20
    with naming_undecodable(files):
        for pipeline in ("lesson", "ours"):
            # Untimed warm-up: imports and first-call costs are not the scheduler's.
            with dask_scheduler("sync"):
                lesson_top10(files[:1], errors).compute()
                word_counts(files[:1], errors, 10, 1)
            for spec in ("sync", "threads", "processes", "local-cluster"):
                n = 1 if spec == "sync" else workers
                if spec in ("processes", "local-cluster"):
                    n = process_workers(n)  # what dask_scheduler starts: no more than the CPUs
                with dask_scheduler(spec, workers=n):
                    start = time.perf_counter()
                    if pipeline == "lesson":
                        top = lesson_top10(files, errors).compute()
                    else:
                        top = word_counts(files, errors, 10, npartitions, files_per_task).raw_top
                    seconds = time.perf_counter() - start
                top = [tuple(x) for x in top]
                reference = reference or top
                name = "distributed LocalCluster" if spec == "local-cluster" else spec
                log.info("%s on %s (%d workers): %.3f s", pipeline, name, n, seconds)
                rows.append(
                    dict(
                        pipeline=pipeline,
                        scheduler=name,
                        workers=n,
                        seconds=f"{seconds:.4g}",
                        identical="yes" if top == reference else "no",
                        files=len(files),
                        mib=f"{mib:.4g}",
                    )
                )
    return rows
