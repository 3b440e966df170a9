"""Rule bench_text: our word count vs plain Python and the lesson's bag, side by side."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.logs import setup_logging
    from sda.measure.rows import write_rows
    from sda.text.bench_text import bench_rows
    from sda.text.count import partitions_for

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    files = list(sm.input)
    p = sm.params
    out = Path(sm.output[0])
    rows = bench_rows(
        files,
        p.errors,
        p.scheduler,
        sm.threads,
        partitions_for(len(files), p.partitions, sm.threads),
        p.files_per_task,
        p.repeats,
    )
    write_rows(out, rows)
    for row in rows:
        log.info("%s", row)
