"""Rule array_summary: mean, std, min, max over all npy blocks with dask, out of core."""

if __name__ == "__main__":
    from sda.diagnostics.record import recording
    from sda.io import write_json
    from sda.logs import setup_logging
    from sda.scheduler import dask_scheduler
    from sda.stores.summary import array_summary

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    spec = sm.params.scheduler
    with (
        dask_scheduler(spec, workers=sm.threads, memory_mb=sm.resources.mem_mb) as client,
        recording(sm.output, client, spec, sm.threads, sm.input),
    ):
        summary = array_summary(list(sm.input), tuple(sm.params.shape))
    write_json(sm.output[0], summary)
    log.info("%s", summary)
