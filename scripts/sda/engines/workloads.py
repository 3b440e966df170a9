"""The four workloads of the engines benchmark, built from the workflow's files.

Each engine is named as its row shows it; its ``threads`` are the benchmark's, except SQLite
(one thread per query). Our own path is always ``dask``: the function the workflow's rule calls.
"""

from __future__ import annotations

from collections.abc import Sequence

from sda.engines import describe, lahman, summary, words
from sda.engines.bench_engines import Engine, Workload, engine_row

OURS = "the workflow's path (rule {rule})"
# Imported before every engine's clock starts, the same list for every engine of a workload.
TEXT_IMPORTS = ("pyarrow", "pyarrow.compute", "dask.bag", "polars", "duckdb")
FRAME_IMPORTS = ("pandas", "dask.dataframe", "polars", "duckdb")


def words_workload(
    files: Sequence[str],
    errors: str,
    threads: int,
    npartitions: int,
    files_per_task: int,
    top10: str,
    frequencies: str,
) -> Workload:
    files = list(files)
    m = "sda.engines.words:"
    engines = [
        Engine("dask", m + "dask_words", [files, errors, threads, npartitions, files_per_task],
               threads, ["dask", "pyarrow"], TEXT_IMPORTS, OURS.format(rule="text_counts")),
        Engine("polars", m + "polars_words", [files, errors], threads, ["polars"], TEXT_IMPORTS),
        Engine("duckdb", m + "duckdb_words", [files, errors, threads], threads, ["duckdb"],
               TEXT_IMPORTS),
    ]  # fmt: skip
    return Workload(
        "word_count",
        engines,
        reference=lambda: words.reference(top10, frequencies),
        compare=lambda _engine, got, want: words.compare(got, want),
    )


def describe_workload(
    csv_files: Sequence[str],
    npy_files: Sequence[str],
    ncols: int,
    csv_engine: str,
    threads: int,
    table: str,
) -> Workload:
    files = list(csv_files)
    m = "sda.engines.describe:"
    methods = {
        "dask": "dask's merge of per-partition percentiles",
        "polars": 'quantile(q, "linear")',
        "duckdb": "quantile_cont",
    }
    engines = [
        Engine("dask", m + "dask_describe", [files, ncols, csv_engine, threads], threads,
               ["dask", "pandas"], FRAME_IMPORTS,
               OURS.format(rule="csv_describe") + f", pandas' {csv_engine} parser"),
        Engine("polars", m + "polars_describe", [files, ncols], threads, ["polars"],
               FRAME_IMPORTS),
        Engine("duckdb", m + "duckdb_describe", [files, ncols, threads], threads, ["duckdb"],
               FRAME_IMPORTS),
    ]  # fmt: skip
    exact = {}

    def reference():
        exact["quartiles"] = describe.exact_quartiles(list(npy_files))
        return describe.reference(table)

    def compare(engine, got, want):
        return describe.compare(got, want, exact["quartiles"], methods[engine])

    parts = Engine(
        "dask",
        m + "dask_describe_parts",
        [files, ncols, csv_engine, threads],
        threads,
        ["dask", "pandas"],
        FRAME_IMPORTS,
        "a part of the dask row's time, measured alone in one process",
    )
    return Workload("csv_describe", engines, reference, compare, parts=parts)


def lahman_workload(db: str, parquet: str, threads: int, expected: str) -> Workload:
    m = "sda.engines.lahman:"
    imports = ("ibis", "pandas", "dask.dataframe", "polars", "duckdb")
    engines = [
        Engine("dask", m + "dask_country", [parquet, threads], threads, ["dask"], imports,
               "dask.dataframe.read_parquet, value_counts (rule lahman_backends)"),
        Engine("sqlite", m + "sqlite_country", [db], 1, ["ibis-framework", "sqlite"], imports,
               OURS.format(rule="lahman_queries") + "; one thread per query"),
        Engine("duckdb", m + "duckdb_country", [db, parquet, threads], threads,
               ["ibis-framework", "duckdb"], imports, "ibis over the Parquet copy of Master"),
        Engine("polars", m + "polars_country", [db, parquet], threads,
               ["ibis-framework", "polars"], imports, "ibis over the Parquet copy of Master"),
    ]  # fmt: skip
    return Workload(
        "lahman_birth_country",
        engines,
        reference=lambda: lahman.reference(expected),
        compare=lambda _engine, got, want: lahman.compare(got, want),
    )


def summary_workload(
    npy_files: Sequence[str],
    shape: Sequence[int],
    parquet: str,
    made: dict,
    threads: int,
    expected: str,
) -> Workload:
    m = "sda.engines.summary:"
    imports = ("numpy", "dask.array", "threadpoolctl", "polars", "duckdb")
    copy = f"over the Parquet copy ({made['bytes'] / 2**30:.3g} GiB, made once)"
    engines = [
        Engine("dask", m + "dask_summary", [list(npy_files), list(shape), threads], threads,
               ["dask", "numpy"], imports, OURS.format(rule="array_summary") + ", npy blocks"),
        Engine("duckdb", m + "duckdb_summary", [parquet, threads], threads, ["duckdb"],
               imports, copy),
        Engine("polars", m + "polars_summary", [parquet], threads, ["polars"], imports,
               copy + ", streaming engine"),
    ]  # fmt: skip
    copy_row = engine_row(
        "array_summary",
        "parquet copy",
        made["version"],
        1,
        1,
        made["seconds"],
        note="the copy the duckdb and polars rows read, made once by rule engines_parquet "
        f"({made['bytes']} bytes); not in their seconds",
    )
    return Workload(
        "array_summary",
        engines,
        reference=lambda: summary.reference(expected),
        compare=lambda _engine, got, want: summary.compare(got, want),
        extra_rows=[copy_row],
    )
