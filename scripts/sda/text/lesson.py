"""The lesson's code: its ``dask.bag`` word count, as analyses and as benchmark baselines,
and the plain-Python count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sda.text.words import PUNCT_TABLE, naming_undecodable, read_text, top_k


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
