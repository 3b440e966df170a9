"""sda.text.parquet: the word frequencies as Parquet, the same bytes however partitioned."""

from __future__ import annotations

import dask

from oracles import expected_counts
from sda.text.count import word_counts
from sda.text.parquet import write_frequencies


def test_frequencies_parquet_is_deterministic(synthetic_corpus, tmp_path):
    synthetic = synthetic_corpus()
    import pandas as pd

    with dask.config.set(scheduler="sync"):
        table = word_counts(synthetic, npartitions=2).clean_table()
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_frequencies(a, table, npartitions=3)
    write_frequencies(b, table, npartitions=1)
    assert a.read_bytes() == b.read_bytes()
    frame = pd.read_parquet(a)
    assert list(frame.columns) == ["word", "n"]
    assert dict(zip(frame["word"], frame["n"], strict=True)) == dict(expected_counts(synthetic)[1])
