"""Blaze's "many sources": the same ibis expressions run on SQLite and on DuckDB over Parquet.

The expressions of :mod:`sda.tables.lahman_ibis` are built once, on an unbound ``Master`` table, and
the *same objects* are executed by two backends: ibis' SQLite backend on the database, and its
DuckDB backend on the Parquet copy of ``Master`` (:mod:`sda.tables.lahman_parquet`), registered under
the same name. The count by country also runs a third way, written for
``dask.dataframe.read_parquet`` (ibis has no dask backend): the lesson's other tool.

Each result is judged by the text it would write: the CSV of every backend is compared, byte
for byte, with the query's output file from the SQLite rule. :func:`compare_backends` returns
one row per query and backend (``query, backend, rows, seconds, identical``);
:func:`check_identical` raises if any backend disagrees, naming the first differing line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import dask.dataframe as dd
import ibis
import pandas as pd
import pyarrow.parquet as pq

from sda.io import InputError, atomic_write
from sda.measure.timing import warm_median
from sda.tables.lahman_ibis import (
    EXPRESSIONS,
    MASTER,
    NULL_LABEL,
    build,
    connect,
    frame_csv,
    sqlite_master,
    to_frame,
)

log = logging.getLogger(__name__)

COLUMNS = ["query", "backend", "rows", "seconds", "identical"]


def duckdb_connect(parquet: str | Path, threads: int = 1):
    """An in-memory DuckDB backend with the Parquet file as table ``Master``."""
    con = ibis.duckdb.connect(threads=threads)
    try:
        con.read_parquet(str(parquet), table_name=MASTER)
    except Exception as exc:  # duckdb raises its own IOException / InvalidInputException
        con.disconnect()
        raise InputError(f"{parquet}: not a readable Parquet file ({exc})") from None
    return con


def dask_birth_country(parquet: str | Path) -> pd.DataFrame:
    """The count by country with ``dask.dataframe.read_parquet``, in the expression's layout."""
    col = dd.read_parquet(str(parquet), columns=["birthCountry"])["birthCountry"]
    counts = col.value_counts(dropna=False).compute()
    is_null = [bool(pd.isna(k)) for k in counts.index]
    table = pd.DataFrame(
        {
            "birthCountry": [
                NULL_LABEL if null else str(k)
                for k, null in zip(counts.index, is_null, strict=True)
            ],
            "players": pd.array(counts.to_numpy(), dtype="Int64"),
            "is_null": pd.array(is_null, dtype="boolean"),
        }
    )
    order = ["players", "birthCountry", "is_null"]
    table = table.sort_values(order, ascending=[False, True, True], kind="stable")
    return table.reset_index(drop=True)


def first_difference(got: str, expected: str) -> str:
    """Where two CSV texts first differ, for the error message."""
    a, b = got.splitlines(), expected.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            return f"line {i}: {x!r} instead of {y!r}"
    return f"{len(a)} lines instead of {len(b)}"


def compare_backends(
    db: str | Path,
    parquet: str | Path,
    expected: Mapping[str, str | Path],
    repeats: int = 3,
    threads: int = 1,
) -> pd.DataFrame:
    """Run every expression on each backend and compare its CSV with ``expected[query]``.

    ``expected`` maps each query of :data:`sda.tables.lahman_ibis.EXPRESSIONS` to the file the
    SQLite rule wrote. The Parquet schema must be the schema of ``Master`` in ``db``: the
    expressions are built once, on that schema, and run unchanged on every backend.
    """
    sqlite = connect(db)
    try:
        master = sqlite_master(sqlite, db)
        exprs = {query: build(query, master, db) for query in EXPRESSIONS}
        try:
            schema = ibis.Schema.from_pyarrow(pq.read_schema(parquet))
        except Exception as exc:
            raise InputError(f"{parquet}: not a readable Parquet file ({exc})") from None
        if schema != master.schema():
            raise InputError(
                f"{parquet}: columns {dict(schema.items())} differ from {MASTER} in {db} "
                f"{dict(master.schema().items())}"
            )
        duck = duckdb_connect(parquet, threads)
        runs: dict[str, dict[str, Callable[[], pd.DataFrame]]] = {
            query: {
                "sqlite": lambda e=expr: to_frame(sqlite, e),
                "duckdb": lambda e=expr: to_frame(duck, e),
            }
            for query, expr in exprs.items()
        }
        runs["birth_country"]["dask"] = lambda: dask_birth_country(parquet)
        rows = []
        try:
            for query, backends in runs.items():
                want = Path(expected[query]).read_text(encoding="utf-8")
                for backend, run in backends.items():
                    frame, seconds = warm_median(run, repeats)
                    got = frame_csv(frame)
                    same = got == want
                    if not same:
                        log.error(
                            "%s on %s differs from %s: %s",
                            query,
                            backend,
                            expected[query],
                            first_difference(got, want),
                        )
                    rows.append(
                        dict(
                            query=query,
                            backend=backend,
                            rows=len(frame),
                            seconds=round(seconds, 6),
                            identical="yes" if same else "no",
                        )
                    )
        finally:
            duck.disconnect()
    finally:
        sqlite.disconnect()
    return pd.DataFrame(rows, columns=COLUMNS)


def check_identical(table: pd.DataFrame, what: str = "backends") -> None:
    """Raise if a backend's result differs from SQLite's (the rows of ``identical == "no"``)."""
    bad = table[table["identical"] != "yes"]
    if len(bad):
        which = ", ".join(f"{r.query} on {r.backend}" for r in bad.itertuples())
        raise RuntimeError(f"{what}: results differ from SQLite's: {which}")


def write_backends(out: str | Path, table: pd.DataFrame) -> None:
    with atomic_write(out, "w", encoding="utf-8", newline="") as fh:
        fh.write(frame_csv(table))
