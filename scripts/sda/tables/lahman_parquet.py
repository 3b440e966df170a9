"""odo's part of the lesson: a table of the SQLite database, copied to a Parquet file.

The lesson's ``odo('sqlite:///lahman2013.sqlite::Master', 'master.csv')`` moved a table
between formats. Here :func:`export_table` copies one table or view of an SQLite file to
Parquet, with each column's type read from the values it holds
(:func:`sda.tables.lahman_sqlite.column_types`): integers stay 64-bit integers, with or without NULLs, reals
are doubles, text is UTF-8 strings; a NULL stays a null. The values go from ``sqlite3`` straight
into Arrow arrays (no float detour, so every integer is exact), in the database's row order.

The file's bytes depend only on the data (the same database gives the same bytes): no
timestamps or paths are written, only the table's name and the pyarrow version that
Parquet's ``created_by`` always records. After writing, the file is read back and compared with
what was exported; a mismatch fails the export.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sda.io import InputError, atomic_path
from sda.tables.lahman_sqlite import column_types, open_db, quote, relations

ARROW_TYPES = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "binary": pa.binary(),
}
# Fixed writer settings: the bytes must not depend on library defaults changing under us.
PARQUET_OPTIONS = dict(
    compression="zstd",
    compression_level=3,
    use_dictionary=True,
    write_statistics=True,
    row_group_size=1 << 20,
    data_page_version="1.0",
)


def _as_string(v):
    return v if v is None or isinstance(v, str) else str(v)


def _as_bool(v):
    return v if v is None else bool(v)  # SQLite has no booleans: 0 and 1


def arrow_table(schema: pa.Schema, rows: Sequence[Sequence]) -> pa.Table:
    """Rows of Python values from ``sqlite3`` as an Arrow table of ``schema``, exactly.

    Each value goes into its Arrow array as it is (an integer never passes through a float);
    a text column that also holds numbers gets them as text (``str``), a boolean column
    SQLite's 0/1 as False/True.
    """
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = []
    for values, field in zip(columns, schema, strict=True):
        if pa.types.is_string(field.type):
            values = [_as_string(v) for v in values]
        elif pa.types.is_boolean(field.type):
            values = [_as_bool(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def sqlite_to_arrow(path: str | Path, table: str) -> pa.Table:
    """Every row of ``table`` in the SQLite file at ``path``, as an Arrow table."""
    conn = open_db(path)
    try:
        types = column_types(conn, path, table)
        name = {n.lower(): n for n in relations(conn)}[table.lower()]
        try:
            rows = conn.execute(f"SELECT * FROM {quote(name)}").fetchall()
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{path}: table {table!r} cannot be read ({exc})") from None
    finally:
        conn.close()
    schema = pa.schema(
        [pa.field(col, ARROW_TYPES[kind]) for col, kind in types.items()],
        metadata={"sda.source_table": name},
    )
    return arrow_table(schema, rows)


def write_parquet(table: pa.Table, out: str | Path) -> None:
    """Write ``table`` to ``out`` atomically with :data:`PARQUET_OPTIONS`; check it reads back."""
    with atomic_path(out, suffix=".parquet") as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)
        back = pq.read_table(tmp)
        if not back.equals(table, check_metadata=True):
            raise RuntimeError(f"{out}: the Parquet file does not read back as written")


def export_table(path: str | Path, table: str, out: str | Path) -> dict:
    """Copy ``table`` of the SQLite file ``path`` to the Parquet file ``out``; a summary."""
    arrow = sqlite_to_arrow(path, table)
    write_parquet(arrow, out)
    return dict(
        table=table,
        rows=arrow.num_rows,
        columns={f.name: str(f.type) for f in arrow.schema},
        nulls={f.name: arrow.column(i).null_count for i, f in enumerate(arrow.schema)},
    )
