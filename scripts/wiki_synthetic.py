"""Rule wiki_synthetic: write the deterministic synthetic corpus in WikiExtractor's layout."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.text.corpus import write_synthetic

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    outputs = list(sm.output)
    write_synthetic(outputs, sm.params.file_bytes, sm.params.seed, processes=sm.threads)
    log.info("wrote %d synthetic files: %s .. %s", len(outputs), outputs[0], outputs[-1])
