"""Config checks: schema errors and cross-field checks name the key."""

from __future__ import annotations

import copy
import re

import pytest

from conftest import REPO, SCHEMA, check_all, load_yaml
from sda.blocks.generate import batch_size
from sda.config import ConfigError, schema_error_message, validate_config
from sda.config_checks import CHECKS

DEFAULT = load_yaml(REPO / "config" / "config.yaml")


def with_blocks(**changes):
    config = copy.deepcopy(DEFAULT)
    config["blocks"].update(changes)
    return config


def test_defaults_pass():
    check_all(DEFAULT)
    check_all(load_yaml(REPO / "config" / "test.yaml"))


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
        check_all(with_blocks(**changes))


def test_stores_n_at_most_blocks_n():
    config = copy.deepcopy(DEFAULT)
    config["stores"]["n"] = 2000
    with pytest.raises(ConfigError, match="stores.n"):
        check_all(config)


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


# --- every key of config/test.yaml, fed bad values -------------------------------------------

TEST_CONFIG = load_yaml(REPO / "config" / "test.yaml")
FUZZ_VALUES = [
    -1, 0, 1.5e300, -1.5e300, 2.5, 2.0, 10**12, 10**30, float("nan"), float("inf"),
    True, False, None, "abc", "", "1", [], [1], {}, {"x": 1},
]  # fmt: skip
BOOLEAN = [True, False]
# The fuzz values that are legitimate for a key; every other one must be refused.
ACCEPTED = {
    "blocks.seed": [0, 10**12],
    "blocks.mean": [-1, 0, 2.5, 2.0, 10**12],
    "blocks.sd": [2.5, 2.0, 10**12],
    "blocks.low": [-1, 0, 2.5, 2.0, 10**12],  # unused (test.yaml draws from normal), in range
    "blocks.high": [-1, 0, 2.5, 2.0, 10**12],
    "blocks.csv_n": [0],
    "bench.generate": BOOLEAN,
    "bench.default_run": BOOLEAN,
    "bench.evidence": BOOLEAN,
    "bench.timeout": [2.5, 2.0],  # seconds: any positive number up to a day
    "stores.zarr_shard_blocks": [0],
    "wiki.seed": [0, 10**12],
    "wiki.glob": ["abc", "", "1"],  # read only when wiki.source is local
    "wiki.url": [""],  # read only when wiki.source is download
    "wiki.checksum": [""],  # empty: the checksums published beside the dump
    "wiki.retries": [0],
    "wiki.retry_wait": [2.5, 2.0],
    "text.partitions": [0],
    "text.bench": BOOLEAN,
    "text.bench_schedulers": BOOLEAN,
    "text.scheduler_files": [0],
    "text.delayed_files": [0],
    "lahman.sqlite": [""],  # empty: build the database
    "scaling.blocks": [[1]],
    "scaling.cores": [[1]],
    "scaling.corpus_copies": [[1]],
    "scaling.margin_mb": [0],
    "scaling.scratch": ["abc", "", "1"],  # where the run makes its own scratch directory
    # a whole section: empty takes every default (not stores: its n, 100, exceeds blocks.n)
    **{
        section: [{}]
        for section in ("bench", "dask", "wiki", "text", "tables", "lahman", "scaling")
    },
}


def config_keys(config: dict, prefix: str = "") -> list[str]:
    """Every section and leaf key of ``config`` as dotted paths."""
    keys = []
    for k, v in config.items():
        keys.append(f"{prefix}{k}")
        if isinstance(v, dict):
            keys += config_keys(v, f"{prefix}{k}.")
    return keys


def with_value(config: dict, key: str, value) -> dict:
    config = copy.deepcopy(config)
    *parents, leaf = key.split(".")
    node = config
    for p in parents:
        node = node[p]
    node[leaf] = copy.deepcopy(value)
    return config


def accepted(key: str, value) -> bool:
    return any(type(value) is type(a) and value == a for a in ACCEPTED.get(key, ()))


def fuzz_cases() -> list[tuple[str, object]]:
    return [(k, v) for k in config_keys(TEST_CONFIG) for v in FUZZ_VALUES if not accepted(k, v)]


def test_every_bad_value_of_every_key_fails_naming_the_key():
    """Each key of config/test.yaml set to each bad value fails the validation the Snakefile
    runs (before any job) with a ConfigError that names the key; the accepted values pass."""
    cases = fuzz_cases()
    wrong = []
    for key, value in cases:
        try:
            validate_config(with_value(TEST_CONFIG, key, value), SCHEMA, checks=CHECKS)
            wrong.append(f"{key}={value!r}: accepted")
        except ConfigError as exc:
            if not str(exc).startswith("invalid config key ") or key not in str(exc):
                wrong.append(f"{key}={value!r}: {exc}")
    print(f"{len(cases)} fuzzed configs, {len(config_keys(TEST_CONFIG))} keys")
    assert len(cases) > 600 and wrong == []
    for key, values in ACCEPTED.items():
        for value in values:
            validate_config(with_value(TEST_CONFIG, key, value), SCHEMA, checks=CHECKS)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("blocks.cols", 1.5e300, "1.5e+300 is not of type 'integer'"),
        ("blocks.cols", 2.0, "2.0 is not of type 'integer'"),
        ("blocks.rows", True, "True is not of type 'integer'"),
        ("wiki.file_bytes", 1.5e300, "is not of type 'integer'"),
        ("text.bench_repeats", 1.5e300, "is not of type 'integer'"),
        ("text.graph_files", 10**12, "1000000000000 is greater than the maximum of 100"),
        ("blocks.mean", float("nan"), "nan is not of type 'number'"),
        ("blocks.cols", 200_000, "a block of blocks.rows x blocks.cols = 30 x 200000"),
        ("blocks.rows", 1_000_000, "a block of blocks.rows x blocks.cols = 1000000 x 8"),
        ("blocks.extra", 1, "is not a key of this workflow's config"),
        ("diagnostics", "yes", "'yes' is not of type 'boolean'"),
        ("diagnostics", 1, "1 is not of type 'boolean'"),
        ("bench.timeout", 0, "0 is less than or equal to the minimum of 0"),
        ("bench.timeout", "10", "'10' is not of type 'number'"),
    ],
)
def test_the_message_names_the_key_the_user_wrote(key, value, message):
    config = with_value(TEST_CONFIG, key, value)
    if key == "blocks.cols" and value == 200_000:
        config["blocks"]["rows"] = 30 * 200  # 6000 x 200000 x 8 bytes: 9.6 GB
        message = "a block of blocks.rows x blocks.cols = 6000 x 200000"
    if key == "blocks.rows" and value == 1_000_000:
        config["blocks"]["cols"] = 200  # 1.6 GB
        message = "a block of blocks.rows x blocks.cols = 1000000 x 200"
    with pytest.raises(ConfigError) as info:
        validate_config(config, SCHEMA, checks=CHECKS)
    assert str(info.value).startswith(f"invalid config key {key}: "), str(info.value)
    assert message in str(info.value)


def test_a_missing_key_is_named():
    config = copy.deepcopy(TEST_CONFIG)
    del config["blocks"]["rows"]
    with pytest.raises(ConfigError, match="^invalid config key blocks.rows: is required$"):
        validate_config(config, SCHEMA, checks=CHECKS)


def test_validation_fills_in_defaults():
    config = copy.deepcopy(TEST_CONFIG)
    del config["text"]["graph_files"]
    config["tables"] = {}
    validate_config(config, SCHEMA, checks=CHECKS)
    assert config["text"]["graph_files"] == 3 and config["tables"]["csv_engine"] == "c"


def test_every_bound_is_stated_in_the_schema():
    """Every integer key that is not a choice has a maximum, stated in its description."""
    schema = load_yaml(SCHEMA)
    missing = []
    for section, sub in schema["properties"].items():
        for key, spec in sub.get("properties", {}).items():
            if spec.get("type") != "integer" or "enum" in spec:
                continue
            top = spec.get("maximum")
            said = {str(top), "2**63-1" if top == 2**63 - 1 else str(top)}
            if top is None or not any(w in spec.get("description", "") for w in said):
                missing.append(f"{section}.{key}")
    assert missing == []


def with_cli(cli: dict) -> dict:
    """The test config with ``--config key=value`` for each item of ``cli``, parsed and merged
    by Snakemake's own functions (nested scalars arrive as strings), then validated."""
    from snakemake.cli import parse_config
    from snakemake.utils import update_config

    config = load_yaml(REPO / "config" / "test.yaml")
    parsed = parse_config([f"{k}={v}" for k, v in cli.items()])
    update_config(config, parsed)
    validate_config(config, SCHEMA, cli=parsed, checks=CHECKS)
    return config


@pytest.mark.parametrize(
    "cli, key, value",
    [
        ({"blocks": "{n: 40}"}, ("blocks", "n"), 40),
        ({"bench": "{evidence: true}"}, ("bench", "evidence"), True),
        ({"bench": "{evidence: yes}"}, ("bench", "evidence"), True),  # YAML's own reading
        ({"blocks": "{mean: -350.5}"}, ("blocks", "mean"), -350.5),
        ({"blocks": "{sd: 2}"}, ("blocks", "sd"), 2),  # an integer is a number
        ({"blocks": "{batch: 10}"}, ("blocks", "batch"), 10),  # auto or an integer
        ({"blocks": "{batch: auto}"}, ("blocks", "batch"), "auto"),
        ({"dask": "{slurm: {jobs: 4, timeout: 60.5}}"}, ("dask", "slurm", "jobs"), 4),
        ({"dask": "{slurm: {jobs: 4, timeout: 60.5}}"}, ("dask", "slurm", "timeout"), 60.5),
        ({"dask": "{slurm: {interface: null}}"}, ("dask", "slurm", "interface"), None),
        ({"dask": "{slurm: {account: '123'}}"}, ("dask", "slurm", "account"), "123"),
        ({"scaling": "{blocks: [10, 20]}"}, ("scaling", "blocks"), [10, 20]),
        ({"scaling": "{cores: [1, all]}"}, ("scaling", "cores"), [1, "all"]),
        ({"wiki": "{url: 'file:///x.bz2'}"}, ("wiki", "url"), "file:///x.bz2"),
        ({"blocks": "{csv_format: '%.3e'}"}, ("blocks", "csv_format"), "%.3e"),
    ],
)
def test_config_values_are_read_as_in_the_config_file(cli, key, value):
    config = with_cli(cli)
    for part in key:
        config = config[part]
    assert config == value and type(config) is type(value)


@pytest.mark.parametrize(
    "cli, message",
    [
        ({"blocks": "{rows: 2.5}"}, "blocks.rows: 2.5 is not of type 'integer'"),
        ({"blocks": "{n: ten}"}, "blocks.n: 'ten' is not of type 'integer'"),
        ({"bench": "{evidence: yes please}"}, "bench.evidence: 'yes please' is not of type"),
        ({"dask": "{slurm: {jobs: 0}}"}, "dask.slurm.jobs: 0 is less than the minimum of 1"),
        ({"scaling": "{blocks: [10, x]}"}, "scaling.blocks.1: 'x' is not of type 'integer'"),
        ({"blocks": "{n: 20"}, "blocks: '{n: 20' is not a mapping"),
        ({"dask": "{slurm: 4}"}, "dask.slurm: '4' is not a mapping"),
        ({"blocks": "{nn: 3}"}, "blocks.nn: is not a key of this workflow's config"),
    ],
)
def test_bad_config_values_fail_naming_the_key(cli, message):
    with pytest.raises(ConfigError, match=f"^invalid config key {re.escape(message)}"):
        with_cli(cli)


def test_a_config_file_string_is_not_read_as_a_number():
    """Only --config values are read: a quoted number in a config file stays a string and is
    refused, as before."""
    config = load_yaml(REPO / "config" / "test.yaml")
    config["blocks"]["n"] = "40"
    with pytest.raises(ConfigError, match="^invalid config key blocks.n: '40' is not of type"):
        validate_config(config, SCHEMA, cli={"wiki": {"source": "synthetic"}}, checks=CHECKS)
