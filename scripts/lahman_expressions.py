"""Rule lahman_expressions: the lesson's queries as Blaze code, as ibis source, as compiled SQL."""

if __name__ == "__main__":
    import json

    from sda.io import atomic_write
    from sda.logs import setup_logging
    from sda.tables.lahman_ibis import expressions_listing

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    db, out = sm.input[0], sm.output[0]
    listing = expressions_listing(db, dialects=list(sm.params.dialects))
    with atomic_write(out, "w", encoding="utf-8") as fh:
        json.dump(listing, fh, indent=2)
        fh.write("\n")
    for q in listing["queries"]:
        for dialect, sql in q["sql"].items():
            log.info("%s, SQL for %s:\n%s", q["query"], dialect, sql)
    log.info("wrote %s: %d queries", out, len(listing["queries"]))
