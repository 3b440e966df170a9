"""Rule bench_tables: the CSV describe timed with pandas' C parser and with pyarrow."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.measure.rows import write_rows
    from sda.scheduler import dask_scheduler
    from sda.tables.bench_tables import bench_rows

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    with dask_scheduler(sm.params.scheduler, workers=sm.threads, memory_mb=sm.resources.mem_mb):
        rows = bench_rows(
            list(sm.input),
            ncols=sm.params.ncols,
            configured=sm.params.engine,
            repeats=sm.params.repeats,
            threads=sm.threads,
        )
    write_rows(sm.output[0], rows)
    for row in rows:
        log.info("%s", row)
