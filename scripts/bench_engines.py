"""Rule bench_engines: the same jobs with dask, polars and DuckDB (and SQLite), side by side."""

if __name__ == "__main__":
    from sda.engines.bench_engines import bench_engines
    from sda.engines.workloads import (
        describe_workload,
        lahman_workload,
        summary_workload,
        words_workload,
    )
    from sda.io import read_json
    from sda.logs import setup_logging
    from sda.text.count import partitions_for

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    i, p, threads = sm.input, sm.params, sm.threads
    texts = list(i.texts)
    workloads = [
        words_workload(
            texts,
            p.errors,
            threads,
            partitions_for(len(texts), p.partitions, threads),
            p.files_per_task,
            i.top10,
            i.frequencies,
        ),
        lahman_workload(i.db, i.master, threads, i.birth_country),
        summary_workload(
            list(i.npy),
            p.shape,
            i.parquet,
            read_json(i.made, ["bytes", "seconds", "version"]),
            threads,
            i.summary,
        ),
    ]
    if list(i.csv):
        workloads.insert(
            1,
            describe_workload(
                list(i.csv), list(i.csv_npy), p.ncols, p.csv_engine, threads, i.describe
            ),
        )
    rows = bench_engines(workloads, p.repeats, threads, sm.output[0], timeout=p.timeout)
    for row in rows:
        log.info("%s", row)
