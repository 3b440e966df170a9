"""Rule block_csv: the header-less CSV copy of one npy block."""

if __name__ == "__main__":
    from sda.blocks import csv_from_npy
    from sda.logs import setup_logging

    log = setup_logging(snakemake.log[0])  # noqa: F821
    npy, csv = snakemake.input[0], snakemake.output[0]  # noqa: F821
    csv_from_npy(npy, csv, snakemake.params.spec, snakemake.params.fmt)  # noqa: F821
    log.info("wrote %s from %s", csv, npy)
