"""Rule lahman_parquet: one table or view of the SQLite database as a Parquet file (odo's part)."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.tables.lahman_parquet import export_table

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    db, table, out = sm.input[0], sm.wildcards.table, sm.output[0]
    info = export_table(db, table, out)
    log.info("wrote %s: %d rows of %s in %s", out, info["rows"], table, db)
    log.info("column types: %s", info["columns"])
    log.info("NULLs per column: %s", info["nulls"])
