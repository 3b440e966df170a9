"""Rule block_csv: the header-less CSV copies of the first blocks.csv_n npy blocks, in one job
(a job per block would pay a Python start-up for half a second of work)."""

if __name__ == "__main__":
    from sda.blocks.generate import csv_from_npy
    from sda.logs import setup_logging

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    for done, (npy, csv) in enumerate(zip(sm.input, sm.output, strict=True), start=1):
        csv_from_npy(npy, csv, sm.params.spec, sm.params.fmt)
        log.info("%d of %d: wrote %s from %s", done, len(sm.output), csv, npy)
