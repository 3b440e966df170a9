"""The lesson's Blaze queries on the Lahman database, as ibis expressions.

The lesson wrote (Blaze, 2016)::

    db = Data('sqlite:///lahman2013.sqlite')
    db.fields
    db.Master.head(n=3)
    master = db.Master
    by(master.birthCountry, n=master.birthCountry.count()).sort('n', ascending=False).head(5)

Blaze is gone; ibis is the maintained library with its idea: a lazy dataframe expression that
each backend compiles to its own SQL. :func:`master_head_expr` and :func:`birth_country_expr`
build those expressions from a table ``master``, and nothing in them names a backend.

They are built on an *unbound* table (:func:`master_table`): a name and a schema, no
connection. ``con.execute(expr)`` then runs the same expression object on any backend that has
a table of that name: SQLite here, DuckDB over Parquet in :mod:`sda.tables.lahman_backends`. The
schema comes from the values the database holds (:func:`sda.tables.lahman_sqlite.column_types`), not from
its declared column types, so a user's database (``lahman2013.sqlite``, whose ``Master`` is a
table) gives the same columns and values as ``sqlite3`` would.

:func:`table_names`, :func:`master_head` and :func:`birth_country` are the rules' queries on a
database file; errors raise :class:`sda.io.InputError` naming the file and the missing table or
column, before ibis sees the database. :func:`write_lines` and :func:`write_table` write their
results (:func:`frame_csv`: the CSV text every backend's result is compared by).
"""

from __future__ import annotations

import contextlib
import inspect
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from sda.io import InputError, atomic_write
from sda.tables.lahman_parquet import arrow_table
from sda.tables.lahman_sqlite import column_types, open_db

MASTER = "Master"
NULL_LABEL = "(null)"


# --- the lesson's expressions -----------------------------------------------------------------


def master_head_expr(master: ibis.Table, n: int = 3) -> ibis.Table:
    """``db.Master.head(n=3)``: the first rows of Master, by playerID (SQL rows have no order)."""
    return master.order_by("playerID").head(n)


def birth_country_expr(master: ibis.Table) -> ibis.Table:
    """``by(master.birthCountry, n=...count()).sort('n', ascending=False)``, every country.

    Players are counted per country with ``count()`` of rows, so players with no country
    recorded are a group too: labelled ``(null)``, with ``is_null`` telling it from a country of
    that name. Ties are ordered by name.
    """
    counts = master.group_by("birthCountry").agg(players=master.count())
    return counts.mutate(
        birthCountry=counts.birthCountry.fill_null(NULL_LABEL),
        is_null=counts.birthCountry.isnull(),
    ).order_by([ibis.desc("players"), "birthCountry", "is_null"])


# Query name -> (the expression's builder, the columns of Master it needs, the lesson's code).
EXPRESSIONS: dict[str, tuple[Callable[[ibis.Table], ibis.Table], tuple[str, ...], str]] = {
    "master_head": (master_head_expr, ("playerID",), "db.Master.head(n=3)"),
    "birth_country": (
        birth_country_expr,
        ("birthCountry",),
        "by(master.birthCountry, n=master.birthCountry.count()).sort('n', ascending=False).head(5)",
    ),
}
LIST_TABLES = ("db.fields", "sorted(con.list_tables())")  # the lesson's code, ours


def master_table(schema: ibis.Schema | dict[str, str]) -> ibis.Table:
    """An unbound table named ``Master`` with ``schema``: the input of every expression."""
    return ibis.table(schema, name=MASTER)


def build(query: str, master: ibis.Table, path: str | Path = MASTER, **kwargs) -> ibis.Table:
    """The expression of ``query`` over ``master``; a missing column raises InputError."""
    builder, needs, _ = EXPRESSIONS[query]
    have = {c.lower(): c for c in master.columns}
    for col in needs:
        if col not in master.columns:
            hint = f" (there is {have[col.lower()]!r})" if col.lower() in have else ""
            raise InputError(f"{path}: table {MASTER!r} has no column {col!r}{hint}")
    return builder(master, **kwargs)


def source(query: str) -> str:
    """The Python source of the expression of ``query``, as the report shows it."""
    return inspect.getsource(EXPRESSIONS[query][0])


def to_sql(expr: ibis.Expr, dialect: str = "sqlite") -> str:
    """The SQL that ibis compiles ``expr`` to for ``dialect``."""
    return str(ibis.to_sql(expr, dialect=dialect))


# --- running on SQLite ------------------------------------------------------------------------

# Result columns as pandas' nullable dtypes: an integer column with NULLs stays integer, as
# ``pd.read_sql_query(..., dtype_backend="numpy_nullable")`` gives them.
_NULLABLE = {
    pa.int64(): pd.Int64Dtype(),
    pa.float64(): pd.Float64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
}


def to_arrow(con, expr: ibis.Table) -> pa.Table:
    """Run ``expr`` on the backend ``con``; the result as Arrow.

    On SQLite the rows go from the cursor straight into Arrow: ibis' SQLite backend builds its
    result through ``pandas.DataFrame.from_records(coerce_float=True)``, which rounds integers
    above 2**53 in a column with NULLs to the nearest float. The SQL is still ibis' own.
    """
    if con.name == "sqlite":
        with contextlib.closing(con.raw_sql(con.compile(expr))) as cur:
            rows = cur.fetchall()
        return arrow_table(expr.as_table().schema().to_pyarrow(), rows)
    return con.to_pyarrow(expr)


def to_frame(con, expr: ibis.Table) -> pd.DataFrame:
    """Run ``expr`` on the backend ``con``; the result with nullable dtypes."""
    return to_arrow(con, expr).to_pandas(types_mapper=_NULLABLE.get)


def connect(path: str | Path):
    """An ibis SQLite backend on a read-only connection to ``path`` (never creates the file)."""
    return ibis.sqlite.from_connection(open_db(path))


def sqlite_master(con, path: str | Path) -> ibis.Table:
    """The unbound ``Master`` table, typed from the values in the database at ``path``."""
    return master_table(column_types(con.con, path, MASTER))


def run_query(path: str | Path, query: str, **kwargs) -> pd.DataFrame:
    """One of :data:`EXPRESSIONS` on the SQLite database at ``path``."""
    con = connect(path)
    try:
        expr = build(query, sqlite_master(con, path), path, **kwargs)
        try:
            return to_frame(con, expr)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{path}: query {query} failed ({exc})") from None
    finally:
        con.disconnect()


def is_internal(name: str) -> bool:
    """SQLite's own tables (``sqlite_sequence``, ``sqlite_stat1``): the pattern ``sqlite_%``
    of ``NOT LIKE`` (any one character after ``sqlite``, ASCII case ignored)."""
    return len(name) > len("sqlite") and name[:6].lower() == "sqlite"


def table_names(path: str | Path) -> list[str]:
    """The lesson's ``db.fields``: every table and view of the database, sorted."""
    con = connect(path)
    try:
        return sorted(n for n in con.list_tables() if not is_internal(n))
    finally:
        con.disconnect()


def master_head(path: str | Path, n: int = 3) -> pd.DataFrame:
    """The first ``n`` rows of ``Master`` ordered by ``playerID``, every column."""
    return run_query(path, "master_head", n=n)


def birth_country(path: str | Path) -> pd.DataFrame:
    """Players per ``birthCountry``: count descending, then name; NULL is its own group."""
    return run_query(path, "birth_country")


def expressions_listing(path: str | Path, dialects: Sequence[str] = ("sqlite", "duckdb")) -> dict:
    """Every query as the lesson wrote it, as our ibis source, and as the SQL ibis compiles
    for each of ``dialects`` (on the ``Master`` of the database at ``path``)."""
    con = connect(path)
    try:
        master = sqlite_master(con, path)
    finally:
        con.disconnect()
    queries = [{"query": "tables", "lesson": LIST_TABLES[0], "source": LIST_TABLES[1], "sql": {}}]
    for query, (_, _, lesson) in EXPRESSIONS.items():
        expr = build(query, master, path)
        queries.append(
            {
                "query": query,
                "lesson": lesson,
                "source": source(query),
                "sql": {d: to_sql(expr, d) for d in dialects},
            }
        )
    return {"ibis": ibis.__version__, "table": MASTER, "queries": queries}


# --- writing results --------------------------------------------------------------------------


def frame_csv(frame: pd.DataFrame) -> str:
    """The CSV text of a result table: a header, no index, NULL as an empty field."""
    return frame.to_csv(index=False, lineterminator="\n")


def write_lines(path: str | Path, lines: Iterable[str]) -> None:
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(f"{line}\n" for line in lines)


def write_table(path: str | Path, frame: pd.DataFrame) -> None:
    """The result table as :func:`frame_csv` text, in UTF-8."""
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(frame_csv(frame))
