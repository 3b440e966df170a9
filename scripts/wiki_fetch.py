"""Rule wiki_fetch: download the Wikipedia dump named by wiki.url (https:// or file://)."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.text.corpus import fetch

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    fetch(sm.params.url, sm.output[0])
    log.info("fetched %s to %s", sm.params.url, sm.output[0])
