"""Rule csv_describe: describe() of every column of the CSV blocks with dask.dataframe."""

if __name__ == "__main__":
    from sda.daskutil import dask_scheduler
    from sda.logs import setup_logging
    from sda.tables import describe_blocks, write_describe

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    files, out = list(sm.input), sm.output[0]
    engine, ncols = sm.params.engine, sm.params.ncols
    with dask_scheduler(sm.params.scheduler, workers=sm.threads, memory_mb=sm.resources.mem_mb):
        table = describe_blocks(files, engine, ncols)
    write_describe(table, out)
    log.info(
        "wrote %s: describe of %d columns over %d files (%s engine)", out, ncols, len(files), engine
    )
