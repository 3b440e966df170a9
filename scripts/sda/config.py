"""The config's validation: the JSON schema, then the checks a schema cannot express.

``rules/common.smk`` calls :func:`validate_config` once, before any rule is defined; tests call
the same function. Every error names the offending key as a dotted path (``blocks.csv_n``) so
that a user knows what to fix before any job runs.

The schema is applied more strictly than JSON schema's own types: an ``integer`` is a Python
``int`` (JSON schema also takes ``2.0`` and ``1.5e300``, floats with an integral value) and a
``number`` is finite (not ``.nan`` or ``.inf``); booleans are neither.

Values given on the command line are read as the config file's are. Snakemake parses a nested
``--config`` value (``blocks={n: 20}``) with YAML's BaseLoader, which leaves every scalar a
string; :func:`read_cli_values` reads such a string as a YAML scalar where the schema wants a
number or a boolean (``'20'`` -> 20, ``'true'`` -> True), before the same checks.
"""

from __future__ import annotations

import copy
import functools
import math
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import yaml

MAX_BLOCK_BYTES = 2**30  # a block is read whole into memory and is one dask chunk
ZARR_SHARD_LIMIT = 2**30  # a Zarr shard is written in one piece, from memory


class ConfigError(ValueError):
    """An invalid configuration; the message starts with the dotted key."""


def schema_error_message(error: Exception) -> str:
    """Turn a jsonschema ``ValidationError`` (possibly wrapped by Snakemake) into one line that
    starts with the key as the user wrote it: a missing key and an unknown key are named
    themselves, not their section."""
    candidates = [error, *getattr(error, "args", ()), error.__cause__, error.__context__]
    inner = next((c for c in candidates if hasattr(c, "absolute_path")), error)
    path = [str(p) for p in getattr(inner, "absolute_path", None) or ()]
    message = getattr(inner, "message", str(inner))
    validator = getattr(inner, "validator", None)
    if validator == "required" and (m := re.match(r"'(.+)' is a required property", message)):
        path, message = [*path, m.group(1)], "is required"
    elif validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", message.split("(", 1)[-1])
        if len(extra) == 1:
            path, message = [*path, extra[0]], "is not a key of this workflow's config"
    key = ".".join(path) if path else "(top level)"
    return f"invalid config key {key}: {message}"


def _is_integer(checker, instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker, instance) -> bool:
    return (
        isinstance(instance, int | float)
        and not isinstance(instance, bool)
        and math.isfinite(instance)
    )


def strict_validator(schema: Mapping):
    """A Draft 2020-12 validator of ``schema`` with strict ``integer`` and ``number`` types that
    also fills in the defaults of the schema (as ``snakemake.utils.validate`` does)."""
    from jsonschema import Draft202012Validator, validators

    base = Draft202012Validator
    properties = base.VALIDATORS["properties"]

    def set_defaults(validator, props, instance, schema):
        if validator.is_type(instance, "object"):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from properties(validator, props, instance, schema)

    types = base.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number})
    cls = validators.extend(base, {"properties": set_defaults}, type_checker=types)
    return cls(schema)


@functools.cache
def _validator(schema_path: str):
    with open(schema_path) as fh:
        return strict_validator(yaml.safe_load(fh))


def validate_config(config: dict, schema_path: str | Path, cli: Mapping | None = None) -> None:
    """Validate ``config`` in place (defaults filled in) against the schema at ``schema_path``,
    then the cross-field checks of every section; raise :class:`ConfigError` naming the key.

    ``cli`` holds the values given with ``--config`` (Snakemake's parse of them): their strings
    are first read as YAML scalars where the schema wants one (:func:`read_cli_values`)."""
    from jsonschema.exceptions import best_match

    validator = _validator(str(schema_path))
    if cli:
        read_cli_values(config, cli, validator.schema)
    error = best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(schema_error_message(error))
    check_config(config)


SCALARS = {bool: "boolean", int: "integer", float: "number", type(None): "null"}


def _types(schema: Mapping) -> set[str]:
    """The JSON types ``schema`` allows, through ``oneOf``/``anyOf`` alternatives too."""
    kind = schema.get("type", ())
    types = {kind} if isinstance(kind, str) else set(kind)
    for alternative in [*schema.get("oneOf", ()), *schema.get("anyOf", ())]:
        types |= _types(alternative)
    return types


def _scalar(text: str, schema: Mapping):
    """``text`` (a ``--config`` string) as the YAML scalar it spells, where ``schema`` wants a
    number, a boolean or null; ``text`` itself where the schema wants a string. A key that
    takes no string gets any scalar (``'2.5'`` for an integer key -> 2.5, which the schema then
    refuses by name); a key that also takes a string only a scalar of a type it allows (``'100'``
    for ``auto`` or an integer -> 100, ``'x1'`` stays ``'x1'``)."""
    wanted = _types(schema) & {"integer", "number", "boolean", "null"}
    if not wanted:
        return text
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    kind = SCALARS.get(type(value))
    if kind is None:  # a string, a list or a mapping: not a scalar of another type
        return text
    allowed = kind in wanted or (kind == "integer" and "number" in wanted)
    return value if allowed or "string" not in _types(schema) else text


def read_cli_values(config: dict, cli: Mapping, schema: Mapping, prefix: str = "") -> None:
    """Read the strings of ``--config`` values (``cli``) in ``config`` as YAML scalars where the
    schema wants one (:func:`_scalar`), at any depth and in lists. A mapping key given a string
    (a malformed YAML mapping falls back to its text) is named."""
    properties = schema.get("properties", {})
    for key, given in cli.items():
        sub, path = properties.get(key), f"{prefix}{key}"
        if sub is None or key not in config:
            continue  # an unknown key: the schema names it
        if isinstance(given, str) and _types(sub) == {"object"}:
            raise ConfigError(
                f"invalid config key {path}: {given!r} is not a mapping (a --config value "
                "is a YAML mapping in flow style, e.g. 'blocks={n: 20, csv_n: 2}')"
            )
        if isinstance(given, Mapping) and isinstance(config[key], dict):
            read_cli_values(config[key], given, sub, f"{path}.")
        elif isinstance(given, list) and isinstance(config[key], list):
            items = sub.get("items", {})
            config[key] = [_scalar(v, items) if isinstance(v, str) else v for v in config[key]]
        elif isinstance(given, str) and isinstance(config[key], str):
            config[key] = _scalar(config[key], sub)


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"invalid config key {key}: {message}")


def batch_size(n: int, batch: int | str) -> int:
    """Blocks written per generation job.

    ``auto`` picks the largest power of ten up to 100 that divides ``n`` (1000 blocks -> 10 jobs
    of 100 blocks, so the workflow pays ten Python start-ups, not a thousand). An explicit value
    must be a power of ten that divides ``n``: the batch is then the set of block names that share
    all but their last digits, e.g. ``x0001??``.
    """
    if batch == "auto":
        for size in (100, 10, 1):
            if n % size == 0 and n // size >= 2 or size == 1:
                return size
    _require(
        isinstance(batch, int) and batch in (1, 10, 100, 1000),
        "blocks.batch",
        f"{batch!r} is not auto or a power of ten up to 1000",
    )
    _require(n % batch == 0, "blocks.batch", f"{batch} does not divide blocks.n={n}")
    return batch


def check_config(config: Mapping) -> None:
    """The checks a schema cannot express, one function per section, on a config the schema
    has validated (types, enums and defaults are the schema's); raise :class:`ConfigError`
    naming the key."""
    check_blocks(config)
    check_stores(config)
    check_wiki(config)
    check_lahman(config)
    check_dask(config)
    check_scaling(config)


def check_blocks(config: Mapping) -> None:
    blocks = config["blocks"]
    n = blocks["n"]
    _require(
        blocks["csv_n"] <= n,
        "blocks.csv_n",
        f"{blocks['csv_n']} is larger than blocks.n={n}",
    )
    _require(n <= 1_000_000, "blocks.n", f"{n} blocks do not fit the x%06d names")
    rows, cols = blocks["rows"], blocks["cols"]
    nbytes = rows * cols * 8
    _require(
        nbytes <= MAX_BLOCK_BYTES,
        "blocks.cols" if cols > rows else "blocks.rows",
        f"a block of blocks.rows x blocks.cols = {rows} x {cols} float64 is {nbytes} bytes, "
        f"above {MAX_BLOCK_BYTES} (1 GiB: a block is read whole into memory, and is one dask "
        "chunk; HDF5's chunk limit, 4 GiB, is above it)",
    )
    if blocks["distribution"] == "uniform":
        _require(
            blocks["low"] < blocks["high"],
            "blocks.low",
            f"low={blocks['low']} must be below high={blocks['high']}",
        )
    batch_size(n, blocks.get("batch", "auto"))
    try:
        blocks["csv_format"] % 1.5
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid config key blocks.csv_format: {exc}") from None


def check_stores(config: Mapping) -> None:
    from sda.stores.paths import shard_blocks

    blocks, stores = config["blocks"], config["stores"]
    _require(
        stores["n"] <= blocks["n"],
        "stores.n",
        f"{stores['n']} is larger than blocks.n={blocks['n']}",
    )
    nbytes = blocks["rows"] * blocks["cols"] * 8
    shard = shard_blocks(stores["zarr_shard_blocks"], stores["n"]) * nbytes
    _require(
        shard <= ZARR_SHARD_LIMIT,
        "stores.zarr_shard_blocks",
        f"a shard of {stores['zarr_shard_blocks']} blocks of {blocks['rows']}x{blocks['cols']} "
        f"float64 is {shard} bytes, above {ZARR_SHARD_LIMIT} (1 GiB): the writer holds a whole "
        "shard in memory (random.zarr)",
    )


def check_wiki(config: Mapping) -> None:
    from sda.text.words import matching_files

    wiki = config["wiki"]
    if wiki["source"] == "local":
        pattern = wiki["glob"]
        _require(bool(pattern), "wiki.glob", "is empty but wiki.source is local")
        _require(bool(matching_files(pattern)), "wiki.glob", f"{pattern!r} matches no files")
    if wiki["source"] == "download":
        _require(bool(wiki["url"]), "wiki.url", "is empty but wiki.source is download")


def check_lahman(config: Mapping) -> None:
    sqlite = config["lahman"]["sqlite"]
    _require(
        not sqlite or Path(sqlite).is_file(),
        "lahman.sqlite",
        f"{sqlite} does not exist "
        "(leave it empty to build results/lahman/lahman.sqlite from the lahman package)",
    )


def check_dask(config: Mapping, which=None) -> None:
    """Where a scheduler is ``slurm``: the ``dask.slurm`` section has what it needs, its values
    parse, and Slurm's commands and dask-jobqueue are here (``which`` finds a command;
    ``shutil.which`` at the time of the call by default)."""
    which = which or shutil.which
    from sda.cluster import REQUIRED, SLURM_COMMANDS, WALLTIME, uses_slurm

    keys = uses_slurm(config)
    if not keys:
        return
    chosen = f"{keys[0]} is slurm"
    section = config.get("dask", {}).get("slurm") or {}
    for key in REQUIRED:
        _require(section.get(key) not in (None, ""), f"dask.slurm.{key}", f"missing ({chosen})")
    from dask.utils import parse_bytes

    try:
        parse_bytes(section["memory"])
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"invalid config key dask.slurm.memory: {section['memory']!r} is not a size such "
            f"as 4GB ({exc})"
        ) from None
    _require(
        bool(WALLTIME.match(str(section["walltime"]))),
        "dask.slurm.walltime",
        f"{section['walltime']!r} is not a Slurm time such as 01:30:00, 90 or 1-00:00:00",
    )
    for command in SLURM_COMMANDS:
        _require(
            which(command) is not None,
            keys[0],
            f"slurm needs Slurm's `{command}` on PATH and there is none: no Slurm is reachable "
            "from this machine",
        )
    try:
        import dask_jobqueue  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"invalid config key {keys[0]}: slurm needs the dask-jobqueue package "
            "(pip install -r requirements.txt)"
        ) from None


def check_scaling(config: Mapping) -> None:
    """The ``scaling`` target's lists name each value once; its scratch is a directory of its
    own (the run removes what it makes there)."""
    scaling = config.get("scaling", {})
    for key in ("blocks", "cores", "corpus_copies"):
        values = scaling.get(key, [])
        _require(
            len(set(map(str, values))) == len(values),
            f"scaling.{key}",
            f"{values} lists a value twice",
        )
    scratch = scaling.get("scratch", "")
    _require(
        not (scratch and Path(scratch).exists() and not Path(scratch).is_dir()),
        "scaling.scratch",
        f"{scratch} exists and is not a directory",
    )
    _require(
        not (scratch and Path(scratch).resolve() in (Path.cwd(), Path.cwd() / "results")),
        "scaling.scratch",
        f"{scratch} is removed after the run: name a directory of its own",
    )
