"""Rule text_sample: the lesson's take(5) of the cleaned words, in file order."""

if __name__ == "__main__":
    from sda.io import write_csv
    from sda.logs import setup_logging
    from sda.text.lesson import sample

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    words = sample(list(sm.input), sm.params.errors, n=5)
    write_csv(sm.output[0], enumerate(words), ["i", "word"])
    log.info("take(5): %s", words)
