"""sda.tables.lahman_sqlite: a column's type from the values SQLite stores, and the check of a
user's database in the config."""

from __future__ import annotations

import copy

import pytest

from conftest import REPO, SCHEMA, load_yaml
from sda.config import ConfigError, validate_config
from sda.config_checks import CHECKS
from sda.tables.lahman_sqlite import check_lahman, column_types, open_db, value_type


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


def test_config_checks(tmp_path):
    config = load_yaml(REPO / "config" / "test.yaml")
    validate_config(copy.deepcopy(config), SCHEMA, checks=CHECKS)
    config["tables"]["csv_engine"] = "python"  # an enum of the schema
    with pytest.raises(ConfigError, match="tables.csv_engine"):
        validate_config(copy.deepcopy(config), SCHEMA, checks=CHECKS)
    missing = tmp_path / "lahman2013.sqlite"
    check_lahman({"lahman": {"sqlite": ""}})
    with pytest.raises(ConfigError, match=rf"lahman.sqlite: {missing} does not exist"):
        check_lahman({"lahman": {"sqlite": str(missing)}})
