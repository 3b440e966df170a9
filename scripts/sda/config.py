"""The config's validation: the JSON schema, then the checks a schema cannot express.

``rules/common.smk`` calls :func:`validate_config` once, before any rule is defined, with the
cross-field checks of every section (each owned by its topic, e.g.
:func:`sda.blocks.generate.check_blocks`; :data:`sda.config_checks.CHECKS` lists them); tests
call the same function. Every error names the offending key as a dotted path
(``blocks.csv_n``) so that a user knows what to fix before any job runs.

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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml


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


def validate_config(
    config: dict,
    schema_path: str | Path,
    cli: Mapping | None = None,
    checks: Sequence[Callable[[Mapping], None]] = (),
) -> None:
    """Validate ``config`` in place (defaults filled in) against the schema at ``schema_path``,
    then run ``checks``, the cross-field checks of every section (each topic's, gathered in
    :data:`sda.config_checks.CHECKS`); raise :class:`ConfigError` naming the key.

    ``cli`` holds the values given with ``--config`` (Snakemake's parse of them): their strings
    are first read as YAML scalars where the schema wants one (:func:`read_cli_values`)."""
    from jsonschema.exceptions import best_match

    validator = _validator(str(schema_path))
    if cli:
        read_cli_values(config, cli, validator.schema)
    error = best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(schema_error_message(error))
    for check in checks:
        check(config)


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


def require(condition: bool, key: str, message: str) -> None:
    """Raise :class:`ConfigError` naming ``key`` unless ``condition``: the cross-field checks
    of every topic use it."""
    if not condition:
        raise ConfigError(f"invalid config key {key}: {message}")
