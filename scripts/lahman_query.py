"""Rules lahman_*: one of the lesson's queries, as an ibis expression on SQLite, as a file."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.tables.lahman_ibis import (
        birth_country,
        master_head,
        table_names,
        write_lines,
        write_table,
    )

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    db, out, query = sm.input[0], sm.output[0], sm.params.query
    if query == "tables":
        names = table_names(db)
        write_lines(out, names)
        log.info("wrote %s: %d tables and views of %s", out, len(names), db)
    else:
        frame = {"master_head": master_head, "birth_country": birth_country}[query](db)
        write_table(out, frame)
        log.info("wrote %s: %d rows from %s", out, len(frame), db)
