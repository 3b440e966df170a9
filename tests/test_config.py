"""Config checks: schema errors and cross-field checks name the key."""

from __future__ import annotations

import copy

import pytest

from conftest import REPO, load_yaml
from sda.config import ConfigError, batch_size, check_config, schema_error_message

DEFAULT = load_yaml(REPO / "config" / "config.yaml")


def with_blocks(**changes):
    config = copy.deepcopy(DEFAULT)
    config["blocks"].update(changes)
    return config


def test_defaults_pass():
    check_config(DEFAULT)
    check_config(load_yaml(REPO / "config" / "test.yaml"))


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"csv_n": 1001}, "blocks.csv_n"),
        ({"batch": 7}, "blocks.batch"),
        ({"batch": 1000, "n": 500}, "blocks.batch"),
        ({"distribution": "uniform", "low": 2.0, "high": 1.0}, "blocks.low"),
        ({"csv_format": "%d%d"}, "blocks.csv_format"),
    ],
)
def test_cross_field_errors_name_the_key(changes, key):
    with pytest.raises(ConfigError, match=f"invalid config key {key}:"):
        check_config(with_blocks(**changes))


def test_stores_n_at_most_blocks_n():
    config = copy.deepcopy(DEFAULT)
    config["stores"]["n"] = 2000
    with pytest.raises(ConfigError, match="stores.n"):
        check_config(config)


def test_batch_size_auto():
    assert batch_size(1000, "auto") == 100
    assert batch_size(20, "auto") == 10
    assert batch_size(100, "auto") == 10
    assert batch_size(7, "auto") == 1
    assert batch_size(1, "auto") == 1
    assert batch_size(1000, 10) == 10


def test_schema_error_message_names_the_path():
    import jsonschema

    schema = {"type": "object", "properties": {"blocks": {"properties": {"n": {"minimum": 1}}}}}
    with pytest.raises(jsonschema.ValidationError) as info:
        jsonschema.validate({"blocks": {"n": -1}}, schema)
    wrapped = RuntimeError("Error validating config file.", info.value)
    assert (
        schema_error_message(wrapped)
        == "invalid config key blocks.n: -1 is less than the minimum of 1"
    )
