"""The report's inputs, one reader per result file: each checks the columns its section uses
and raises :class:`sda.io.InputError` naming the file when it is missing or corrupt."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pandas as pd

from sda.io import InputError, read_json, read_table

PACKAGES = (
    "snakemake",
    "numpy",
    "h5py",
    "zarr",
    "dask",
    "distributed",
    "pandas",
    "pyarrow",
    "matplotlib",
    "networkx",
    "jinja2",
)
# The benchmarks' one row layout (sda.measure.rows.FIELDS): the numbers the figures draw.
STORES_BENCH_TIMES = ("seconds", "peak_mib")
QUERY_FIELDS = ("query", "lesson", "source", "sql")


# --- blocks -------------------------------------------------------------------------------


def read_block_io(path: Path) -> pd.DataFrame:
    return read_table(path, ["what", "method"], ["seconds", "peak_mib", "bytes"])


def read_generate(path: Path) -> pd.DataFrame:
    return read_table(path, ["what", "method"], ["seconds"])


# --- stores -------------------------------------------------------------------------------


def read_store_reads(path: Path) -> pd.DataFrame:
    return read_table(path, ["source", "store"], ["seconds", "bytes_on_disk"])


def read_stores_bench(path: Path) -> pd.DataFrame:
    return read_table(path, ["what", "method"], list(STORES_BENCH_TIMES))


def read_block_means(path: Path) -> pd.DataFrame:
    """Per-block means: a ``block`` label, then one column of numbers per source."""
    return read_table(path, ["block"], numeric=True)


# --- text ---------------------------------------------------------------------------------


def read_word_counts(path: Path) -> pd.DataFrame:
    return read_table(path, ["word"], ["n"], keep_default_na=False)


def read_sample(path: Path) -> pd.DataFrame:
    return read_table(path, ["i", "word"], keep_default_na=False)


def read_wiki_source(path: Path) -> dict:
    """SOURCE.json of a downloaded corpus: the dump's URL, size, checksum and what the checksum
    was verified against."""
    return read_json(path, ["url", "bytes", "checksum", "verified", "verified_against"])


def read_text_schedulers(path: Path) -> pd.DataFrame:
    cols = ["pipeline", "scheduler", "identical"]
    return read_table(path, cols, ["seconds"], keep_default_na=False)


def read_text_bench(path: Path) -> pd.DataFrame:
    return read_table(path, ["method"], ["seconds"], keep_default_na=False)


# --- tables -------------------------------------------------------------------------------


def read_csv_describe(path: Path) -> pd.DataFrame:
    return read_table(path, ["stat"])


def read_plain(path: Path) -> pd.DataFrame:
    """A result table shown as it is (describe's timing, the CSV engines' benchmark); an
    empty cell is not a number (NaN, shown empty)."""
    return read_table(path)


def read_lahman_tables(path: Path) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").split()
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text file ({exc})") from None


def read_birth_country(path: Path) -> pd.DataFrame:
    return read_table(path, ["birthCountry"], ["players"], keep_default_na=False)


def read_master_head(path: Path) -> pd.DataFrame:
    return read_table(path, ["playerID"], keep_default_na=False)


def read_expressions(path: Path) -> dict:
    """expressions.json: the ibis version, the table, and per query the lesson's code, our
    source and the SQL per dialect."""
    listing = read_json(path, ["ibis", "table", "queries"])
    check_queries(path, listing["queries"])
    return listing


def check_queries(path: Path, queries) -> None:
    """The ``queries`` of expressions.json: objects with the fields the report shows."""
    for q in queries if isinstance(queries, list) else [None]:
        if not isinstance(q, dict) or any(f not in q for f in QUERY_FIELDS):
            raise InputError(f"{path}: queries must be objects with {', '.join(QUERY_FIELDS)}")
        if not isinstance(q["sql"], dict):
            raise InputError(f"{path}: the sql of query {q['query']!r} is not an object")


def read_lahman_backends(path: Path) -> pd.DataFrame:
    return read_table(path, ["query", "backend"], keep_default_na=False)


# --- scaling ------------------------------------------------------------------------------


def read_scaling(path: Path) -> pd.DataFrame:
    return read_table(path, ["step", "cache", "cores"], ["size_bytes", "wall_s"])


# --- run facts ----------------------------------------------------------------------------


def rule_of_benchmark(path: Path, benchmarks: Path) -> str:
    """benchmarks/<rule>.tsv or benchmarks/<rule>/<wildcards>.tsv -> <rule>."""
    return Path(path).relative_to(benchmarks).with_suffix("").parts[0]


def read_rule_times(benchmarks: Path) -> pd.DataFrame:
    """Per rule, from Snakemake's ``benchmark:`` files: its jobs, their wall time summed, and
    the fewest and most threads a job had (``threads``: recorded with ``benchmark-extended``,
    as the workflow profile sets; NaN where a file predates it). Slowest first."""
    rows = []
    for path in sorted(Path(benchmarks).rglob("*.tsv")):
        frame = read_table(path, numeric=["s"], sep="\t")
        threads = frame["threads"] if "threads" in frame else pd.Series([float("nan")])
        rows.append(
            {
                "rule": rule_of_benchmark(path, benchmarks),
                "seconds": frame["s"].sum(),
                "threads": pd.to_numeric(threads, errors="coerce").max(),
            }
        )
    per_job = pd.DataFrame(rows, columns=["rule", "seconds", "threads"])
    per_rule = per_job.groupby("rule", as_index=False).agg(
        jobs=("rule", "count"),
        seconds=("seconds", "sum"),
        threads_min=("threads", "min"),
        threads_max=("threads", "max"),
    )
    return per_rule.sort_values(["seconds", "rule"], ascending=[False, True], ignore_index=True)


def threads_range(low: float, high: float) -> str:
    """``2``, ``1-2`` or ``?`` (not recorded) for the threads of a rule's jobs."""
    if pd.isna(low) or pd.isna(high):
        return "?"
    return f"{low:.0f}" if low == high else f"{low:.0f}-{high:.0f}"


def package_versions() -> dict[str, str]:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return versions
