"""Rule text_counts: raw top-10, the cleaned frequency table (Parquet) and its top-5."""

if __name__ == "__main__":
    from sda.diagnostics.record import recorded_scheduler
    from sda.io import write_csv
    from sda.logs import setup_logging
    from sda.scheduler import scheduler_workers
    from sda.text.count import partitions_for, word_counts
    from sda.text.parquet import write_frequencies

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    files = list(sm.input)
    p = sm.params
    nparts = partitions_for(len(files), p.partitions, scheduler_workers(p.scheduler, sm.threads))
    with recorded_scheduler(p.scheduler, sm.output, files, sm.threads, sm.resources.mem_mb):
        result = word_counts(files, p.errors, 10, nparts, p.files_per_task)
        table = result.clean_table()
        write_csv(sm.output.top10, result.raw_top, ["word", "n"])
        top5 = list(zip(table["word"][:5].to_pylist(), table["n"][:5].to_pylist(), strict=True))
        write_csv(sm.output.top5, top5, ["word", "n"])
        write_frequencies(sm.output.frequencies, table, npartitions=nparts)
    log.info(
        "%d files, %d partitions: %d distinct cleaned words; non-UTF-8: %d files, %d bytes "
        "(errors=%s)",
        len(files),
        nparts,
        table.num_rows,
        result.bad_files,
        result.bad_bytes,
        p.errors,
    )
    log.info("raw top-10: %s", result.raw_top)
    log.info("cleaned top-5: %s", top5)
