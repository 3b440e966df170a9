"""sda.tables.lahman_ibis: the Lahman queries as ibis expressions, on SQLite and on DuckDB, and
the SQL they compile to; a missing or broken database, table or column named.

Every expected value is computed independently: with sqlite3 on the database or with
collections.Counter.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter

import ibis
import pytest

from conftest import MASTER_ROWS, make_sqlite, sqlite_relations
from oracles import sql_as_csv, sql_birth_country
from sda.io import InputError
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
from sda.tables.lahman_sqlite import column_types, open_db


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


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


def test_missing_and_corrupt_database(tmp_path):
    missing = tmp_path / "lahman2013.sqlite"
    with pytest.raises(InputError, match=f"{missing}: missing SQLite database file"):
        master_head(missing)
    assert not missing.exists()  # not created by connecting
    missing.write_text("this is not SQLite, just text " * 40)
    with pytest.raises(InputError, match=f"{missing}: not a readable SQLite database"):
        table_names(missing)


def test_missing_table_or_column(tmp_path):
    db = tmp_path / "user.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE Batting (playerID TEXT)")
    conn.commit()
    with pytest.raises(InputError, match=f"{db}: no table or view 'Master'"):
        master_head(db)
    conn.execute("CREATE TABLE Master (playerID TEXT, nameFirst TEXT)")
    conn.commit()
    conn.close()
    assert master_head(db).empty
    with pytest.raises(InputError, match=f"{db}: table 'Master' has no column 'birthCountry'"):
        birth_country(db)
