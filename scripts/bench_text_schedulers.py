"""Rule bench_text_schedulers: the same top-10 on sync, threads, processes, LocalCluster."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.measure.rows import write_rows
    from sda.text.bench_text import SCHEDULER_FIELDS, scheduler_rows
    from sda.text.count import partitions_for

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    files = list(sm.input)
    nparts = partitions_for(len(files), sm.params.partitions, sm.threads)
    rows = scheduler_rows(files, sm.params.errors, sm.threads, nparts, sm.params.files_per_task)
    write_rows(sm.output[0], rows, SCHEDULER_FIELDS)
    for row in rows:
        log.info("%s", row)
