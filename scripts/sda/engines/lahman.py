"""Players per birth country: one ibis expression on SQLite, DuckDB and polars, and dask.

The Blaze idea of the lesson (one expression, many sources) as ibis has it today: the
expression of :mod:`sda.tables.lahman_ibis` is built once on the schema of ``Master`` and run
unchanged by ibis' SQLite backend on the database, and by its DuckDB and polars backends on the
Parquet copy of ``Master`` (rule ``lahman_parquet``). dask has no ibis backend: its count is
:func:`sda.tables.lahman_backends.dask_birth_country`, written for ``dask.dataframe``. Every
engine's result is the text of the CSV the rule ``lahman_queries`` writes (birth_country.csv), compared with
that file byte for byte.
"""

from __future__ import annotations

from sda.engines.check import Check
from sda.tables.lahman_ibis import MASTER, build, connect, frame_csv, sqlite_master

QUERY = "birth_country"


def _expression(db: str):
    con = connect(db)
    return con, build(QUERY, sqlite_master(con, db), db)


def sqlite_country(db: str) -> str:
    """ibis' SQLite backend on the database (SQLite runs a query on one thread)."""
    from sda.tables.lahman_ibis import to_frame

    con, expr = _expression(db)
    try:
        return frame_csv(to_frame(con, expr))
    finally:
        con.disconnect()


def _on_parquet(backend, db: str, parquet: str) -> str:
    from sda.io import InputError
    from sda.tables.lahman_ibis import to_frame

    sqlite, expr = _expression(db)  # the same expression object, built on SQLite's schema
    try:
        try:
            backend.read_parquet(str(parquet), table_name=MASTER)
        except Exception as exc:  # each backend raises its own error type
            raise InputError(f"{parquet}: not a readable Parquet file ({exc})") from None
        return frame_csv(to_frame(backend, expr))
    finally:
        sqlite.disconnect()
        backend.disconnect()


def duckdb_country(db: str, parquet: str, threads: int) -> str:
    """ibis' DuckDB backend on the Parquet copy of ``Master``."""
    import ibis

    return _on_parquet(ibis.duckdb.connect(threads=threads), db, parquet)


def polars_country(db: str, parquet: str) -> str:
    """ibis' polars backend on the Parquet copy of ``Master`` (threads: POLARS_MAX_THREADS)."""
    import ibis

    return _on_parquet(ibis.polars.connect(), db, parquet)


def dask_country(parquet: str, threads: int) -> str:
    """``dask.dataframe.read_parquet`` and ``value_counts`` on dask's threads."""
    from sda.scheduler import dask_scheduler
    from sda.tables.lahman_backends import dask_birth_country

    with dask_scheduler("threads", workers=threads):
        return frame_csv(dask_birth_country(parquet))


def reference(path: str) -> str:
    from sda.io import InputError

    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def compare(got: str, want: str) -> Check:
    """Byte for byte; the first differing line in the note."""
    if got == want:
        return Check(True, 0.0, True)
    from sda.tables.lahman_backends import first_difference

    return Check(False, float("nan"), False, first_difference(got, want))
