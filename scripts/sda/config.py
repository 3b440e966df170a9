"""Configuration checks that JSON schema cannot express, and readable schema errors.

``rules/common.smk`` validates the config with ``snakemake.utils.validate`` (which also fills
defaults) and then calls :func:`check_config`. Every error names the offending key as a dotted
path (``blocks.csv_n``) so that a user knows what to fix before any job runs.
"""

from __future__ import annotations

from collections.abc import Mapping


class ConfigError(ValueError):
    """An invalid configuration; the message starts with the dotted key."""


def schema_error_message(error: Exception) -> str:
    """Turn a jsonschema ``ValidationError`` (possibly wrapped by Snakemake) into one line."""
    candidates = [error, *getattr(error, "args", ()), error.__cause__, error.__context__]
    inner = next((c for c in candidates if hasattr(c, "absolute_path")), error)
    path = getattr(inner, "absolute_path", None)
    key = ".".join(str(p) for p in path) if path else "(top level)"
    message = getattr(inner, "message", str(inner))
    return f"invalid config key {key}: {message}"


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
    """Cross-field checks; raise :class:`ConfigError` naming the key."""
    blocks = config["blocks"]
    n = blocks["n"]
    _require(
        blocks["csv_n"] <= n,
        "blocks.csv_n",
        f"{blocks['csv_n']} is larger than blocks.n={n}",
    )
    _require(n <= 1_000_000, "blocks.n", f"{n} blocks do not fit the x%06d names")
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
    stores = config.get("stores", {})
    if "n" in stores:
        _require(
            stores["n"] <= n,
            "stores.n",
            f"{stores['n']} is larger than blocks.n={n}",
        )
    bench = config.get("bench", {})
    wiki = config.get("wiki", {})
    if wiki.get("source") == "download":
        _require(bool(wiki.get("url")), "wiki.url", "is empty but wiki.source is download")
    if wiki.get("source") == "local":
        _require(bool(wiki.get("glob")), "wiki.glob", "is empty but wiki.source is local")
    del bench
