"""Rule lahman_queries: the lesson's three queries, as ibis expressions on SQLite, as files."""

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
    db, out = sm.input[0], sm.output
    names = table_names(db)
    write_lines(out.tables, names)
    log.info("wrote %s: %d tables and views of %s", out.tables, len(names), db)
    for path, query in ((out.master_head, master_head), (out.birth_country, birth_country)):
        frame = query(db)
        write_table(path, frame)
        log.info("wrote %s: %d rows from %s", path, len(frame), db)
