"""Rule lahman_backends: the same ibis expressions on SQLite, on DuckDB over Parquet, and dask."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.scheduler import dask_scheduler
    from sda.tables.lahman_backends import check_identical, compare_backends, write_backends

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    expected = {"master_head": sm.input.master_head, "birth_country": sm.input.birth_country}
    out = sm.output[0]
    with dask_scheduler(sm.params.scheduler, workers=sm.threads, memory_mb=sm.resources.mem_mb):
        table = compare_backends(
            sm.input.db, sm.input.parquet, expected, sm.params.repeats, sm.threads
        )
    log.info("backends:\n%s", table.to_string(index=False))
    check_identical(table, f"{sm.input.db} vs {sm.input.parquet}")
    write_backends(out, table)
    log.info("wrote %s: %d rows, every backend identical to SQLite", out, len(table))
