"""Rule bench_generate: the workflow's block generation, and its whole default run, vs a plain
multiprocessing script writing the same blocks."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.blocks.bench_generate import generate_rows
    from sda.logs import setup_logging
    from sda.measure.rows import write_rows

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    out = Path(sm.output[0])
    rows = generate_rows(
        config=sm.params.config,
        snakefile=sm.params.snakefile,
        cores=sm.threads,
        repeats=sm.params.repeats,
        scratch=out.parent / f".{out.name}.scratch",
        default_run=sm.params.default_run,
    )
    write_rows(out, rows)
    for row in rows:
        log.info("%s", row)
