"""Rule block_means: per-block means from every store, numpy and dask.array; all must agree.

Also writes the lesson's one timed read of each store (``results/bench/store_reads.csv``).
"""

if __name__ == "__main__":
    from sda.diagnostics.record import recorded_scheduler
    from sda.logs import setup_logging
    from sda.measure.rows import write_rows
    from sda.stores.means import READ_FIELDS, block_means, read_rows, write_block_means
    from sda.stores.paths import Stores

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    inp = sm.input
    stores = Stores.from_inputs(inp, sm.params.shape)
    scheduler = sm.params.scheduler
    seconds = {}
    with recorded_scheduler(scheduler, sm.output, sm.input, sm.threads, sm.resources.mem_mb):
        means = block_means(stores, scheduler, seconds)
    write_block_means(sm.output.means, stores, means)
    write_rows(sm.output.reads, read_rows(stores, seconds, sm.threads), READ_FIELDS)
    log.info("%d blocks, %d sources agree: %s", stores.n, len(means), ", ".join(means))
