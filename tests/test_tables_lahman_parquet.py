"""sda.tables.lahman_parquet: a table or view exported to Parquet with its types, NULLs and rows
(compared with sqlite3's own), the same bytes every time."""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq

from conftest import MASTER_ROWS, make_user_db
from sda.tables.lahman_parquet import export_table


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
