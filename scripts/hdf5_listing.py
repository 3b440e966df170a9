"""Rule hdf5_listing: name, shape and created attribute of every dataset (the lesson's f.visit)."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.stores.read import hdf5_listing, write_listing

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    rows = hdf5_listing(sm.input[0])
    write_listing(sm.output[0], rows)
    log.info("%s: %d datasets listed", sm.input[0], len(rows))
