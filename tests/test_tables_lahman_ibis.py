"""Unit tests of the Lahman queries as ibis expressions, the Parquet export and the backends.

Every expected value is computed independently: with sqlite3 on the database, with
collections.Counter, or by reading the Parquet file with pyarrow.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_tables_lahman_build import sql_as_csv

from conftest import make_sqlite, sqlite_relations
from sda.io import InputError
from sda.tables.lahman_backends import (
    check_identical,
    compare_backends,
    dask_birth_country,
)
from sda.tables.lahman_ibis import (
    EXPRESSIONS,
    birth_country,
    build,
    expressions_listing,
    frame_csv,
    master_head,
    master_table,
    table_names,
    write_table,
)
from sda.tables.lahman_parquet import export_table
from sda.tables.lahman_sqlite import column_types, open_db, value_type

# A user database in the lesson's layout, with what SQLite allows and Lahman files contain:
# NULLs in integer columns, a REAL column, a DATETIME column holding text, an untyped column
# mixing numbers and text, a country literally named "(null)", ties in the counts.
MASTER_ROWS = [
    ("d01", 1980, "USA", 180.0, "2001-04-01", 5, None),
    ("a01", None, None, 200.5, None, "x", None),
    ("c01", 1975, "CAN", None, "1999-01-02", 2.5, None),
    ("b01", 2**60 + 1, "USA", 190.25, "2010-06-03", None, None),
    ("e01", 1990, "(null)", 170.0, "2011-07-04", 7, None),
    ("f01", 1991, "D.R.", 171.0, "2012-08-05", 8, None),
    ("g01", 1992, None, 172.0, "2013-09-06", 9, None),
]


def make_user_db(path, rows=MASTER_ROWS):
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE Master (playerID TEXT, birthYear INTEGER, birthCountry TEXT, "
        "weight REAL, debut DATETIME, misc, unused INTEGER)"
    )
    conn.executemany("INSERT INTO Master VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("CREATE TABLE Batting (playerID TEXT, yearID INTEGER)")
    conn.execute("CREATE VIEW Tall AS SELECT playerID FROM Master WHERE weight > 180")
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def user_db(tmp_path):
    return make_user_db(tmp_path / "lahman2013.sqlite")


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def sql_birth_country(conn) -> list[list[str]]:
    return [["birthCountry", "players", "is_null"]] + [
        [c, str(n), z]
        for c, n, z in conn.execute(
            "SELECT COALESCE(birthCountry, '(null)') AS c, count(*) AS n, "
            "CASE WHEN birthCountry IS NULL THEN 'True' ELSE 'False' END AS z "
            "FROM Master GROUP BY birthCountry ORDER BY n DESC, c, z"
        )
    ]


# --- types from values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "classes, declared, expected",
    [
        (["integer", "null"], "INTEGER", "int64"),
        (["integer"], "", "int64"),
        (["integer", "real"], "INTEGER", "float64"),
        (["real"], "TEXT", "float64"),
        (["text"], "DATETIME", "string"),
        (["integer", "text"], "", "string"),
        (["blob"], "", "binary"),
        (["null"], "BIGINT", "int64"),
        ([], "DOUBLE PRECISION", "float64"),
        (["null"], "VARCHAR(20)", "string"),
        ([""], "", "string"),
        ([""], "INTEGER", "int64"),
    ],
)
def test_value_type(classes, declared, expected):
    assert value_type(classes, declared) == expected


def test_column_types_come_from_the_values(user_db):
    conn = open_db(user_db)
    types = column_types(conn, user_db, "master")  # table names match case-insensitively
    conn.close()
    assert types == {
        "playerID": "string",
        "birthYear": "int64",
        "birthCountry": "string",
        "weight": "float64",
        "debut": "string",
        "misc": "string",
        "unused": "int64",
    }


# --- the expressions on SQLite ----------------------------------------------------------------


def test_queries_equal_sql_on_a_user_database(user_db, tmp_path):
    assert table_names(user_db) == sqlite_relations(user_db)
    conn = sqlite3.connect(user_db)
    out = tmp_path / "head.csv"
    write_table(out, master_head(user_db))
    with open(out, newline="") as fh:
        got = list(csv.reader(fh))
    assert got == sql_as_csv(conn.execute("SELECT * FROM Master ORDER BY playerID LIMIT 3"))
    assert got[2][1] == str(2**60 + 1)  # an integer beyond float precision, exact
    assert csv_rows(frame_csv(birth_country(user_db))) == sql_birth_country(conn)
    head5 = csv_rows(frame_csv(master_head(user_db, n=5)))
    assert head5 == sql_as_csv(conn.execute("SELECT * FROM Master ORDER BY playerID LIMIT 5"))
    conn.close()


def test_birth_country_counts_rows_per_country(user_db):
    got = birth_country(user_db)
    counts = Counter(r[2] for r in MASTER_ROWS)
    expected = sorted(
        (("(null)" if c is None else c, n, c is None) for c, n in counts.items()),
        key=lambda t: (-t[1], t[0], t[2]),
    )
    assert list(got.itertuples(index=False, name=None)) == expected
    # the NULL group (2 players) and the country named "(null)" (1) are two rows
    assert [(c, n, z) for c, n, z in expected if c == "(null)"] == [
        ("(null)", 2, True),
        ("(null)", 1, False),
    ]
    assert expected[0] == ("(null)", 2, True) and got["players"].sum() == len(MASTER_ROWS)


def test_tables_skip_sqlite_internal_tables(tmp_path):
    db = tmp_path / "auto.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE Master (id INTEGER PRIMARY KEY AUTOINCREMENT, playerID TEXT)")
    conn.execute("INSERT INTO Master (playerID) VALUES ('a')")
    conn.execute("CREATE TABLE zeta (x)")
    conn.execute("ANALYZE")
    conn.commit()
    assert {"sqlite_sequence", "sqlite_stat1"} <= {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master")
    }
    conn.close()
    assert table_names(db) == ["Master", "zeta"]


def test_the_same_expression_runs_on_duckdb(user_db, tmp_path):
    """One expression object, built once on the unbound table, executed by two backends."""
    conn = open_db(user_db)
    master = master_table(column_types(conn, user_db, "Master"))
    conn.close()
    expr = build("birth_country", master, user_db)
    sqlite = ibis.sqlite.connect(user_db)
    duck = ibis.duckdb.connect()
    export_table(user_db, "Master", tmp_path / "m.parquet")
    duck.read_parquet(str(tmp_path / "m.parquet"), table_name="Master")
    a, b = sqlite.execute(expr), duck.execute(expr)
    assert a.to_dict("records") == b.to_dict("records")
    assert ibis.to_sql(expr, dialect="sqlite") != ibis.to_sql(expr, dialect="duckdb")


def test_expressions_listing_sql_runs_on_sqlite(user_db):
    """The SQL shown in the report, run with sqlite3 itself, gives the query's rows."""
    listing = expressions_listing(user_db)
    by_query = {q["query"]: q for q in listing["queries"]}
    assert set(by_query) == {"tables", *EXPRESSIONS}
    conn = sqlite3.connect(user_db)
    head = conn.execute(by_query["master_head"]["sql"]["sqlite"])
    assert sql_as_csv(head) == csv_rows(frame_csv(master_head(user_db)))
    rows = conn.execute(by_query["birth_country"]["sql"]["sqlite"]).fetchall()
    assert [[c, str(n), str(bool(z))] for c, n, z in rows] == sql_birth_country(conn)[1:]
    conn.close()
    assert "group_by" in by_query["birth_country"]["source"]
    assert by_query["master_head"]["lesson"] == "db.Master.head(n=3)"
    assert "LIMIT 3" in by_query["master_head"]["sql"]["duckdb"]


# --- bad input --------------------------------------------------------------------------------


def test_no_master_relation(tmp_path):
    db = make_sqlite(
        tmp_path / "people_only.sqlite", "CREATE TABLE People (playerID TEXT, birthCountry TEXT)"
    )
    for call in (master_head, birth_country, expressions_listing):
        with pytest.raises(InputError, match=f"{db}: no table or view 'Master' \\(has: People\\)"):
            call(db)
    with pytest.raises(InputError, match=f"{db}: no table or view 'Batting'"):
        export_table(db, "Batting", tmp_path / "b.parquet")
    assert not (tmp_path / "b.parquet").exists()


def test_missing_column_is_named(tmp_path):
    db = make_sqlite(
        tmp_path / "user.sqlite", "CREATE TABLE Master (playerid TEXT, nameFirst TEXT)"
    )
    with pytest.raises(InputError, match=f"{db}: table 'Master' has no column 'birthCountry'$"):
        birth_country(db)
    with pytest.raises(InputError, match=r"no column 'playerID' \(there is 'playerid'\)"):
        master_head(db)


def test_corrupt_or_missing_database(tmp_path):
    db = tmp_path / "broken.sqlite"
    db.write_bytes(b"SQLite format 2\x00" + b"\x13" * 2000)
    for call in (table_names, master_head, birth_country):
        with pytest.raises(InputError, match=f"{db}: not a readable SQLite database"):
            call(db)
    with pytest.raises(InputError, match=f"{db}: not a readable SQLite database"):
        export_table(db, "Master", tmp_path / "m.parquet")
    missing = tmp_path / "nothing.sqlite"
    with pytest.raises(InputError, match=f"{missing}: missing SQLite database file"):
        table_names(missing)
    assert not missing.exists()


def test_view_over_a_dropped_table(tmp_path):
    db = make_sqlite(
        tmp_path / "stale.sqlite",
        "CREATE TABLE People (playerID TEXT, birthCountry TEXT)",
        "CREATE VIEW Master AS SELECT * FROM People",
        "DROP TABLE People",
    )
    with pytest.raises(InputError, match=f"{db}: table 'Master' cannot be read"):
        birth_country(db)


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_round_trip_types_nulls_rows(user_db, tmp_path):
    out = tmp_path / "parquet" / "Master.parquet"
    info = export_table(user_db, "Master", out)
    table = pq.read_table(out)
    assert table.num_rows == len(MASTER_ROWS) == info["rows"]
    assert table.schema.types == [
        pa.string(),
        pa.int64(),
        pa.string(),
        pa.float64(),
        pa.string(),
        pa.string(),
        pa.int64(),
    ]
    conn = sqlite3.connect(user_db)
    names = [r[1] for r in conn.execute("PRAGMA table_info(Master)")]
    assert table.column_names == names
    for name in names:
        nulls = conn.execute(f"SELECT count(*) - count({name}) FROM Master").fetchone()[0]
        assert table.column(name).null_count == nulls, name
    stored = conn.execute("SELECT * FROM Master").fetchall()
    conn.close()
    got = [tuple(r.values()) for r in table.to_pylist()]
    # SQLite's own values, except the mixed column, which holds text ("5", "x", "2.5").
    expected = [(*r[:5], None if r[5] is None else str(r[5]), r[6]) for r in stored]
    assert got == expected
    assert got[3][1] == 2**60 + 1 and isinstance(got[0][3], float)


def test_parquet_bytes_are_deterministic(user_db, tmp_path):
    a, b = tmp_path / "a" / "Master.parquet", tmp_path / "b" / "Master.parquet"
    export_table(user_db, "Master", a)
    export_table(user_db, "master", b)
    assert a.read_bytes() == b.read_bytes()
    changed = make_user_db(tmp_path / "other.sqlite", MASTER_ROWS[:-1])
    export_table(changed, "Master", tmp_path / "c.parquet")
    assert (tmp_path / "c.parquet").read_bytes() != a.read_bytes()


def test_parquet_of_a_view_and_of_an_empty_table(user_db, tmp_path):
    export_table(user_db, "Tall", tmp_path / "tall.parquet")
    tall = pq.read_table(tmp_path / "tall.parquet")
    assert sorted(tall.column("playerID").to_pylist()) == sorted(
        r[0] for r in MASTER_ROWS if r[3] is not None and r[3] > 180
    )
    export_table(user_db, "Batting", tmp_path / "batting.parquet")
    batting = pq.read_table(tmp_path / "batting.parquet")
    assert batting.num_rows == 0 and batting.schema.types == [pa.string(), pa.int64()]


# --- backends ---------------------------------------------------------------------------------


def query_files(db, where):
    files = {}
    for query, run in (("master_head", master_head), ("birth_country", birth_country)):
        files[query] = where / f"{query}.csv"
        write_table(files[query], run(db))
    return files


def expected_identical(parquet, db) -> dict[tuple[str, str], str]:
    """Computed without the workflow's code: Counter and sorted rows, Parquet vs sqlite3."""
    rows = pq.read_table(parquet).to_pylist()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    stored = [dict(r) for r in conn.execute("SELECT * FROM Master")]
    conn.close()
    same_counts = Counter(r["birthCountry"] for r in rows) == Counter(
        r["birthCountry"] for r in stored
    )

    def first3(rs):
        return sorted(rs, key=lambda r: r["playerID"])[:3]

    # the mixed column is text in Parquet: compare it as text
    def norm(rs):
        return [
            {k: (str(v) if k == "misc" and v is not None else v) for k, v in r.items()} for r in rs
        ]

    same_head = norm(first3(rows)) == norm(first3(stored))
    yes = {True: "yes", False: "no"}
    return {
        ("master_head", "sqlite"): "yes",
        ("master_head", "duckdb"): yes[same_head],
        ("birth_country", "sqlite"): "yes",
        ("birth_country", "duckdb"): yes[same_counts],
        ("birth_country", "dask"): yes[same_counts],
    }


def test_backends_agree_on_a_faithful_copy(user_db, tmp_path):
    parquet = tmp_path / "Master.parquet"
    export_table(user_db, "Master", parquet)
    table = compare_backends(user_db, parquet, query_files(user_db, tmp_path), repeats=2)
    assert table.columns.tolist() == ["query", "backend", "rows", "seconds", "identical"]
    got = {(r.query, r.backend): r.identical for r in table.itertuples()}
    assert got == expected_identical(parquet, user_db)
    assert set(got.values()) == {"yes"}
    rows = {(r.query, r.backend): r.rows for r in table.itertuples()}
    countries = len(Counter(r[2] for r in MASTER_ROWS))
    assert rows == {
        ("master_head", "sqlite"): 3,
        ("master_head", "duckdb"): 3,
        ("birth_country", "sqlite"): countries,
        ("birth_country", "duckdb"): countries,
        ("birth_country", "dask"): countries,
    }
    assert (table["seconds"] > 0).all()
    check_identical(table)  # does not raise


@pytest.mark.parametrize(
    "tamper",
    ["drop_last_row", "rename_country", "change_first_name"],
)
def test_backends_fail_on_a_parquet_that_disagrees(user_db, tmp_path, tamper):
    parquet = tmp_path / "Master.parquet"
    export_table(user_db, "Master", parquet)
    table = pq.read_table(parquet)
    if tamper == "drop_last_row":
        table = table.slice(0, table.num_rows - 1)  # g01: a NULL country, not in the head
    elif tamper == "rename_country":
        col = table.column("birthCountry").to_pylist()
        col[0] = "Canada"  # d01 is not among the first three by playerID
        table = table.set_column(2, "birthCountry", pa.array(col, pa.string()))
    else:
        col = table.column("playerID").to_pylist()
        col[1] = "a00"  # a01 becomes a00: still first, a different value in the head
        table = table.set_column(0, "playerID", pa.array(col, pa.string()))
    pq.write_table(table, parquet)
    result = compare_backends(user_db, parquet, query_files(user_db, tmp_path), repeats=1)
    got = {(r.query, r.backend): r.identical for r in result.itertuples()}
    assert got == expected_identical(parquet, user_db)
    assert "no" in got.values()
    with pytest.raises(RuntimeError, match="results differ from SQLite's: .* on duckdb"):
        check_identical(result)


def test_backends_refuse_a_parquet_of_another_schema(user_db, tmp_path):
    parquet = tmp_path / "Master.parquet"
    export_table(user_db, "Master", parquet)
    table = pq.read_table(parquet)
    pq.write_table(
        table.set_column(1, "birthYear", table.column(1).cast(pa.float64(), safe=False)), parquet
    )
    with pytest.raises(InputError, match=f"{parquet}: columns .* differ from Master in {user_db}"):
        compare_backends(user_db, parquet, query_files(user_db, tmp_path), repeats=1)
    parquet.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=f"{parquet}: not a readable Parquet file"):
        compare_backends(user_db, parquet, query_files(user_db, tmp_path), repeats=1)


def test_dask_count_equals_counter(user_db, tmp_path):
    parquet = tmp_path / "Master.parquet"
    export_table(user_db, "Master", parquet)
    got = dask_birth_country(parquet)
    counts = Counter(pq.read_table(parquet).column("birthCountry").to_pylist())
    assert {
        (None if null else c): n
        for c, n, null in zip(got["birthCountry"], got["players"], got["is_null"], strict=True)
    } == dict(counts)
