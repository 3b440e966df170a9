"""Rule csv_describe: describe() of every column of the CSV blocks with dask.dataframe.

Also writes the lesson's ``%time`` of it (``results/bench/describe.csv``: one timed run; the
engine comparison with repeats is the evidence benchmark ``bench_tables``).
"""

if __name__ == "__main__":
    from sda.diagnostics.record import recorded_scheduler
    from sda.logs import setup_logging
    from sda.measure.rows import write_rows
    from sda.measure.timing import timed_call
    from sda.tables.describe import describe_blocks, write_describe

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    files = list(sm.input)
    engine, ncols = sm.params.engine, sm.params.ncols
    with recorded_scheduler(sm.params.scheduler, sm.output, files, sm.threads, sm.resources.mem_mb):
        table, seconds = timed_call(lambda: describe_blocks(files, engine, ncols))
    write_describe(table, sm.output.table)
    row = {"what": "describe", "engine": engine, "files": len(files), "columns": ncols}
    row |= {"seconds": f"{seconds:.4g}", "cores": sm.threads}
    write_rows(sm.output.seconds, [row], list(row))
    log.info(
        "wrote %s: describe of %d columns over %d files (%s engine) in %.3g s",
        sm.output.table,
        ncols,
        len(files),
        engine,
        seconds,
    )
