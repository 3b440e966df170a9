"""sda.engines.lahman: one ibis expression on SQLite, DuckDB and polars, and dask, against the
query run by sqlite3 itself."""

from __future__ import annotations

import sqlite3

import pytest

from oracles import sql_birth_country
from sda.engines.lahman import (
    compare,
    dask_country,
    duckdb_country,
    polars_country,
    sqlite_country,
)
from sda.io import InputError
from sda.tables.lahman_parquet import export_table


@pytest.fixture
def parquet(tmp_path, user_db):
    out = tmp_path / "Master.parquet"
    export_table(user_db, "Master", out)
    return out


def expected(db) -> str:
    conn = sqlite3.connect(db)
    try:
        return "".join(",".join(row) + "\n" for row in sql_birth_country(conn))
    finally:
        conn.close()


def test_every_engine_gives_sqlite3s_answer(user_db, parquet):
    want = expected(user_db)
    results = {
        "sqlite": sqlite_country(str(user_db)),
        "duckdb": duckdb_country(str(user_db), str(parquet), 2),
        "polars": polars_country(str(user_db), str(parquet)),
        "dask": dask_country(str(parquet), 2),
    }
    for engine, got in results.items():
        assert got == want, engine
        assert compare(got, want).identical


def test_a_difference_names_the_line():
    check = compare("a\nb\n", "a\nc\n")
    assert not check.ok and "line 2" in check.note


def test_an_unreadable_copy_is_named(user_db, tmp_path):
    bad = tmp_path / "Master.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="Master.parquet"):
        polars_country(str(user_db), str(bad))
