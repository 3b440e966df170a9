"""Rule bench_block_io: the lesson's npy-vs-CSV save time, load memory and load-and-mean time."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.blocks.bench_block_io import block_io_rows
    from sda.logs import setup_logging
    from sda.measure.rows import write_rows

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    out = Path(sm.output[0])
    rows = block_io_rows(
        npy_files=list(sm.input.npy),
        csv_file=sm.input.csv[0] if sm.input.csv else None,
        spec=sm.params.spec,
        fmt=sm.params.fmt,
        repeats=sm.params.repeats,
        scratch=out.parent / f".{out.name}.scratch",
    )
    write_rows(out, rows)
    for row in rows:
        log.info("%s", row)
