"""Rule version: results/VERSION.json, what made this run's results (sda.provenance)."""

if __name__ == "__main__":
    from sda.io import write_json
    from sda.logs import setup_logging

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    write_json(sm.output[0], sm.params.record)
    log.info("%s: %s", sm.output[0], dict(sm.params.record))
