"""Rule block_means: per-block means from every store, numpy and dask.array; all must agree."""

if __name__ == "__main__":
    from sda.daskutil import dask_scheduler
    from sda.logs import setup_logging
    from sda.stores import Stores, block_means, write_block_means

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    inp = sm.input
    stores = Stores.from_inputs(inp, sm.params.shape)
    scheduler = sm.params.scheduler
    with dask_scheduler(scheduler, workers=sm.threads, memory_mb=sm.resources.mem_mb):
        means = block_means(stores, scheduler)
    write_block_means(sm.output[0], stores, means)
    log.info("%d blocks, %d sources agree: %s", stores.n, len(means), ", ".join(means))
