"""The full cleaned frequency table to Parquet, through ``dask.bag`` (the lesson's
``bag.to_dataframe``)."""

from __future__ import annotations

from pathlib import Path

from sda.io import atomic_path


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
