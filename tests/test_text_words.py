"""sda.text.words: the ranking of counts, and the ASCII cleaning that pyarrow does as Python would."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from oracles import clean_text
from sda.text.words import PUNCT_RE, top_k


def test_tie_order_is_count_then_word():
    assert top_k({"b": 2, "a": 2, "c": 3, "d": 1}, 3) == [("c", 3), ("a", 2), ("b", 2)]
    assert top_k([("z", 1), ("y", 1)], 5) == [("y", 1), ("z", 1)]


def test_arrow_ascii_cleaning_equals_python():
    tokens = [chr(i) + chr(j) for i in range(0x21, 0x7F) for j in range(0x21, 0x7F)]
    arr = pa.array(tokens, pa.large_string())
    got = pc.ascii_lower(pc.replace_substring_regex(arr, PUNCT_RE, "")).to_pylist()
    assert got == [clean_text(t) for t in tokens]
    # pyarrow's ASCII whitespace is a subset of Python's (the rest is re-split in Python).
    split = pc.ascii_split_whitespace(pa.array(["a" + chr(i) + "b" for i in range(128)]))
    cut = {i for i, parts in enumerate(split.to_pylist()) if len(parts) == 2}
    assert cut == {9, 10, 11, 12, 13, 32} < {i for i in range(128) if chr(i).isspace()}
