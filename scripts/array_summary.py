"""Rule array_summary: mean, std, min, max over all npy blocks with dask, out of core."""

if __name__ == "__main__":
    from sda.diagnostics.record import recorded_scheduler
    from sda.io import write_json
    from sda.logs import setup_logging
    from sda.stores.summary import array_summary

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    with recorded_scheduler(
        sm.params.scheduler, sm.output, sm.input, sm.threads, sm.resources.mem_mb
    ):
        summary = array_summary(list(sm.input), tuple(sm.params.shape))
    write_json(sm.output[0], summary)
    log.info("%s", summary)
