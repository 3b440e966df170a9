"""``dask.delayed``, the lesson's "imperative" section: load -> clean -> analyze -> top_k."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sda.text.words import clean, read_text, top_k


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
