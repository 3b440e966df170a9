"""sda.tables.lahman_backends: the queries on SQLite, DuckDB and dask judged identical or not,
the judgement computed again here without the workflow's code."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import MASTER_ROWS
from sda.io import InputError
from sda.tables.lahman_backends import check_identical, compare_backends, dask_birth_country
from sda.tables.lahman_ibis import birth_country, master_head, write_table
from sda.tables.lahman_parquet import export_table


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
