"""Rule wiki_fetch: the Wikipedia dump named by wiki.url, verified, and SOURCE.json, its record."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.text.fetch import fetch_dump

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    wiki = sm.config["wiki"]  # how to fetch: not params (see the rule)
    made = fetch_dump(
        sm.params.url,
        sm.output.dump,
        sm.output.source,
        checksum=sm.params.checksum,
        retries=wiki["retries"],
        retry_wait=wiki["retry_wait"],
    )
    log.info("fetched %s (%s) to %s", made["url"], made["checksum"], sm.output.dump)
